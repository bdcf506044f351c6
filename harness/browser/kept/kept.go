// Package kept keeps the browser step's Chromium between runs, as pgenv
// keeps PostgreSQL for --reuse: a keeper process (this program started
// again, package keeper) runs the browser — the host's binary, or Debian's
// in a container (package container) — with its DevTools on a loopback
// port, and publishes where. A run attaches: it takes a lease, connects
// over DevTools (browser.Connect) and signs in, as every run does, in a
// browser context of its own (no cookies, storage or cache shared with
// the run before). Once no run has used it for the idle time, or at
// `smoke down` (Stop), the keeper stops it.
//
// A keeper killed outright takes its browser with it: the host's process
// gets the kernel's parent-death signal, and the container carries the
// keeper's owner label, so a later run's sweep removes it.
package kept

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"syscall"
	"time"

	"github.com/appydex/smoke/harness/browser"
	"github.com/appydex/smoke/harness/browser/container"
	"github.com/appydex/smoke/harness/owner"
	"github.com/appydex/smoke/harness/pgenv/keeper"
)

// DefaultIdle is how long a kept browser waits for its next run, as a
// kept PostgreSQL does.
const DefaultIdle = 30 * time.Minute

// envKeeper names the folder of the browser a process started as a keeper
// is to keep.
const envKeeper = "SMOKE_BROWSER_KEEPER"

// Launch is which browser to keep: the host's binary at Path, or Image's
// Chromium on the engine at DockerHost; Base is the folder that holds the
// kept browsers' folders (the caller's, as pgenv's shared servers are).
type Launch struct {
	Path       string `json:"path,omitempty"`
	Image      string `json:"image,omitempty"`
	DockerHost string `json:"docker_host,omitempty"`
	Base       string `json:"base"`
}

// state is what the keeper publishes: how a run reaches the browser.
type state struct {
	DevTools string `json:"devtools"`
	Where    string `json:"where"`
	Keeper   string `json:"keeper"` // owner.Owner of the keeper
}

// folder is the keeper's folder of the browser l, this user's.
func folder(l Launch) keeper.Folder {
	h := sha256.New()
	fmt.Fprintf(h, "kept-browser-v1\x00%s\x00%s\x00%s\x00%d", l.Path, l.Image, l.DockerHost, os.Getuid())
	return keeper.Folder(filepath.Join(l.Base, hex.EncodeToString(h.Sum(nil))[:16]))
}

// Attach connects to the browser l kept for the runs, starting it through
// a keeper when none runs, and asks that it stay for idle once unused.
// Close on the browser ends this run's use of it; the browser stays.
func Attach(ctx context.Context, l Launch, idle time.Duration) (*browser.Browser, error) {
	if idle <= 0 {
		idle = DefaultIdle
	}
	dir := folder(l)
	if err := os.MkdirAll(string(dir), 0o700); err != nil {
		return nil, fmt.Errorf("the kept browser's folder: %w", err)
	}
	gate, err := dir.Gate(ctx)
	if err != nil {
		return nil, err
	}
	defer gate.Close() // after the lease is taken: the keeper does not stop it meanwhile
	if err := dir.KeepAtLeast(idle); err != nil {
		return nil, err
	}
	st, ok, err := running(ctx, dir)
	if err != nil {
		return nil, err
	}
	if !ok {
		_ = os.Remove(dir.Path(keeper.FileState))
		if _, err := keeper.Spawn(ctx, dir, envKeeper, l, 2*time.Minute); err != nil {
			return nil, fmt.Errorf("the kept browser's keeper: %w", err)
		}
		if err := dir.ReadState(&st); err != nil {
			return nil, err
		}
	}
	lease, err := dir.Lease()
	if err != nil {
		return nil, fmt.Errorf("lease the kept browser: %w", err)
	}
	b, err := browser.Connect(ctx, st.DevTools, st.Where+", kept for the next run", func() { lease.Close() })
	if err != nil {
		lease.Close()
		return nil, err
	}
	if s, ok := takeSpare(dir); ok {
		b.UseSpare(s)
	}
	return b, nil
}

// running is the state of the browser the folder's keeper runs, when its
// keeper lives and its DevTools answer; false when no keeper lives. A
// keeper that lives is never replaced while it may still publish: one whose
// browser does not answer is asked to check it (and stops it when it is
// dead), and then told to stop, before another starts.
func running(ctx context.Context, dir keeper.Folder) (state, bool, error) {
	var st state
	if err := dir.ReadState(&st); err != nil {
		return st, false, nil
	}
	k, ok := owner.Parse(st.Keeper)
	if !ok || k.Gone() {
		return st, false, nil
	}
	if answers(ctx, st.DevTools) == nil {
		return st, true, nil
	}
	_ = keeper.Check(k.PID)
	for deadline := time.Now().Add(10 * time.Second); !k.Gone() && time.Now().Before(deadline); {
		if answers(ctx, st.DevTools) == nil {
			return st, true, nil
		}
		time.Sleep(200 * time.Millisecond)
	}
	if !k.Gone() {
		_ = syscall.Kill(k.PID, syscall.SIGTERM)
		for deadline := time.Now().Add(30 * time.Second); !k.Gone() && time.Now().Before(deadline); {
			time.Sleep(20 * time.Millisecond)
		}
		if !k.Gone() {
			return st, false, fmt.Errorf("the kept browser (%s, keeper process %d) does not answer, and its keeper did not stop; "+
				"its log: %s", st.Where, k.PID, dir.Path(keeper.FileLog))
		}
	}
	return st, false, nil
}

// answers asks the browser at devtools for its version.
func answers(ctx context.Context, devtools string) error {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, httpURL(devtools)+"/json/version", nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET /json/version: %s", resp.Status)
	}
	return nil
}

// devtoolsHost is the host and port of a DevTools endpoint, as Chromium
// prints it ("ws://127.0.0.1:41235/devtools/browser/…") or as given
// ("http://127.0.0.1:41235").
var devtoolsHost = regexp.MustCompile(`^(?:ws|http)://([^/]+)`)

func httpURL(devtools string) string {
	if m := devtoolsHost.FindStringSubmatch(devtools); m != nil {
		return "http://" + m[1]
	}
	return devtools
}

// ServeIfKeeper makes this program able to keep browsers: call it first
// thing in main (or TestMain). In a process Attach started as a keeper, it
// keeps the browser and exits; elsewhere it returns at once.
func ServeIfKeeper() {
	dir := os.Getenv(envKeeper)
	if dir == "" {
		return
	}
	os.Exit(serve(keeper.Folder(dir)))
}

// serve is the keeper: it starts the browser, publishes it, and keeps it
// (keeper.Folder.Serve). It returns the exit code.
func serve(dir keeper.Folder) int {
	logf := func(format string, args ...any) {
		fmt.Fprintf(os.Stderr, time.Now().Format("15:04:05.000 ")+format+"\n", args...)
	}
	// The host's browser gets the parent-death signal of this thread: it
	// must stay this process's thread for the process's life.
	runtime.LockOSThread()
	var l Launch
	if err := dir.Config(&l); err != nil {
		return dir.Fail(logf, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	devtools, where, stop, err := launch(ctx, l, dir.Path("profile"))
	cancel()
	if err != nil {
		return dir.Fail(logf, err)
	}
	self := owner.Current().String()
	stopped := func() int {
		// The state, unless another keeper's by now.
		var st state
		if dir.ReadState(&st) == nil && st.Keeper == self {
			_ = os.Remove(dir.Path(keeper.FileState))
			_ = os.Remove(dir.Path(fileSpare)) // this browser's: it goes with it
		}
		stop()
		logf("keeper: stopped the browser")
		return 0
	}
	if err := dir.WriteState(state{DevTools: devtools, Where: where, Keeper: self}); err != nil {
		stopped()
		return dir.Fail(logf, err)
	}
	logf("keeper: serving the browser %s at %s", where, devtools)
	healthy := func() error { return answers(context.Background(), devtools) }
	return dir.Serve(keeper.Resource{Healthy: healthy, Stop: stopped, Unused: spares(dir, devtools, logf)}, 5*time.Second, logf)
}

// fileSpare is the spare (browser.Spare) the keeper made for the next run.
const fileSpare = "spare.json"

// spares is the keeper's work while no run uses the browser: a spare for
// the next run, when there is none. A run takes it (takeSpare), and its
// sign-in starts in a browser context made while nothing waited for it.
func spares(dir keeper.Folder, devtools string, logf func(string, ...any)) func() {
	_ = os.Remove(dir.Path(fileSpare)) // an earlier browser's
	var b *browser.Browser
	return func() {
		if _, err := os.Stat(dir.Path(fileSpare)); err == nil {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if b == nil {
			var err error
			if b, err = browser.Connect(ctx, devtools, "kept", func() {}); err != nil {
				logf("keeper: connect to make a spare browser context: %v", err)
				return
			}
		}
		s, err := b.MakeSpare(ctx)
		if err != nil {
			logf("keeper: %v", err)
			b.Close()
			b = nil
			return
		}
		if err := dir.WriteJSON(fileSpare, s); err != nil {
			logf("keeper: %v", err)
			b.Discard(s)
		}
	}
}

// takeSpare takes the spare the keeper made, if there is one: only one
// run can take it (the rename), and the keeper makes the next.
func takeSpare(dir keeper.Folder) (browser.Spare, bool) {
	var s browser.Spare
	taken := fmt.Sprintf("%s.%d", fileSpare, os.Getpid())
	if os.Rename(dir.Path(fileSpare), dir.Path(taken)) != nil {
		return s, false
	}
	defer os.Remove(dir.Path(taken))
	return s, dir.ReadJSON(taken, &s) == nil && s.Context != "" && s.Tab != ""
}

// launch starts the browser l names and returns its DevTools endpoint; the
// host's keeps its profile in the folder profile, emptied first (a keeper
// killed outright left its browser's there).
func launch(ctx context.Context, l Launch, profile string) (devtools, where string, stop func(), err error) {
	if l.Path == "" {
		return container.Run(ctx, l.Image, l.DockerHost)
	}
	removeProfile(profile)
	if err := os.MkdirAll(profile, 0o700); err != nil {
		return "", "", nil, err
	}
	args := []string{"--headless", "--disable-gpu", "--no-first-run", "--no-default-browser-check", "--remote-debugging-port=0",
		"--user-data-dir=" + profile, "--window-size=1024,768", "--disable-background-networking", "--disable-extensions",
		"--disable-sync", "--metrics-recording-only", "--mute-audio", "--hide-scrollbars"}
	if os.Geteuid() == 0 {
		args = append(args, "--no-sandbox") // Chromium's sandbox refuses root; the pages are the harness's target
	}
	cmd := exec.Command(l.Path, append(args, "about:blank")...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	out, err := cmd.StderrPipe()
	if err != nil {
		return "", "", nil, err
	}
	if err := cmd.Start(); err != nil {
		os.RemoveAll(profile)
		return "", "", nil, fmt.Errorf("start %s: %w", l.Path, err)
	}
	exited := make(chan struct{})
	stop = func() {
		_ = cmd.Process.Kill()
		<-exited
		removeProfile(profile)
	}
	found := make(chan string, 1)
	var said []string // what it printed before its address, to explain a failure
	go func() {
		defer close(exited)
		listening := regexp.MustCompile(`DevTools listening on (ws://\S+)`)
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if m := listening.FindStringSubmatch(sc.Text()); m != nil {
				found <- m[1]
				_, _ = io.Copy(io.Discard, out) // the rest, unread, would block the browser
				break
			}
			said = append(said[max(0, len(said)-19):], sc.Text())
		}
		_ = cmd.Wait()
	}()
	select {
	case devtools = <-found:
		return devtools, "on this host (" + l.Path + ")", stop, nil
	case <-exited:
		removeProfile(profile)
		return "", "", nil, fmt.Errorf("%s exited before it printed its DevTools address: %s", l.Path, strings.Join(said, "\n"))
	case <-ctx.Done():
		stop()
		return "", "", nil, fmt.Errorf("%s printed no DevTools address in a minute", l.Path)
	}
}

// removeProfile removes a browser's profile folder, trying again for a
// moment: its crash handler may still be writing there as it exits.
func removeProfile(dir string) {
	for try := 0; try < 10 && os.RemoveAll(dir) != nil; try++ {
		time.Sleep(50 * time.Millisecond)
	}
}

// Stop stops every kept browser of base no run uses now, as `smoke down`
// does, and says what it did; one in use is asked to stop once unused,
// and named.
func Stop(ctx context.Context, base string) (stopped, inUseNow []string, err error) {
	dirs, _ := filepath.Glob(filepath.Join(base, "*"))
	for _, d := range dirs {
		dir := keeper.Folder(d)
		var st state
		if dir.ReadState(&st) != nil {
			continue
		}
		what := "the browser " + st.Where
		gate, gerr := dir.Gate(ctx)
		if gerr != nil {
			err = errors.Join(err, gerr)
			continue
		}
		switch k, ok := owner.Parse(st.Keeper); {
		case dir.InUse():
			inUseNow = append(inUseNow, what)
			err = errors.Join(err, dir.StopWhenUnused())
		case ok && !k.Gone():
			_ = syscall.Kill(k.PID, syscall.SIGTERM)
			for deadline := time.Now().Add(30 * time.Second); !k.Gone() && time.Now().Before(deadline); {
				time.Sleep(20 * time.Millisecond)
			}
			if !k.Gone() {
				err = errors.Join(err, fmt.Errorf("the keeper of %s (process %d) did not stop", what, k.PID))
				break
			}
			stopped = append(stopped, what)
			err = errors.Join(err, dir.Forget())
		default:
			err = errors.Join(err, dir.Forget())
		}
		gate.Close()
	}
	return stopped, inUseNow, err
}
