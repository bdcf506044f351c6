package docker

import (
	"context"
	"crypto/rand"
	"encoding/hex"

	"github.com/testcontainers/testcontainers-go"
	"github.com/testcontainers/testcontainers-go/network"

	"github.com/appydex/smoke/harness/owner"
)

// Labels on everything the harness starts in Docker. LabelOwner names the
// process that started it (owner.Owner's host/pid/start), so Sweep removes
// what a dead run left without touching a concurrent run's containers.
// LabelInstance names one start, so that a start interrupted half way can
// remove what it made even when Docker never told it the container's id
// (RemoveInstance).
const (
	LabelHarness  = "dev.appydex.smoke"
	LabelOwner    = "dev.appydex.smoke.owner"
	LabelInstance = "dev.appydex.smoke.instance"
)

// Labels are the labels of one container or network this process starts:
// they mark it as this process's (it removes it when done, and a later run
// sweeps it if this process dies first) and name this one start.
func Labels() map[string]string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return map[string]string{LabelHarness: "true", LabelOwner: owner.Current().String(), LabelInstance: hex.EncodeToString(b)}
}

// NewNetwork creates a Docker network labelled as this process's. Remove it
// when done; if the process dies first, the next run's Sweep does.
func NewNetwork(ctx context.Context) (*testcontainers.DockerNetwork, error) {
	return network.New(ctx, network.WithLabels(Labels()))
}
