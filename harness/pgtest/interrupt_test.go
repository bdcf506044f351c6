package pgtest_test

import (
	"bufio"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/appydex/smoke/harness/docker"
	"github.com/appydex/smoke/harness/owner"
	"github.com/appydex/smoke/harness/pgenv"
	"github.com/appydex/smoke/harness/pgtest"
	"github.com/appydex/smoke/redact"
)

// TestChildHoldsServer is the child process of the tests below: it starts a
// server, says so on stdout, and waits to be interrupted or killed.
func TestChildHoldsServer(t *testing.T) {
	if os.Getenv("PGTEST_CHILD") != "1" {
		t.Skip("runs only as the child process of TestInterrupt… and TestKill…")
	}
	srv := pgtest.Server(t)
	os.Stdout.WriteString("READY " + srv.AdminURL() + "\n")
	select {}
}

type child struct {
	cmd *exec.Cmd
	pid int
	url string
}

func startChild(t *testing.T, source pgenv.Source) *child {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestChildHoldsServer$", "-test.timeout=5m")
	// A server of the child's own: these tests are about what one process
	// leaves (shared_test.go is about shared servers).
	cmd.Env = append(os.Environ(), "PGTEST_CHILD=1", pgenv.EnvSource+"="+string(source), pgenv.EnvShare+"=0")
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	cmd.Stderr = os.Stderr
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })

	line, err := bufio.NewReader(stdout).ReadString('\n')
	require.NoError(t, err, "the child must report its server")
	fields := strings.Fields(line)
	require.Len(t, fields, 2, "child said %q", line)
	c := &child{cmd: cmd, pid: cmd.Process.Pid, url: fields[1]}
	requireAnswers(t, c.url)
	return c
}

func requireAnswers(t *testing.T, url string) {
	t.Helper()
	conn, err := pgx.Connect(t.Context(), url)
	require.NoError(t, err)
	conn.Close(t.Context())
}

// eventuallyRefuses waits up to five seconds for the server at url to stop answering.
func eventuallyRefuses(t *testing.T, url string) {
	t.Helper()
	ctx := t.Context()
	for range 100 {
		conn, err := pgx.Connect(ctx, url)
		if err != nil {
			return
		}
		conn.Close(ctx)
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("the server at %s still answers", redact.Conn(url))
}

// clusterDirsOf lists the local clusters whose owner file names pid.
func clusterDirsOf(pid int) []string {
	var found []string
	for _, base := range []string{"/dev/shm", os.TempDir()} {
		dirs, _ := filepath.Glob(filepath.Join(base, "appydex-smoke-pg-*"))
		for _, dir := range dirs {
			b, _ := os.ReadFile(filepath.Join(dir, "owner"))
			if o, ok := owner.Parse(string(b)); ok && o.PID == pid {
				found = append(found, dir)
			}
		}
	}
	return found
}

// containersOf lists the containers labelled as process pid's.
func containersOf(t *testing.T, pid int) []string {
	t.Helper()
	ctx := t.Context()
	cli, err := docker.Client(ctx, os.Getenv("DOCKER_HOST"))
	require.NoError(t, err)
	defer cli.Close()
	owned, err := docker.Owned(ctx, cli)
	require.NoError(t, err)
	var ids []string
	for _, r := range owned {
		if r.Kind == "container" && r.Owner.PID == pid {
			ids = append(ids, r.ID)
		}
	}
	return ids
}

func TestInterruptStopsAndRemovesTheServer(t *testing.T) {
	for _, source := range pgtest.Sources(t) {
		t.Run(string(source), func(t *testing.T) {
			c := startChild(t, source)
			switch source {
			case pgenv.Local:
				require.Len(t, clusterDirsOf(c.pid), 1)
			case pgenv.Container:
				require.Len(t, containersOf(t, c.pid), 1)
			}
			require.NoError(t, c.cmd.Process.Signal(os.Interrupt))
			err := c.cmd.Wait()
			var exit *exec.ExitError
			require.True(t, errors.As(err, &exit), "child: %v", err)
			assert.Equal(t, 130, exit.ExitCode())

			eventuallyRefuses(t, c.url)
			switch source {
			case pgenv.Local:
				assert.Empty(t, clusterDirsOf(c.pid), "the cluster folder must be removed")
			case pgenv.Container:
				assert.Empty(t, containersOf(t, c.pid), "the container must be removed")
			}
		})
	}
}

// A killed process cannot clean up: its postmaster stops by the parent-death
// signal, and the next run sweeps what is left.
func TestKilledRunIsSweptByTheNext(t *testing.T) {
	for _, source := range pgtest.Sources(t) {
		t.Run(string(source), func(t *testing.T) {
			c := startChild(t, source)
			require.NoError(t, c.cmd.Process.Signal(syscall.SIGKILL))
			c.cmd.Wait()
			ctx := t.Context()

			switch source {
			case pgenv.Local:
				eventuallyRefuses(t, c.url)
				require.Len(t, clusterDirsOf(c.pid), 1, "the killed run's folder stays until the next run")
				cfg, err := pgtest.Config()
				require.NoError(t, err)
				cfg.Source = pgenv.Local
				next, err := pgenv.Start(ctx, cfg)
				require.NoError(t, err)
				require.NoError(t, next.Close(ctx))
				assert.Empty(t, clusterDirsOf(c.pid), "the next local start must sweep the folder")
			case pgenv.Container:
				require.Len(t, containersOf(t, c.pid), 1, "the killed run's container stays until the next run")
				cli, err := docker.Client(ctx, os.Getenv("DOCKER_HOST"))
				require.NoError(t, err)
				defer cli.Close()
				require.NoError(t, docker.Sweep(ctx, cli, t.Logf))
				assert.Empty(t, containersOf(t, c.pid), "the sweep must remove the container")
				eventuallyRefuses(t, c.url)
			}
		})
	}
}
