// Package keeper is how a resource — a PostgreSQL server, for pgenv — is
// shared by several processes and outlives the one that asked for it
// first: a keeper process (the program started again) holds it, its users
// hold a lease on it, and the keeper lets it go once nobody has used it
// for a while.
//
// Everything lives in a Folder, a file per job (the names below):
// the gate, an exclusive lock under which a user arrives and the keeper
// decides to stop, so that no user arrives as it stops; the lease, a lock
// each user holds shared while it uses the resource; keep, how long it may
// stay unused when a user asked to keep it; the state, how users reach it
// (JSON, written whole or not at all); the config, what the keeper starts;
// error, why a keeper could not start it; the keeper's log.
//
// A user killed outright drops its lease with its process. The package
// knows nothing of what is kept: the caller starts it, checks it and
// stops it (Serve's arguments).
package keeper

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// The files of a keeper's folder.
const (
	FileGate   = "gate"
	FileLease  = "lease"
	FileKeep   = "keep"
	FileStop   = "stop" // smoke down asked: stop as soon as unused
	FileState  = "server.json"
	FileConfig = "config.json"
	FileError  = "error"
	FileLog    = "keeper.log"
)

// Folder is a keeper's folder.
type Folder string

// Path is the path of one of the folder's files.
func (d Folder) Path(file string) string { return filepath.Join(string(d), file) }

// Gate takes the folder's gate, waiting for it until ctx ends; close the
// file to let it go.
func (d Folder) Gate(ctx context.Context) (*os.File, error) {
	return flockWait(ctx, d.Path(FileGate), syscall.LOCK_EX)
}

// Lease takes a user's shared lease on the resource; close the file when
// done with it.
func (d Folder) Lease() (*os.File, error) {
	f, err := os.OpenFile(d.Path(FileLease), os.O_RDWR|os.O_CREATE, 0o600)
	if err == nil {
		if err = syscall.Flock(int(f.Fd()), syscall.LOCK_SH); err != nil {
			f.Close()
		}
	}
	if err != nil {
		return nil, fmt.Errorf("lease %s: %w", d.Path(FileLease), err)
	}
	return f, nil
}

// InUse reports whether a user holds the lease.
func (d Folder) InUse() bool {
	f, err := flockTry(d.Path(FileLease), syscall.LOCK_EX)
	if err != nil {
		return true
	}
	f.Close()
	return false
}

// Keep is how long the resource may stay unused, when a user asked to
// keep it (an error when none did).
func (d Folder) Keep() (time.Duration, error) {
	b, err := os.ReadFile(d.Path(FileKeep))
	if err != nil {
		return 0, err
	}
	return time.ParseDuration(strings.TrimSpace(string(b)))
}

// KeepAtLeast asks that the resource stay unused for idle before its
// keeper lets it go: the longest wish holds, a later user's shorter one
// does not cut it. Call it under the gate.
func (d Folder) KeepAtLeast(idle time.Duration) error {
	// A user who asks to keep it now outweighs an earlier ask to stop.
	if err := os.Remove(d.Path(FileStop)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	if old, err := d.Keep(); err == nil && old >= idle {
		return nil
	}
	return os.WriteFile(d.Path(FileKeep), []byte(idle.String()), 0o600)
}

// ReadState reads the state the keeper published into v.
func (d Folder) ReadState(v any) error { return d.ReadJSON(FileState, v) }

// WriteState publishes v as the state, whole or not at all.
func (d Folder) WriteState(v any) error { return d.WriteJSON(FileState, v) }

// ReadJSON reads the folder's file into v.
func (d Folder) ReadJSON(file string, v any) error {
	b, err := os.ReadFile(d.Path(file))
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}

// WriteJSON writes v as the folder's file, whole or not at all: a reader
// sees the old file or the new one.
func (d Folder) WriteJSON(file string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	tmp := d.Path(file + ".tmp")
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, d.Path(file))
}

// Forget removes what says a resource is kept — its state, the wish to
// keep it, a keeper's error — leaving the locks, on which a process may
// be waiting.
func (d Folder) Forget() error {
	var errs []error
	for _, f := range []string{FileState, FileKeep, FileStop, FileError} {
		if err := os.Remove(d.Path(f)); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Spawn starts this program again as the folder's keeper — with env set
// to the folder, for the program to call Serve — giving it config, and
// waits until it published its state or exited (its error then), for at
// most timeout. ctx ending stops it.
func Spawn(ctx context.Context, d Folder, env string, config any, timeout time.Duration) (pid int, err error) {
	b, err := json.Marshal(config)
	if err != nil {
		return 0, err
	}
	if err := os.WriteFile(d.Path(FileConfig), b, 0o600); err != nil {
		return 0, err
	}
	_ = os.Remove(d.Path(FileError))
	self, err := os.Executable()
	if err != nil {
		return 0, fmt.Errorf("start a keeper: %w", err)
	}
	logFile, err := os.OpenFile(d.Path(FileLog), os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return 0, err
	}
	defer logFile.Close()
	cmd := exec.Command(self)
	cmd.Env = append(os.Environ(), env+"="+string(d))
	cmd.Stdout, cmd.Stderr = logFile, logFile
	// Its own session: a Ctrl-C at the terminal stops the users, not it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		return 0, fmt.Errorf("start a keeper: %w", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	deadline := time.After(timeout)
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		if _, err := os.Stat(d.Path(FileState)); err == nil {
			return cmd.Process.Pid, nil
		}
		select {
		case err := <-exited:
			msg, _ := os.ReadFile(d.Path(FileError))
			if len(msg) == 0 {
				msg, _ = os.ReadFile(d.Path(FileLog))
			}
			return 0, fmt.Errorf("the keeper exited (%v): %s", err, strings.TrimSpace(string(msg)))
		case <-ctx.Done():
			_ = cmd.Process.Signal(syscall.SIGTERM)
			return 0, ctx.Err()
		case <-deadline:
			_ = cmd.Process.Signal(syscall.SIGTERM)
			return 0, fmt.Errorf("the keeper (process %d) had nothing ready in time; its log: %s", cmd.Process.Pid, d.Path(FileLog))
		case <-tick.C:
		}
	}
}

// Config reads the config Spawn gave the keeper into v.
func (d Folder) Config(v any) error {
	b, err := os.ReadFile(d.Path(FileConfig))
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}

// Fail records why the keeper could not start the resource, for Spawn to
// report, and returns the keeper's exit code.
func (d Folder) Fail(logf func(string, ...any), err error) int {
	logf("keeper: %v", err)
	_ = os.WriteFile(d.Path(FileError), []byte(err.Error()), 0o600)
	return 1
}

// How often the keeper looks at the lease, and at the resource's health.
const (
	leaseEvery  = 200 * time.Millisecond
	healthEvery = 5 * time.Second
)

// Resource is what a keeper keeps, once started and published.
type Resource struct {
	// Healthy says whether the resource still answers: one that died
	// under its users is restarted (Restart) or, when it cannot be, not
	// served on, and the next user starts another.
	Healthy func() error
	// Restart brings a resource that stopped answering back, in place;
	// nil when it cannot be.
	Restart func() error
	// Stop stops it and returns the keeper's exit code.
	Stop func() int
	// Unused, when not nil, is called whenever the keeper looks and finds
	// no user: the time to prepare for the next one. It should not take
	// long: the keeper looks again when it returns.
	Unused func()
}

// StopWhenUnused asks the keeper to let the resource go as soon as no user
// holds the lease, without lingering for the idle time (smoke down on a
// resource in use). A later KeepAtLeast takes the ask back.
func (d Folder) StopWhenUnused() error {
	return os.WriteFile(d.Path(FileStop), nil, 0o600)
}

func (d Folder) stopAsked() bool {
	_, err := os.Stat(d.Path(FileStop))
	return err == nil
}

// Serve keeps r until no user has held the lease for linger (or for what
// a user asked to keep it: Keep), until it is unhealthy and cannot be
// restarted, or until the keeper is told to stop (SIGTERM, SIGINT). It
// checks r's health every few seconds, and at once on SIGUSR1 (Check).
// It returns the exit code.
func (d Folder) Serve(r Resource, linger time.Duration, logf func(string, ...any)) int {
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)
	defer signal.Stop(stop)
	// A Go program catches SIGUSR1 and does nothing with it until asked:
	// an ask that comes before this line is lost, never fatal.
	checkNow := make(chan os.Signal, 1)
	signal.Notify(checkNow, syscall.SIGUSR1)
	defer signal.Stop(checkNow)
	idleSince := time.Now()
	tick := time.NewTicker(leaseEvery)
	defer tick.Stop()
	health := time.NewTicker(healthEvery)
	defer health.Stop()
	for {
		select {
		case sig := <-stop:
			logf("keeper: %v: stopping", sig)
			return r.Stop()
		case <-health.C:
			if !d.healthy(r, logf) {
				return 1
			}
			continue
		case <-checkNow:
			if !d.healthy(r, logf) {
				return 1
			}
			continue
		case <-tick.C:
		}
		if d.InUse() {
			idleSince = time.Now()
			continue
		}
		if r.Unused != nil {
			r.Unused()
		}
		wait := linger
		if keep, err := d.Keep(); err == nil {
			wait = keep
		}
		if d.stopAsked() {
			wait = 0
		}
		if time.Since(idleSince) < wait {
			continue
		}
		// Decide under the gate: no user may arrive while it stops.
		gate, err := flockTry(d.Path(FileGate), syscall.LOCK_EX)
		if err != nil {
			continue // a user is arriving
		}
		if d.InUse() {
			gate.Close()
			idleSince = time.Now()
			continue
		}
		logf("keeper: unused for %s: stopping", time.Since(idleSince).Round(time.Second))
		code := r.Stop()
		_ = os.Remove(d.Path(FileKeep))
		_ = os.Remove(d.Path(FileStop))
		gate.Close()
		return code
	}
}

// healthy checks r, restarting it when it does not answer; when it cannot
// be brought back it is stopped, and healthy says false.
func (d Folder) healthy(r Resource, logf func(string, ...any)) bool {
	err := r.Healthy()
	if err == nil {
		return true
	}
	if r.Restart != nil {
		logf("keeper: it does not answer (%v): restarting it", err)
		if rerr := r.Restart(); rerr == nil {
			logf("keeper: restarted")
			return true
		} else {
			err = fmt.Errorf("%v; the restart failed: %w", err, rerr)
		}
	}
	logf("keeper: it does not answer (%v): stopping", err)
	r.Stop()
	return false
}

// Check asks the keeper of process pid to check its resource's health now
// (and restart it if it can), rather than at its next round.
func Check(pid int) error { return syscall.Kill(pid, syscall.SIGUSR1) }

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
