package main

import (
	"bufio"
	"bytes"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/appydex/smoke/harness/docker"
	"github.com/appydex/smoke/harness/owner"
	"github.com/appydex/smoke/harness/pgenv"
	"github.com/appydex/smoke/harness/pgtest"
)

// beTheCommand makes this test binary run main(), as the smoke command.
const beTheCommand = "SMOKE_TEST_BE_THE_COMMAND"

// child is the smoke command running in a process of its own.
type child struct {
	cmd            *exec.Cmd
	stdout, stderr *bytes.Buffer
	stderrLines    chan string
}

func startCommand(t *testing.T, env []string, args ...string) *child {
	t.Helper()
	c := &child{cmd: exec.Command(os.Args[0], args...), stdout: &bytes.Buffer{}, stderr: &bytes.Buffer{}, stderrLines: make(chan string, 100)}
	c.cmd.Env = append(append(os.Environ(), beTheCommand+"=1", "GITHUB_ACTIONS=", "GITHUB_STEP_SUMMARY="), env...)
	c.cmd.Stdout = c.stdout
	pipe, err := c.cmd.StderrPipe()
	require.NoError(t, err)
	require.NoError(t, c.cmd.Start())
	t.Cleanup(func() { c.cmd.Process.Kill(); c.cmd.Wait() })
	go func() {
		sc := bufio.NewScanner(pipe)
		for sc.Scan() {
			c.stderr.WriteString(sc.Text() + "\n")
			select {
			case c.stderrLines <- sc.Text():
			default:
			}
		}
		close(c.stderrLines)
	}()
	return c
}

// interrupt sends SIGINT and returns the exit code.
func (c *child) interrupt(t *testing.T) int {
	t.Helper()
	require.NoError(t, c.cmd.Process.Signal(os.Interrupt))
	done := make(chan error, 1)
	go func() { done <- c.cmd.Wait() }()
	select {
	case err := <-done:
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			return exit.ExitCode()
		}
		require.NoError(t, err)
		return 0
	case <-time.After(60 * time.Second):
		t.Fatalf("the command did not exit within a minute of SIGINT; stderr:\n%s", c.stderr)
		return -1
	}
}

// leftovers lists what process pid started and did not remove: containers
// and networks labelled as its own, local clusters whose owner file names it.
func leftovers(t *testing.T, pid int) []string {
	t.Helper()
	var found []string
	for _, base := range []string{"/dev/shm", os.TempDir()} {
		dirs, _ := filepath.Glob(filepath.Join(base, "appydex-smoke-pg-*"))
		for _, dir := range dirs {
			b, _ := os.ReadFile(filepath.Join(dir, "owner"))
			if o, ok := owner.Parse(string(b)); ok && o.PID == pid {
				found = append(found, "local cluster "+dir)
			}
		}
	}
	ctx := t.Context()
	if cli, err := docker.Client(ctx, os.Getenv("DOCKER_HOST")); err == nil {
		defer cli.Close()
		owned, err := docker.Owned(ctx, cli)
		require.NoError(t, err)
		for _, r := range owned {
			if r.Owner.PID == pid {
				found = append(found, r.Kind+" "+r.ID)
			}
		}
	}
	return found
}

// Interrupted in the middle of its flow — the API it checks hangs, and the
// signal comes while it waits — verify stops, says where, removes the
// PostgreSQL it started, and exits 130.
func TestInterruptedVerifyRemovesWhatItStartedAndExits130(t *testing.T) {
	for _, source := range pgtest.Sources(t) {
		t.Run(string(source), func(t *testing.T) {
			arrived := make(chan struct{}, 1)
			hanging := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				select {
				case arrived <- struct{}{}:
				default:
				}
				<-r.Context().Done() // answers nothing until the client gives up
			}))
			t.Cleanup(hanging.Close)

			c := startCommand(t, []string{pgenv.EnvSource + "=" + string(source), pgenv.EnvURL + "=", "SMOKE_PASSWORD=x", "SMOKE_OTP=0"},
				"verify", "--database-url", pgtest.Clone(t).URL, "--api-url", hanging.URL)
			select {
			case <-arrived:
			case <-time.After(2 * time.Minute):
				t.Fatalf("verify never reached the API; stderr:\n%s", c.stderr)
			}
			require.NotEmpty(t, leftovers(t, c.cmd.Process.Pid), "the scratch PostgreSQL runs while the flow waits")

			code := c.interrupt(t)
			assert.Equal(t, exitInterrupted, code, "stdout:\n%s\nstderr:\n%s", c.stdout, c.stderr)
			assert.Contains(t, c.stdout.String(), "STOP flow")
			assert.Contains(t, c.stdout.String(), `INTERRUPTED: interrupted (interrupt) during step "flow"`)
			assert.Contains(t, c.stderr.String(), "smoke: interrupt: stopping, and removing what this run started")
			assert.NotContains(t, c.stdout.String(), "context canceled", "a cancel is not reported as a failure")
			assert.Empty(t, leftovers(t, c.cmd.Process.Pid), "everything the run started is removed")
		})
	}
}

// Interrupted while its container starts, run removes the container and
// exits 130 naming the step: a CI cancel never reads as a failed check.
func TestInterruptedRunWhileItsPostgresStarts(t *testing.T) {
	pgtest.RequireDocker(t)
	c := startCommand(t, []string{pgenv.EnvSource + "=container", pgenv.EnvURL + "="}, "run")
	pid := c.cmd.Process.Pid
	deadline := time.Now().Add(2 * time.Minute)
	for len(leftovers(t, pid)) == 0 {
		require.True(t, time.Now().Before(deadline), "no container of the run appeared; stderr:\n%s", c.stderr)
		time.Sleep(20 * time.Millisecond)
	}
	code := c.interrupt(t)
	assert.Equal(t, exitInterrupted, code, "stdout:\n%s\nstderr:\n%s", c.stdout, c.stderr)
	assert.Contains(t, c.stdout.String(), "STOP postgres")
	assert.Contains(t, c.stdout.String(), `INTERRUPTED: interrupted (interrupt) during step "postgres"`)
	assert.Empty(t, leftovers(t, pid), "the container is removed; stderr:\n%s", c.stderr)
}
