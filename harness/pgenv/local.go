package pgenv

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/appydex/smoke/harness/owner"
)

const localPrefix = "appydex-smoke-pg-"

// startLocal runs an ephemeral cluster from this machine's server binaries:
// a copy of the cached pristine data directory in a temporary folder, on a
// free loopback port, with its unix socket in that folder and fsync off. Close
// stops the server and removes the folder.
func startLocal(ctx context.Context, cfg Config) (*Server, error) {
	binDir, err := findBinDir(ctx, cfg.BinDir)
	if err != nil {
		return nil, err
	}
	cred, err := serverUser()
	if err != nil {
		return nil, err
	}
	sweepLocal(cfg.logf)
	pristine, password, err := pristineCluster(ctx, cfg, binDir, cred)
	if err != nil {
		return nil, err
	}

	dir, err := os.MkdirTemp(tempBase(), localPrefix)
	if err != nil {
		return nil, err
	}
	remove := func() error { return os.RemoveAll(dir) }
	if err := os.WriteFile(filepath.Join(dir, "owner"), []byte(owner.Current().String()), 0o644); err != nil {
		return nil, errors.Join(err, remove())
	}
	dataDir := filepath.Join(dir, "data")
	if err := copyTree(pristine, dataDir); err != nil {
		return nil, errors.Join(fmt.Errorf("copy the cached cluster: %w", err), remove())
	}
	if err := chownTree(dir, cred); err != nil {
		return nil, errors.Join(err, remove())
	}

	// A port found free may be taken before the server binds it: try again.
	pm := &postmaster{binDir: binDir, dir: dir, cred: cred}
	for attempt := 1; ; attempt++ {
		if pm.port, err = freePort(); err != nil {
			return nil, errors.Join(err, remove())
		}
		err = pm.start(ctx)
		if err == nil {
			break
		}
		if !errors.Is(err, errPortTaken) || attempt == 3 {
			return nil, errors.Join(err, remove())
		}
	}
	s := &Server{
		source: Local,
		where:  "local cluster in " + filepath.Join(dir, "data"),
		dir:    dir,
		local:  pm,
		admin: &url.URL{Scheme: "postgres", User: url.UserPassword("postgres", password),
			Host: net.JoinHostPort("127.0.0.1", strconv.Itoa(pm.port)), Path: "/postgres", RawQuery: "sslmode=disable"},
		stop: func(context.Context) error {
			pm.stop()
			return remove()
		},
	}
	if err := s.ready(ctx, 10*time.Second, true); err != nil {
		return nil, errors.Join(err, s.Close(ctx))
	}
	return s, nil
}

var errPortTaken = errors.New("port taken")

// postmaster is the server process of a local cluster.
type postmaster struct {
	binDir, dir string
	cred        *syscall.Credential
	port        int
	cmd         *exec.Cmd
	exit        *exitStatus // of cmd
}

// exitStatus is a process's end: done is closed once it exited, and err is
// what Wait said then. Any number of readers may wait on done.
type exitStatus struct {
	done chan struct{}
	err  error
}

// exited reports whether the postmaster has exited (true when none runs).
func (p *postmaster) exited() bool {
	if p.cmd == nil {
		return true
	}
	select {
	case <-p.exit.done:
		return true
	default:
		return false
	}
}

// start runs the postmaster on p.port and waits until it is ready.
func (p *postmaster) start(ctx context.Context) error {
	dataDir, logPath := filepath.Join(p.dir, "data"), filepath.Join(p.dir, "postgres.log")
	logFile, err := os.OpenFile(logPath, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	defer logFile.Close()
	cmd := exec.Command(filepath.Join(p.binDir, "postgres"),
		"-D", dataDir, "-p", strconv.Itoa(p.port), "-k", p.dir,
		"-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_permissions=0700",
		"-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
		"-c", "max_connections=500") // one server for every package of a go test ./...
	cmd.Env = serverEnv()
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = serverProcAttr(p.cred)

	// The kernel sends the parent-death signal when the *thread* that started
	// the child exits, so start it from a goroutine that holds its thread for
	// as long as the child runs.
	started, exit := make(chan error, 1), &exitStatus{done: make(chan struct{})}
	go func() {
		runtime.LockOSThread()
		if err := cmd.Start(); err != nil {
			started <- err
			return
		}
		started <- nil
		exit.err = cmd.Wait()
		close(exit.done)
	}()
	if err := <-started; err != nil {
		return fmt.Errorf("start postgres: %w", err)
	}
	p.cmd, p.exit = cmd, exit
	if err := waitPostmasterReady(ctx, dataDir, exit, 30*time.Second); err != nil {
		p.stop()
		log, _ := os.ReadFile(logPath)
		if strings.Contains(string(log), "could not bind") || strings.Contains(string(log), "Address already in use") {
			return errPortTaken
		}
		return fmt.Errorf("postgres in %s: %w; its log:\n%s", p.dir, err, log)
	}
	return nil
}

// stop shuts the postmaster down (fast: open sessions are ended) and waits
// for it to exit.
func (p *postmaster) stop() {
	if p.cmd == nil {
		return
	}
	_ = p.cmd.Process.Signal(syscall.SIGINT)
	select {
	case <-p.exit.done:
	case <-time.After(10 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.exit.done
	}
	p.cmd = nil
	os.Remove(filepath.Join(p.dir, "data", "postmaster.pid"))
}

// restartLocal brings a local cluster whose postmaster died (or hangs)
// back in place, on its port. A postmaster that died left its shared
// memory behind (in /dev/shm): PostgreSQL, starting on the same data
// directory, finds the dead one's segment by the directory's key and
// removes it with the dynamic segments it names. The dead postmaster's
// children may hold that memory for a moment after it died: the start is
// tried again until they have gone.
func (s *Server) restartLocal(ctx context.Context) error {
	if s.local == nil {
		return fmt.Errorf("only a local cluster restarts in place; this one is %s", s.source)
	}
	p := s.local
	if p.exited() {
		// Died: its lock file still says "ready", which the next start
		// must not read as its own.
		p.cmd = nil
		_ = os.Remove(filepath.Join(p.dir, "data", "postmaster.pid"))
	} else {
		p.stop() // hangs: shut it down, which frees its memory
	}
	var err error
	for attempt := 0; attempt < 10; attempt++ {
		if err = p.start(ctx); err == nil {
			return s.ready(ctx, 10*time.Second, false)
		}
		if ctx.Err() != nil {
			break
		}
		time.Sleep(300 * time.Millisecond)
	}
	return err
}

// Pause stops a local server, keeping its data, as an outage would: every
// connection to it fails until Resume. Only the local source can pause.
func (s *Server) Pause(ctx context.Context) error {
	if s.local == nil {
		return fmt.Errorf("only a local server can pause; this one is %s", s.source)
	}
	s.local.stop()
	return nil
}

// Resume starts a paused local server again, on the same port.
func (s *Server) Resume(ctx context.Context) error {
	if s.local == nil {
		return fmt.Errorf("only a local server can resume; this one is %s", s.source)
	}
	if err := s.local.start(ctx); err != nil {
		return fmt.Errorf("resume: %w", err)
	}
	return s.ready(ctx, 10*time.Second, true)
}

// waitPostmasterReady waits until the postmaster reports "ready" in
// postmaster.pid, as pg_ctl -w does, or exits, or the timeout passes.
func waitPostmasterReady(ctx context.Context, dataDir string, exit *exitStatus, timeout time.Duration) error {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for {
		if b, err := os.ReadFile(filepath.Join(dataDir, "postmaster.pid")); err == nil {
			lines := strings.Split(string(b), "\n")
			// Line 8 holds the status: "starting", "ready", "stopping".
			if len(lines) > 7 && strings.TrimSpace(lines[7]) == "ready" {
				return nil
			}
		}
		select {
		case <-exit.done:
			return fmt.Errorf("exited during start-up (%v)", exit.err)
		case <-deadline.C:
			return fmt.Errorf("not ready after %s", timeout)
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
	}
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// sweepLocal removes the clusters of harness processes that died without
// removing them, stopping any postmaster still running there.
func sweepLocal(logf func(string, ...any)) {
	for _, base := range []string{tempBase(), os.TempDir()} {
		dirs, _ := filepath.Glob(filepath.Join(base, localPrefix+"*"))
		for _, dir := range dirs {
			b, err := os.ReadFile(filepath.Join(dir, "owner"))
			if err != nil {
				continue // still being set up, or not ours
			}
			o, ok := owner.Parse(string(b))
			if !ok || !o.Gone() {
				continue
			}
			if logf != nil {
				logf("pgenv: removing cluster %s left by process %d", dir, o.PID)
			}
			stopStrayPostmaster(filepath.Join(dir, "data"))
			os.RemoveAll(dir)
		}
	}
}

// stopStrayPostmaster stops the postmaster of dataDir if one still runs there
// (outside Linux no parent-death signal stopped it).
func stopStrayPostmaster(dataDir string) {
	b, err := os.ReadFile(filepath.Join(dataDir, "postmaster.pid"))
	if err != nil {
		return
	}
	pid, err := strconv.Atoi(strings.TrimSpace(strings.SplitN(string(b), "\n", 2)[0]))
	if err != nil || pid <= 0 {
		return
	}
	// Only signal the pid if it is still the postmaster of this directory.
	if cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid)); err != nil || !strings.Contains(string(cmdline), dataDir) {
		return
	}
	_ = syscall.Kill(pid, syscall.SIGQUIT)
	for i := 0; i < 100 && syscall.Kill(pid, 0) == nil; i++ {
		time.Sleep(10 * time.Millisecond)
	}
}
