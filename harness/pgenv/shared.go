package pgenv

// A shared server is used by several processes at once — the packages of
// one go test ./..., and, on request, the runs after it — and outlives the
// process that asked for it first.
//
// It belongs to a keeper: a process of its own (this program, started again
// in keeper mode) that starts the server, owns it as Start's caller would
// (the owner labels of its container, the owner file of its local cluster,
// the parent-death signal of its postmaster), and stops it once nobody has
// used it for a while. Users hold a shared lock on a lease file while they
// use it; the keeper decides under an exclusive gate lock, which Attach also
// takes, so that no user arrives while it stops the server. A user killed
// outright drops its lease with its process; a keeper killed outright takes
// its local server with it, and its container is swept as any dead owner's.
//
// Everything lives in a folder per configuration (source, image, binaries,
// cache, Docker host, user): server.json (how to reach it, password included; the
// folder is the user's alone), config.json (what the keeper starts), keep
// (how long it may stay unused, when a user asked to keep it), keeper.log,
// memo/ (what the runs computed once for the next ones: Remember).

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/appydex/smoke/harness/owner"
)

// ShareOptions say how long a shared server stays after its last user.
type ShareOptions struct {
	// Keep leaves the server running after its last user, for Idle, so that
	// the next run attaches instead of starting one (SMOKE_REUSE).
	Keep bool
	// Idle is how long a kept server may stay unused before its keeper
	// stops it; 0 means DefaultIdle.
	Idle time.Duration
}

// DefaultIdle is how long a kept server waits for its next user.
const DefaultIdle = 30 * time.Minute

// Linger is how long a server that was not asked to be kept waits for
// another user once the last one left: the next package of the same
// go test ./... is usually already built and starting.
const Linger = 5 * time.Second

const (
	envKeeper     = "SMOKE_PG_KEEPER" // the folder of the server this process is to keep
	sharedRecipe  = "pgenv-shared-v1"
	sharedDirName = "appydex-smoke-shared"
)

// keepers is set by ServeIfKeeper: this program can be started again as a
// keeper. Without it Attach starts a server of the caller's own.
var keepers atomic.Bool

// ServeIfKeeper makes this program able to keep shared servers: call it
// first thing in main (or TestMain). In a process Attach started as a
// keeper, it keeps the server and exits; elsewhere it returns at once.
func ServeIfKeeper() {
	keepers.Store(true)
	dir := os.Getenv(envKeeper)
	if dir == "" {
		return
	}
	os.Exit(keep(dir))
}

// sharedState is server.json: how users reach the server.
type sharedState struct {
	Recipe      string `json:"recipe"`
	Source      Source `json:"source"`
	Admin       string `json:"admin_url"`
	Version     string `json:"version"`
	Where       string `json:"where"`
	ContainerID string `json:"container_id,omitempty"`
	Keeper      string `json:"keeper"` // owner.Owner of the keeper
}

// SharedBase is the folder holding the shared servers' folders:
// cfg.SharedDir, or appydex-smoke-shared in /dev/shm (else the temporary
// folder).
func SharedBase(cfg Config) string {
	if cfg.SharedDir != "" {
		return cfg.SharedDir
	}
	return filepath.Join(tempBase(), sharedDirName)
}

// sharedDir is the folder of the shared server for cfg.
func sharedDir(cfg Config) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%s\x00%s\x00%s\x00%s\x00%s\x00%d", sharedRecipe, cfg.Chosen(), cfg.Image, cfg.BinDir, cfg.CacheDir, cfg.DockerHost, os.Getuid())
	return filepath.Join(SharedBase(cfg), hex.EncodeToString(h.Sum(nil))[:16])
}

// Shareable reports whether Attach would share a server for cfg (else it
// starts one of the caller's own): not for an external server, which is
// shared already, nor one on a Docker network, nor in a program that did
// not call ServeIfKeeper.
func Shareable(cfg Config) bool {
	return keepers.Load() && cfg.Chosen() != External && cfg.Network == ""
}

// Attach returns the shared server for cfg, starting it (through a keeper)
// when none runs. Close ends this process's use of it: it drops the
// databases this process made, and leaves the server to its keeper. Where
// the server cannot be shared (Shareable), Attach is Start.
func Attach(ctx context.Context, cfg Config, opts ShareOptions) (*Server, error) {
	if !Shareable(cfg) {
		return Start(ctx, cfg)
	}
	dir := sharedDir(cfg)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("shared server folder: %w", err)
	}
	gate, err := flockWait(ctx, filepath.Join(dir, "gate"), syscall.LOCK_EX)
	if err != nil {
		return nil, err
	}
	defer gate.Close()
	if opts.Keep {
		idle := opts.Idle
		if idle <= 0 {
			idle = DefaultIdle
		}
		// The longest wish holds: a later user's shorter one does not cut it.
		if old, err := readKeep(dir); err != nil || old < idle {
			if err := os.WriteFile(filepath.Join(dir, "keep"), []byte(idle.String()), 0o600); err != nil {
				return nil, err
			}
		}
	}

	srv, err := attachRunning(ctx, dir, cfg)
	if err != nil {
		return nil, err
	}
	if srv == nil {
		if srv, err = startKeeper(ctx, dir, cfg); err != nil {
			return nil, err
		}
	}
	lease, err := os.OpenFile(filepath.Join(dir, "lease"), os.O_RDWR|os.O_CREATE, 0o600)
	if err == nil {
		err = syscall.Flock(int(lease.Fd()), syscall.LOCK_SH)
	}
	if err != nil {
		srv.Close(ctx)
		return nil, fmt.Errorf("lease the shared server: %w", err)
	}
	srv.lease = lease
	srv.log = cfg.Logf
	srv.memoDir = filepath.Join(dir, memoDirName)
	cfg.logf("pgenv: attached to the shared %s", srv)
	return srv, nil
}

// attachRunning connects to the server the folder's keeper runs, or
// returns nil when there is none (a keeper gone, a server that does not
// answer: what is left is cleared for a new one).
func attachRunning(ctx context.Context, dir string, cfg Config) (*Server, error) {
	st, err := readState(dir)
	if err != nil {
		return nil, nil
	}
	keeper, ok := owner.Parse(st.Keeper)
	if ok && !keeper.Gone() && st.Recipe == sharedRecipe {
		// Its keeper runs, and others may be using it: a server that does
		// not answer is an error to report, never one to stop.
		var err error
		for try := 0; try < 5; try++ {
			var srv *Server
			if srv, err = fromState(ctx, st); err == nil {
				return srv, nil
			}
			if ctx.Err() != nil {
				break
			}
			time.Sleep(time.Duration(try+1) * 200 * time.Millisecond)
		}
		return nil, fmt.Errorf("the shared PostgreSQL (%s, keeper process %d) does not answer: %w; its keeper's log: %s; "+
			"smoke down stops it once unused, and %s=0 gives each process a server of its own",
			st.Where, keeper.PID, err, filepath.Join(dir, "keeper.log"), EnvShare)
	}
	cfg.logf("pgenv: clearing the shared server's folder %s (its keeper is gone)", dir)
	return nil, os.Remove(filepath.Join(dir, "server.json"))
}

func fromState(ctx context.Context, st sharedState) (*Server, error) {
	admin, err := url.Parse(st.Admin)
	if err != nil {
		return nil, err
	}
	s := &Server{source: st.Source, where: st.Where + ", shared", containerID: st.ContainerID, admin: admin, attached: true}
	if err := s.ready(ctx, 3*time.Second, false); err != nil {
		s.Close(ctx)
		return nil, err
	}
	return s, nil
}

// startKeeper starts this program again as the folder's keeper and waits
// for its server.
func startKeeper(ctx context.Context, dir string, cfg Config) (*Server, error) {
	conf := cfg
	conf.Logf = nil
	b, err := json.Marshal(conf)
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(dir, "config.json"), b, 0o600); err != nil {
		return nil, err
	}
	_ = os.Remove(filepath.Join(dir, "error"))
	self, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("start a keeper for the shared server: %w", err)
	}
	logFile, err := os.OpenFile(filepath.Join(dir, "keeper.log"), os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return nil, err
	}
	defer logFile.Close()
	cmd := exec.Command(self)
	cmd.Env = append(os.Environ(), envKeeper+"="+dir)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	// Its own session: a Ctrl-C at the terminal stops the users, not it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start a keeper for the shared server: %w", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	cfg.logf("pgenv: started keeper %d for a shared server in %s", cmd.Process.Pid, dir)

	deadline := time.After(containerTimeout + 30*time.Second)
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		if st, err := readState(dir); err == nil {
			return fromState(ctx, st)
		}
		select {
		case err := <-exited:
			msg, _ := os.ReadFile(filepath.Join(dir, "error"))
			if len(msg) == 0 {
				msg, _ = os.ReadFile(filepath.Join(dir, "keeper.log"))
			}
			return nil, fmt.Errorf("the shared server's keeper exited (%v): %s", err, strings.TrimSpace(string(msg)))
		case <-ctx.Done():
			_ = cmd.Process.Signal(syscall.SIGTERM)
			return nil, ctx.Err()
		case <-deadline:
			_ = cmd.Process.Signal(syscall.SIGTERM)
			return nil, fmt.Errorf("the shared server's keeper (process %d) had no server ready in time; its log: %s", cmd.Process.Pid, filepath.Join(dir, "keeper.log"))
		case <-tick.C:
		}
	}
}

// keep is the keeper: it starts the server, publishes it, and stops it
// once no user has held the lease for the linger time (or the keep time),
// or when told to (SIGTERM, SIGINT). It returns the exit code.
func keep(dir string) int {
	logf := func(format string, args ...any) {
		fmt.Fprintf(os.Stderr, time.Now().Format("15:04:05.000 ")+format+"\n", args...)
	}
	fail := func(err error) int {
		logf("keeper: %v", err)
		_ = os.WriteFile(filepath.Join(dir, "error"), []byte(err.Error()), 0o600)
		return 1
	}
	b, err := os.ReadFile(filepath.Join(dir, "config.json"))
	if err != nil {
		return fail(err)
	}
	var cfg Config
	if err := json.Unmarshal(b, &cfg); err != nil {
		return fail(err)
	}
	cfg.Logf = logf
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)

	ctx, cancel := context.WithTimeout(context.Background(), containerTimeout+20*time.Second)
	srv, err := Start(ctx, cfg)
	cancel()
	if err != nil {
		return fail(err)
	}
	closeServer := func() int {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		_ = os.Remove(filepath.Join(dir, "server.json"))
		if err := removeMemo(dir); err != nil {
			logf("keeper: forget what the runs kept: %v", err)
		}
		if err := srv.Close(ctx); err != nil {
			logf("keeper: stop the server: %v", err)
			return 1
		}
		logf("keeper: stopped the server")
		return 0
	}
	st := sharedState{Recipe: sharedRecipe, Source: srv.source, Admin: srv.admin.String(), Version: srv.version,
		Where: srv.where, ContainerID: srv.containerID, Keeper: owner.Current().String()}
	if err := writeState(dir, st); err != nil {
		closeServer()
		return fail(err)
	}
	logf("keeper: serving %s", srv)

	idleSince := time.Now()
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	health := time.NewTicker(5 * time.Second)
	defer health.Stop()
	for {
		select {
		case sig := <-stop:
			logf("keeper: %v: stopping", sig)
			return closeServer()
		case <-health.C:
			// A server that died under its users is not served on: the
			// next user starts another.
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			err := srv.ready(ctx, 5*time.Second, false)
			cancel()
			if err != nil {
				logf("keeper: the server does not answer (%v): stopping", err)
				closeServer()
				return 1
			}
			continue
		case <-tick.C:
		}
		if inUse(dir) {
			idleSince = time.Now()
			continue
		}
		linger := Linger
		if d, err := readKeep(dir); err == nil {
			linger = d
		}
		if time.Since(idleSince) < linger {
			continue
		}
		// Decide under the gate: no user may arrive while the server stops.
		gate, err := flockTry(filepath.Join(dir, "gate"), syscall.LOCK_EX)
		if err != nil {
			continue // a user is attaching
		}
		if inUse(dir) {
			gate.Close()
			idleSince = time.Now()
			continue
		}
		logf("keeper: unused for %s: stopping", time.Since(idleSince).Round(time.Second))
		code := closeServer()
		_ = os.Remove(filepath.Join(dir, "keep"))
		gate.Close()
		return code
	}
}

// inUse reports whether a user holds the lease.
func inUse(dir string) bool {
	f, err := flockTry(filepath.Join(dir, "lease"), syscall.LOCK_EX)
	if err != nil {
		return true
	}
	f.Close()
	return false
}

// StopShared stops every shared server no process uses now, as `smoke
// down` does, and says what it did; a server in use is left, and named.
func StopShared(ctx context.Context, cfg Config) (stopped, inUseNow []string, err error) {
	dirs, _ := filepath.Glob(filepath.Join(SharedBase(cfg), "*"))
	for _, dir := range dirs {
		what, used, serr := StopSharedIn(ctx, dir)
		switch {
		case serr != nil:
			err = errors.Join(err, serr)
		case used:
			inUseNow = append(inUseNow, what)
		case what != "":
			stopped = append(stopped, what)
		}
	}
	return stopped, inUseNow, err
}

// StopSharedIn stops the shared server of one folder (of SharedBase) unless
// a process uses it. what describes the server ("" when none ran there).
// The folder and its lock files stay: a process may be waiting on them.
func StopSharedIn(ctx context.Context, dir string) (what string, inUseNow bool, err error) {
	st, serr := readState(dir)
	if serr != nil {
		return "", false, nil
	}
	what = fmt.Sprintf("PostgreSQL %s (%s)", st.Version, st.Where)
	gate, err := flockWait(ctx, filepath.Join(dir, "gate"), syscall.LOCK_EX)
	if err != nil {
		return what, false, err
	}
	defer gate.Close()
	if inUse(dir) {
		return what, true, nil
	}
	if keeper, ok := owner.Parse(st.Keeper); ok && !keeper.Gone() {
		_ = syscall.Kill(keeper.PID, syscall.SIGTERM)
		if !waitGone(keeper, time.Minute) {
			return what, false, fmt.Errorf("the keeper of %s (process %d) did not stop", what, keeper.PID)
		}
	}
	for _, f := range []string{"server.json", "keep", "error"} {
		if err := os.Remove(filepath.Join(dir, f)); err != nil && !errors.Is(err, os.ErrNotExist) {
			return what, false, err
		}
	}
	return what, false, removeMemo(dir)
}

func waitGone(o owner.Owner, timeout time.Duration) bool {
	deadline := time.Now().Add(timeout)
	for !o.Gone() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(20 * time.Millisecond)
	}
	return true
}

func readState(dir string) (sharedState, error) {
	var st sharedState
	b, err := os.ReadFile(filepath.Join(dir, "server.json"))
	if err != nil {
		return st, err
	}
	return st, json.Unmarshal(b, &st)
}

// writeState writes server.json whole or not at all.
func writeState(dir string, st sharedState) error {
	b, err := json.Marshal(st)
	if err != nil {
		return err
	}
	tmp := filepath.Join(dir, "server.json.tmp")
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, filepath.Join(dir, "server.json"))
}

func readKeep(dir string) (time.Duration, error) {
	b, err := os.ReadFile(filepath.Join(dir, "keep"))
	if err != nil {
		return 0, err
	}
	return time.ParseDuration(strings.TrimSpace(string(b)))
}

// flockTry takes a lock on path (created if missing) if it is free.
func flockTry(path string, how int) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), how|syscall.LOCK_NB); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// flockWait takes a lock on path, waiting for it until ctx ends.
func flockWait(ctx context.Context, path string, how int) (*os.File, error) {
	for {
		f, err := flockTry(path, how)
		if err == nil {
			return f, nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("lock %s: %w", path, err)
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("wait for %s: %w", path, ctx.Err())
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// SharedServers describes the shared servers of this machine's user, for
// `smoke down` and troubleshooting: one line each.
func SharedServers(cfg Config) []string {
	var out []string
	dirs, _ := filepath.Glob(filepath.Join(SharedBase(cfg), "*"))
	for _, dir := range dirs {
		st, err := readState(dir)
		if err != nil {
			continue
		}
		line := fmt.Sprintf("PostgreSQL %s (%s)", st.Version, st.Where)
		if inUse(dir) {
			line += ", in use"
		}
		if d, err := readKeep(dir); err == nil {
			line += ", kept while unused for " + d.String()
		}
		if o, ok := owner.Parse(st.Keeper); ok {
			line += ", keeper process " + strconv.Itoa(o.PID)
		}
		out = append(out, line)
	}
	return out
}
