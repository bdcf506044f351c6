package docker

import (
	"context"

	"github.com/testcontainers/testcontainers-go"
	"github.com/testcontainers/testcontainers-go/network"

	"github.com/appydex/smoke/harness/owner"
)

// Labels on everything the harness starts in Docker. LabelOwner names the
// process that started it (owner.Owner's host/pid/start), so Sweep removes
// what a dead run left without touching a concurrent run's containers.
const (
	LabelHarness = "dev.appydex.smoke"
	LabelOwner   = "dev.appydex.smoke.owner"
)

// Labels mark a container or network as this process's: it removes it when
// done, and a later run sweeps it if this process dies first.
func Labels() map[string]string {
	return map[string]string{LabelHarness: "true", LabelOwner: owner.Current().String()}
}

// NewNetwork creates a Docker network labelled as this process's. Remove it
// when done; if the process dies first, the next run's Sweep does.
func NewNetwork(ctx context.Context) (*testcontainers.DockerNetwork, error) {
	return network.New(ctx, network.WithLabels(Labels()))
}
