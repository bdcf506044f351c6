package pgenv

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/moby/moby/client"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/testcontainers/testcontainers-go"

	"github.com/appydex/smoke/harness/docker"
)

// requireSource skips a test whose source this machine cannot offer, unless
// SMOKE_REQUIRE_SOURCES names it (CI does: there, a missing source fails).
func requireSource(t *testing.T, src Source, available error) {
	t.Helper()
	if available == nil {
		return
	}
	for _, name := range strings.Split(os.Getenv("SMOKE_REQUIRE_SOURCES"), ",") {
		if strings.TrimSpace(name) == string(src) {
			t.Fatalf("source %s is required (SMOKE_REQUIRE_SOURCES) but unavailable: %v", src, available)
		}
	}
	t.Skipf("source %s unavailable here: %v", src, available)
}

func testConfig(t *testing.T, src Source) Config {
	cfg, err := ConfigFromEnv(os.Getenv)
	require.NoError(t, err)
	cfg.Source = src
	cfg.Logf = t.Logf
	return cfg
}

// assertAnswers15 checks the server answers select version() with 15.x.
func assertAnswers15(t *testing.T, s *Server) {
	t.Helper()
	ctx := t.Context()
	conn, err := pgx.Connect(ctx, s.AdminURL())
	require.NoError(t, err)
	defer conn.Close(ctx)
	var version string
	require.NoError(t, conn.QueryRow(ctx, "select version()").Scan(&version))
	assert.True(t, strings.HasPrefix(version, "PostgreSQL 15."), "select version() = %q; want PostgreSQL 15.x", version)
	assert.True(t, strings.HasPrefix(s.Version(), "15."), "Version() = %q; want 15.x", s.Version())
}

func TestContainerSourceStartsAndLeavesNothingBehind(t *testing.T) {
	requireSource(t, Container, docker.Answers(context.Background(), os.Getenv("DOCKER_HOST")))
	ctx := context.Background()
	s, err := Start(ctx, testConfig(t, Container))
	if s != nil {
		t.Cleanup(func() { s.Close(ctx) })
	}
	require.NoError(t, err)
	assert.Equal(t, Container, s.Source())
	assertAnswers15(t, s)

	cli, err := testcontainers.NewDockerClientWithOpts(ctx)
	require.NoError(t, err)
	defer cli.Close()
	_, err = cli.ContainerInspect(ctx, s.containerID, client.ContainerInspectOptions{})
	require.NoError(t, err, "the container should run before Close")

	require.NoError(t, s.Close(ctx))
	_, err = cli.ContainerInspect(ctx, s.containerID, client.ContainerInspectOptions{})
	assert.Error(t, err, "container %s still exists after Close", s.containerID)
}

func TestLocalSourceStartsAndLeavesNothingBehind(t *testing.T) {
	_, binErr := findBinDir(context.Background(), os.Getenv(EnvBinDir))
	requireSource(t, Local, binErr)
	ctx := context.Background()
	cfg := testConfig(t, Local)
	cfg.CacheDir = t.TempDir() // cold: initdb runs
	s, err := Start(ctx, cfg)
	if s != nil {
		t.Cleanup(func() { s.Close(ctx) })
	}
	require.NoError(t, err)
	assert.Equal(t, Local, s.Source())
	assertAnswers15(t, s)
	pid := postmasterPID(t, s.dir)

	require.NoError(t, s.Close(ctx))
	_, err = os.Stat(s.dir)
	assert.True(t, os.IsNotExist(err), "cluster folder %s still exists after Close (stat: %v)", s.dir, err)
	assert.False(t, processRuns(pid), "postmaster %d still runs after Close", pid)

	// A second start copies the cached cluster instead of running initdb.
	s2, err := Start(ctx, cfg)
	require.NoError(t, err)
	defer s2.Close(ctx)
	assertAnswers15(t, s2)
}

func postmasterPID(t *testing.T, dir string) int {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "data", "postmaster.pid"))
	require.NoError(t, err)
	var pid int
	_, err = fmt.Sscan(strings.SplitN(string(b), "\n", 2)[0], &pid)
	require.NoError(t, err)
	return pid
}

// processRuns reports whether pid is a live process (a zombie does not count).
func processRuns(pid int) bool {
	for i := 0; i < 100; i++ {
		b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
		if err != nil || strings.Contains(string(b), ") Z ") {
			return false
		}
		time.Sleep(10 * time.Millisecond)
	}
	return true
}
