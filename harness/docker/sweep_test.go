package docker_test

import (
	"context"
	"flag"
	"os"
	"os/exec"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/testcontainers/testcontainers-go/network"

	"github.com/appydex/smoke/harness/docker"
	"github.com/appydex/smoke/harness/owner"
	"github.com/appydex/smoke/harness/pgtest"
)

func TestMain(m *testing.M) {
	flag.Parse()
	docker.Setup(os.Getenv, testing.Verbose())
	os.Exit(m.Run())
}

// Sweep removes what a dead run of this host left, and nothing of a live one.
func TestSweepRemovesOnlyWhatDeadRunsLeft(t *testing.T) {
	pgtest.RequireDocker(t)
	ctx := context.Background()
	exited := exec.Command("true")
	require.NoError(t, exited.Run())
	dead := owner.Current()
	dead.PID, dead.Start = exited.Process.Pid, ""

	deadNet, err := network.New(ctx, network.WithLabels(map[string]string{docker.LabelHarness: "true", docker.LabelOwner: dead.String()}))
	require.NoError(t, err)
	t.Cleanup(func() { deadNet.Remove(context.Background()) })
	liveNet, err := docker.NewNetwork(ctx)
	require.NoError(t, err)
	t.Cleanup(func() { liveNet.Remove(context.Background()) })

	cli, err := docker.Client(ctx, os.Getenv("DOCKER_HOST"))
	require.NoError(t, err)
	defer cli.Close()
	require.NoError(t, docker.Sweep(ctx, cli, t.Logf))

	owned, err := docker.Owned(ctx, cli)
	require.NoError(t, err)
	ids := map[string]owner.Owner{}
	for _, r := range owned {
		ids[r.ID] = r.Owner
	}
	assert.NotContains(t, ids, deadNet.ID, "the dead run's network must be swept")
	require.Contains(t, ids, liveNet.ID, "this live process's network must stay")
	assert.Equal(t, owner.Current(), ids[liveNet.ID])
}

func TestAnEngineThatDoesNotAnswerIsNamed(t *testing.T) {
	err := docker.Answers(t.Context(), "unix:///nonexistent/docker.sock")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "no Docker Engine answers at DOCKER_HOST=unix:///nonexistent/docker.sock")
}
