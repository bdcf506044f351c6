package pgtest_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/appydex/smoke/harness/owner"
	"github.com/appydex/smoke/harness/pgenv"
	"github.com/appydex/smoke/harness/pgtest"
)

// TestChildUsesSharedServer is the child process of the tests below: a
// package of go test ./... that attaches to the shared server, clones the
// template, says so, and waits to be told to finish (a line on stdin) or
// to be killed.
func TestChildUsesSharedServer(t *testing.T) {
	if os.Getenv("PGTEST_SHARED_CHILD") != "1" {
		t.Skip("runs only as the child process of the shared-server tests")
	}
	db := pgtest.Clone(t)
	os.Stdout.WriteString("READY " + pgtest.Server(t).AdminURL() + " " + db.Name + "\n")
	bufio.NewReader(os.Stdin).ReadString('\n')
}

type user struct {
	cmd   *exec.Cmd
	stdin interface{ Close() error }
	url   string
	clone string
}

// attachChild starts a child that attaches to the shared server of source,
// with a cache folder of this test's own, so that it shares with its
// siblings and with no other test.
func attachChild(t *testing.T, source pgenv.Source, cache string, env ...string) *user {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestChildUsesSharedServer$", "-test.timeout=5m")
	cmd.Env = append(os.Environ(), append([]string{"PGTEST_SHARED_CHILD=1", pgenv.EnvSource + "=" + string(source),
		pgenv.EnvCache + "=" + cache, pgenv.EnvShare + "=1"}, env...)...)
	stdin, err := cmd.StdinPipe()
	require.NoError(t, err)
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	var stderr syncBuffer
	cmd.Stderr = &stderr
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	// The first line that says READY; anything else is the child failing.
	var said strings.Builder
	r := bufio.NewReader(stdout)
	var fields []string
	for {
		line, err := r.ReadString('\n')
		said.WriteString(line)
		if f := strings.Fields(line); len(f) == 3 && f[0] == "READY" {
			fields = f
			break
		}
		if err != nil {
			t.Fatalf("the child did not report its server; it said:\n%s\nstderr:\n%s", said.String(), stderr.String())
		}
	}
	requireAnswers(t, fields[1])
	return &user{cmd: cmd, stdin: stdin, url: fields[1], clone: fields[2]}
}

// finish tells the child to end its test and waits for it.
func (u *user) finish(t *testing.T) {
	t.Helper()
	u.stdin.Close()
	require.NoError(t, u.cmd.Wait())
}

// sharedFolder is the shared server folder of source and cache.
func sharedFolder(t *testing.T, source pgenv.Source, cache string) string {
	t.Helper()
	dirs, _ := filepath.Glob(filepath.Join(pgenv.SharedBase(pgenv.Config{}), "*", "config.json"))
	for _, f := range dirs {
		b, err := os.ReadFile(f)
		require.NoError(t, err)
		if strings.Contains(string(b), cache) && strings.Contains(string(b), `"Source":"`+string(source)+`"`) {
			return filepath.Dir(f)
		}
	}
	t.Fatalf("no shared server folder for %s with cache %s", source, cache)
	return ""
}

// stopShared stops what a test left running in the folder of source and
// cache, whatever happened.
func stopShared(t *testing.T, source pgenv.Source, cache string) {
	t.Cleanup(func() {
		dirs, _ := filepath.Glob(filepath.Join(pgenv.SharedBase(pgenv.Config{}), "*", "config.json"))
		for _, f := range dirs {
			if b, _ := os.ReadFile(f); strings.Contains(string(b), cache) && strings.Contains(string(b), `"Source":"`+string(source)+`"`) {
				if _, inUse, err := pgenv.StopSharedIn(context.Background(), filepath.Dir(f)); err != nil || inUse {
					t.Errorf("the shared server of this test is left: in use %t, %v", inUse, err)
				}
			}
		}
	})
}

// The packages of one go test ./... share one server: the first starts it
// (through its keeper), the next attaches; it outlives the first, and
// stops once the last has been gone for pgenv.Linger. Each keeps its own
// clones, dropped when it finishes.
func TestPackagesShareOneServer(t *testing.T) {
	t.Parallel()
	for _, source := range pgtest.Sources(t) {
		t.Run(string(source), func(t *testing.T) {
			t.Parallel()
			cache := t.TempDir()
			stopShared(t, source, cache)
			first := attachChild(t, source, cache)
			second := attachChild(t, source, cache)
			assert.Equal(t, first.url, second.url, "one server for both")
			assert.NotEqual(t, first.clone, second.clone, "a clone each")

			first.finish(t)
			requireAnswers(t, second.url) // the first's exit does not stop it
			names := databaseNames(t, second.url)
			assert.NotContains(t, names, first.clone, "a finished user's clones are dropped")
			assert.Contains(t, names, second.clone)

			dir := sharedFolder(t, source, cache)
			second.finish(t)
			time.Sleep(pgenv.Linger / 2)
			requireAnswers(t, second.url) // a package starting next would still find it
			eventuallyRefusesWithin(t, second.url, pgenv.Linger+10*time.Second)
			assert.NoFileExists(t, filepath.Join(dir, "server.json"))
		})
	}
}

// A user killed outright holds no lease any more; its keeper stops the
// server all the same. A keeper killed outright takes its local server with
// it, and the next user starts another.
func TestKilledUsersAndKeepersLeaveNothingRunning(t *testing.T) {
	t.Parallel()
	for _, source := range pgtest.Sources(t) {
		t.Run(string(source), func(t *testing.T) {
			t.Parallel()
			cache := t.TempDir()
			stopShared(t, source, cache)
			u := attachChild(t, source, cache)
			require.NoError(t, u.cmd.Process.Signal(syscall.SIGKILL))
			u.cmd.Wait()
			eventuallyRefusesWithin(t, u.url, pgenv.Linger+10*time.Second)

			if source != pgenv.Local {
				return // a dead keeper's container is swept as any dead owner's (TestKilledRunIsSweptByTheNext)
			}
			u = attachChild(t, source, cache)
			dir := sharedFolder(t, source, cache)
			b, err := os.ReadFile(filepath.Join(dir, "server.json"))
			require.NoError(t, err)
			keeper := keeperPID(t, string(b))
			require.NoError(t, syscall.Kill(keeper, syscall.SIGKILL))
			eventuallyRefusesWithin(t, u.url, 10*time.Second)
			u.stdin.Close()
			assert.Error(t, u.cmd.Wait(), "its server went with its keeper: the user cannot drop its clones, and says so")

			next := attachChild(t, source, cache)
			assert.NotEqual(t, u.url, next.url, "a new server, from a new keeper")
			next.finish(t)
		})
	}
}

// With SMOKE_REUSE the server waits for the next run past the linger time;
// the next run attaches to it; pgenv.StopShared (smoke down) stops it now.
func TestReusedServerWaitsForTheNextRun(t *testing.T) {
	t.Parallel()
	source := pgtest.Sources(t)[0]
	cache := t.TempDir()
	stopShared(t, source, cache)
	first := attachChild(t, source, cache, pgenv.EnvReuse+"=1")
	first.finish(t)
	time.Sleep(pgenv.Linger + time.Second)
	requireAnswers(t, first.url)

	next := attachChild(t, source, cache)
	assert.Equal(t, first.url, next.url, "the next run attaches")
	next.finish(t)
	time.Sleep(pgenv.Linger + time.Second)
	requireAnswers(t, first.url) // the longest wish holds: still kept

	// What the runs remembered on it (Server.Remember) goes with it.
	memo := filepath.Join(sharedFolder(t, source, cache), "memo")
	require.NoError(t, os.MkdirAll(memo, 0o700))
	require.NoError(t, os.WriteFile(filepath.Join(memo, "kept"), []byte("a snapshot"), 0o600))

	what, inUse, err := pgenv.StopSharedIn(t.Context(), sharedFolder(t, source, cache))
	require.NoError(t, err)
	assert.False(t, inUse)
	assert.NotEmpty(t, what)
	eventuallyRefusesWithin(t, first.url, 10*time.Second)
	assert.NoDirExists(t, memo, "what the runs remembered is forgotten with the server")
}

func keeperPID(t *testing.T, serverJSON string) int {
	t.Helper()
	var st struct {
		Keeper string `json:"keeper"`
	}
	require.NoError(t, json.Unmarshal([]byte(serverJSON), &st))
	o, ok := owner.Parse(st.Keeper)
	require.True(t, ok, serverJSON)
	return o.PID
}

func databaseNames(t *testing.T, adminURL string) []string {
	t.Helper()
	rows, err := pgtest.Pool(t, adminURL).Query(t.Context(), "SELECT datname FROM pg_database")
	require.NoError(t, err)
	var names []string
	for rows.Next() {
		var n string
		require.NoError(t, rows.Scan(&n))
		names = append(names, n)
	}
	return names
}

func eventuallyRefusesWithin(t *testing.T, url string, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		if refuses(url) {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("the server still answers after %s", within)
}

func refuses(url string) bool {
	conn, err := pgx.Connect(context.Background(), url)
	if err != nil {
		return true
	}
	conn.Close(context.Background())
	return false
}

// syncBuffer is a bytes.Buffer a child process writes while the test reads.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// A kept local server whose postmaster died (kill -9) is restarted in place
// by its keeper as soon as the next run finds it does not answer — not
// after the keeper's next round — and the dead postmaster's shared memory
// in /dev/shm goes with the restart.
func TestAKeptServerWhosePostmasterDiedIsRestartedInPlace(t *testing.T) {
	t.Parallel()
	cfg, err := pgtest.Config()
	require.NoError(t, err)
	cfg.Source = pgenv.Local
	probe, err := pgenv.Start(t.Context(), cfg) // skips where there are no local binaries
	pgtest.RequireSource(t, pgenv.Local, err)
	require.NoError(t, probe.Close(t.Context()))
	cache := t.TempDir()
	stopShared(t, pgenv.Local, cache)
	first := attachChild(t, pgenv.Local, cache, pgenv.EnvReuse+"=1")
	first.finish(t)

	state, err := os.ReadFile(filepath.Join(sharedFolder(t, pgenv.Local, cache), "server.json"))
	require.NoError(t, err)
	var st struct{ Where string }
	require.NoError(t, json.Unmarshal(state, &st))
	dataDir := strings.TrimPrefix(st.Where, "local cluster in ")
	pidFile, err := os.ReadFile(filepath.Join(dataDir, "postmaster.pid"))
	require.NoError(t, err)
	pid, err := strconv.Atoi(strings.SplitN(string(pidFile), "\n", 2)[0])
	require.NoError(t, err)
	maps, err := os.ReadFile(fmt.Sprintf("/proc/%d/maps", pid))
	require.NoError(t, err)
	var segments []string
	for line := range strings.Lines(string(maps)) {
		if i := strings.Index(line, "/dev/shm/PostgreSQL."); i >= 0 {
			segments = append(segments, strings.TrimSpace(line[i:]))
		}
	}
	require.NotEmpty(t, segments, "the postmaster maps its dynamic shared memory's control segment")

	require.NoError(t, syscall.Kill(pid, syscall.SIGKILL))
	require.Eventually(t, func() bool { return refuses(first.url) }, 10*time.Second, 50*time.Millisecond)

	next := attachChild(t, pgenv.Local, cache)
	assert.Equal(t, first.url, next.url, "the same server, restarted in place")
	next.finish(t)
	for _, seg := range segments {
		assert.NoFileExists(t, seg, "the dead postmaster's shared memory is swept by the restart")
	}
}
