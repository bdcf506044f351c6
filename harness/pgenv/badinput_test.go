package pgenv_test

import (
	"os"
	"os/exec"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/appydex/smoke/harness/pgenv"
	"github.com/appydex/smoke/harness/pgtest"
)

func TestMissingImageNamesTheMakeTargetThatBuildsIt(t *testing.T) {
	pgtest.RequireDocker(t)
	_, err := pgenv.Start(t.Context(), pgenv.Config{Source: pgenv.Container, Image: "appydex-smoke/no-such-image:0"})
	require.Error(t, err)
	t.Logf("Start: %v", err)
	assert.Contains(t, err.Error(), "appydex-smoke/no-such-image:0")
	assert.Contains(t, err.Error(), "make pg-image")
}

// With no Docker Engine and no server binaries, auto fails once, naming both
// attempts and what to install. It runs in a child process with DOCKER_HOST
// pointing nowhere (testcontainers-go resolves the engine once per process).
func TestAutoWithNothingAvailableSaysWhatWasTried(t *testing.T) {
	if os.Getenv("PGENV_NOTHING_CHILD") == "1" {
		cfg, err := pgenv.ConfigFromEnv(os.Getenv)
		require.NoError(t, err)
		cfg.BinDir = "/nonexistent/bin"
		_, err = pgenv.Start(t.Context(), cfg)
		require.Error(t, err)
		os.Stdout.WriteString("START ERROR: " + err.Error() + "\n")
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestAutoWithNothingAvailableSaysWhatWasTried$", "-test.v")
	cmd.Env = append(os.Environ(), "PGENV_NOTHING_CHILD=1", "DOCKER_HOST=unix:///nonexistent/docker.sock", "SMOKE_PG_SOURCE=auto")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "child:\n%s", out)
	t.Logf("child:\n%s", out)
	assert.Contains(t, string(out), "START ERROR: no PostgreSQL server could be started; tried:")
	assert.Contains(t, string(out), "container: no Docker Engine answers at DOCKER_HOST=unix:///nonexistent/docker.sock")
	assert.Contains(t, string(out), "local: /nonexistent/bin does not hold PostgreSQL's initdb and postgres")
	assert.Contains(t, string(out), "apt-get install postgresql-15")
}
