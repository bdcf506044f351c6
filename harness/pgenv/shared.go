package pgenv

// A shared server is used by several processes at once — the packages of
// one go test ./..., and, on request, the runs after it — and outlives the
// process that asked for it first.
//
// It belongs to a keeper (package keeper): this program, started again in
// keeper mode, that starts the server, owns it as Start's caller would
// (the owner labels of its container, the owner file of its local cluster,
// the parent-death signal of its postmaster), and stops it once nobody has
// used it for a while. A keeper killed outright takes its local server with
// it, and its container is swept as any dead owner's.
//
// Its folder, one per configuration (source, image, binaries, cache,
// Docker host, user), holds the keeper's files — the state is how to reach
// the server, password included (the folder is the user's alone) — and
// memo/, what the runs computed once for the next ones (Remember).

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/appydex/smoke/harness/owner"
	"github.com/appydex/smoke/harness/pgenv/keeper"
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
	os.Exit(keep(keeper.Folder(dir)))
}

// sharedState is the keeper's state: how users reach the server.
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
func sharedDir(cfg Config) keeper.Folder {
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%s\x00%s\x00%s\x00%s\x00%s\x00%d", sharedRecipe, cfg.Chosen(), cfg.Image, cfg.BinDir, cfg.CacheDir, cfg.DockerHost, os.Getuid())
	return keeper.Folder(filepath.Join(SharedBase(cfg), hex.EncodeToString(h.Sum(nil))[:16]))
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
	if err := os.MkdirAll(string(dir), 0o700); err != nil {
		return nil, fmt.Errorf("shared server folder: %w", err)
	}
	gate, err := dir.Gate(ctx)
	if err != nil {
		return nil, err
	}
	defer gate.Close()
	if opts.Keep {
		idle := opts.Idle
		if idle <= 0 {
			idle = DefaultIdle
		}
		if err := dir.KeepAtLeast(idle); err != nil {
			return nil, err
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
	lease, err := dir.Lease()
	if err != nil {
		srv.Close(ctx)
		return nil, fmt.Errorf("lease the shared server: %w", err)
	}
	srv.lease = lease
	srv.log = cfg.Logf
	srv.memoDir = dir.Path(memoDirName)
	cfg.logf("pgenv: attached to the shared %s", srv)
	return srv, nil
}

// attachRunning connects to the server the folder's keeper runs, or
// returns nil when there is none (a keeper gone, a server that does not
// answer: what is left is cleared for a new one).
func attachRunning(ctx context.Context, dir keeper.Folder, cfg Config) (*Server, error) {
	var st sharedState
	if err := dir.ReadState(&st); err != nil {
		return nil, nil
	}
	keeperOf, ok := owner.Parse(st.Keeper)
	if ok && !keeperOf.Gone() && st.Recipe == sharedRecipe {
		// Its keeper runs, and others may be using it: a server that does
		// not answer is never one to stop here. Its keeper is asked to
		// check it now — and to restart it in place when its server died
		// (a local cluster) — rather than at its next round.
		var err error
		deadline := time.Now().Add(15 * time.Second)
		for try := 0; ; try++ {
			var srv *Server
			if srv, err = fromState(ctx, st); err == nil {
				if try > 0 {
					cfg.logf("pgenv: the shared server answers again, restarted by its keeper")
				}
				return srv, nil
			}
			if try == 0 && !keeperOf.Gone() { // looked at again: its PID must still be the keeper's
				cfg.logf("pgenv: the shared server does not answer (%v): asking its keeper %d to check it", err, keeperOf.PID)
				_ = keeper.Check(keeperOf.PID)
			}
			if keeperOf.Gone() {
				cfg.logf("pgenv: its keeper stopped it; starting another")
				if err := os.Remove(dir.Path(keeper.FileState)); err != nil && !errors.Is(err, fs.ErrNotExist) {
					return nil, err
				}
				return nil, nil
			}
			if ctx.Err() != nil || time.Now().After(deadline) {
				break
			}
			time.Sleep(200 * time.Millisecond)
		}
		return nil, fmt.Errorf("the shared PostgreSQL (%s, keeper process %d) does not answer: %w; its keeper's log: %s; "+
			"smoke down stops it once unused, and %s=0 gives each process a server of its own",
			st.Where, keeperOf.PID, err, dir.Path(keeper.FileLog), EnvShare)
	}
	cfg.logf("pgenv: clearing the shared server's folder %s (its keeper is gone)", dir)
	return nil, os.Remove(dir.Path(keeper.FileState))
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
func startKeeper(ctx context.Context, dir keeper.Folder, cfg Config) (*Server, error) {
	conf := cfg
	conf.Logf = nil
	pid, err := keeper.Spawn(ctx, dir, envKeeper, conf, containerTimeout+30*time.Second)
	if err != nil {
		return nil, fmt.Errorf("the shared server's keeper: %w", err)
	}
	cfg.logf("pgenv: started keeper %d for a shared server in %s", pid, dir)
	var st sharedState
	if err := dir.ReadState(&st); err != nil {
		return nil, err
	}
	return fromState(ctx, st)
}

// keep is the keeper: it starts the server, publishes it, and keeps it
// (keeper.Folder.Serve). It returns the exit code.
func keep(dir keeper.Folder) int {
	logf := func(format string, args ...any) {
		fmt.Fprintf(os.Stderr, time.Now().Format("15:04:05.000 ")+format+"\n", args...)
	}
	var cfg Config
	if err := dir.Config(&cfg); err != nil {
		return dir.Fail(logf, err)
	}
	cfg.Logf = logf
	ctx, cancel := context.WithTimeout(context.Background(), containerTimeout+20*time.Second)
	srv, err := Start(ctx, cfg)
	cancel()
	if err != nil {
		return dir.Fail(logf, err)
	}
	stop := func() int {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		_ = os.Remove(dir.Path(keeper.FileState))
		if err := removeMemo(string(dir)); err != nil {
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
	if err := dir.WriteState(st); err != nil {
		stop()
		return dir.Fail(logf, err)
	}
	logf("keeper: serving %s", srv)
	healthy := func() error {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		return srv.ready(ctx, 5*time.Second, false)
	}
	res := keeper.Resource{Healthy: healthy, Stop: stop}
	if srv.local != nil {
		res.Restart = func() error {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			return srv.restartLocal(ctx)
		}
	}
	return dir.Serve(res, Linger, logf)
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
func StopSharedIn(ctx context.Context, folder string) (what string, inUseNow bool, err error) {
	dir := keeper.Folder(folder)
	var st sharedState
	if err := dir.ReadState(&st); err != nil {
		return "", false, nil
	}
	what = fmt.Sprintf("PostgreSQL %s (%s)", st.Version, st.Where)
	gate, err := dir.Gate(ctx)
	if err != nil {
		return what, false, err
	}
	defer gate.Close()
	if dir.InUse() {
		return what, true, dir.StopWhenUnused()
	}
	if keeper, ok := owner.Parse(st.Keeper); ok && !keeper.Gone() {
		_ = syscall.Kill(keeper.PID, syscall.SIGTERM)
		if !waitGone(keeper, time.Minute) {
			return what, false, fmt.Errorf("the keeper of %s (process %d) did not stop", what, keeper.PID)
		}
	}
	if err := dir.Forget(); err != nil {
		return what, false, err
	}
	return what, false, removeMemo(string(dir))
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

// SharedServers describes the shared servers of this machine's user, for
// `smoke down` and troubleshooting: one line each.
func SharedServers(cfg Config) []string {
	var out []string
	dirs, _ := filepath.Glob(filepath.Join(SharedBase(cfg), "*"))
	for _, d := range dirs {
		dir := keeper.Folder(d)
		var st sharedState
		if err := dir.ReadState(&st); err != nil {
			continue
		}
		line := fmt.Sprintf("PostgreSQL %s (%s)", st.Version, st.Where)
		if dir.InUse() {
			line += ", in use"
		}
		if d, err := dir.Keep(); err == nil {
			line += ", kept while unused for " + d.String()
		}
		if o, ok := owner.Parse(st.Keeper); ok {
			line += ", keeper process " + strconv.Itoa(o.PID)
		}
		out = append(out, line)
	}
	return out
}
