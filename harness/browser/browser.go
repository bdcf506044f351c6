// Package browser signs in to an admin panel the way a person does — in
// headless Chromium, driven over the DevTools protocol — and says what the
// person saw: where the page landed, the error it showed, the API requests
// behind it with their answers, and the console's errors. On a failure it
// keeps a screenshot.
//
// It knows nothing of the reference panel: it finds the sign-in form's
// fields the way a person would (the password box, the box for an email or
// phone, the box for a one-time code, the submit button).
package browser

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/remote"
)

// EnvChromium names the browser to run; else Find looks on PATH.
const EnvChromium = "SMOKE_CHROMIUM"

// EnvRequire, set (CI sets it), makes a missing browser a failure of the
// browser step and of the tests that need one, not a skip.
const EnvRequire = "SMOKE_REQUIRE_BROWSER"

// Candidates are the names Find looks for on PATH, in order.
var Candidates = []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "headless_shell"}

// ErrNotFound is no browser to run. Its text says how to install one.
var ErrNotFound = errors.New("no Chromium found (looked for $" + EnvChromium + ", then " + strings.Join(Candidates, ", ") +
	" on PATH): install Debian's package with `apt-get install chromium`, or set " + EnvChromium + " to a Chrome or Chromium binary")

// Find is the browser binary to run: $SMOKE_CHROMIUM (a path, or a name
// on $PATH), else the first of Candidates on $PATH — both read through
// getenv.
func Find(getenv func(string) string) (string, error) {
	if p := getenv(EnvChromium); p != "" {
		if path := lookPath(p, getenv("PATH")); path != "" {
			return path, nil
		}
		return "", fmt.Errorf("$%s=%s: no such executable file; unset it to look for %s on PATH", EnvChromium, p, strings.Join(Candidates, ", "))
	}
	for _, name := range Candidates {
		if path := lookPath(name, getenv("PATH")); path != "" {
			return path, nil
		}
	}
	return "", ErrNotFound
}

// lookPath is exec.LookPath with the given PATH: name itself when it holds
// a slash, else the first executable file of that name in a folder of path.
func lookPath(name, path string) string {
	executable := func(p string) bool {
		fi, err := os.Stat(p)
		return err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0
	}
	if strings.Contains(name, "/") {
		if executable(name) {
			return name
		}
		return ""
	}
	for _, dir := range filepath.SplitList(path) {
		if p := filepath.Join(dir, name); dir != "" && executable(p) {
			return p
		}
	}
	return ""
}

// Browser is a headless Chromium this process started, or one it drives
// in a container (Connect); Close stops it and removes its profile.
type Browser struct {
	ctx    context.Context // a chromedp context whose browser is running
	cancel func()
	mu     sync.Mutex
	next   *preload // the tab Preload opened for the next sign-in
	spare  *Spare   // where the next tab opens, when UseSpare gave one
	closed bool     // Close was called: Preload does nothing
	// background are the tabs being closed, and the preloads no sign-in
	// took: Close waits for them.
	background sync.WaitGroup
	// Where says where it runs, for reports: "on this host (/usr/bin/chromium)",
	// "in a container (appydex-smoke/chromium:bookworm)".
	Where string
	// Version is the browser's product, as it reports it ("Chrome/120.0.6099.224").
	Version string
}

// String is what ran, for a step's line: "Chrome/120.0.6099.224 on this host (/usr/bin/chromium)".
func (b *Browser) String() string { return strings.TrimSpace(b.Version + " " + b.Where) }

// Start launches the browser at path, headless, with a throwaway profile,
// and waits until it answers. ctx bounds only the start: the browser lives
// until Close.
func Start(ctx context.Context, path string) (*Browser, error) {
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.WindowSize(1024, 768),
		chromedp.Flag("disable-gpu", true),
	)
	if os.Geteuid() == 0 && runtime.GOOS == "linux" {
		// Chromium's sandbox refuses to run as root; the pages it opens are
		// the harness's own target, not the web.
		opts = append(opts, chromedp.NoSandbox)
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.WithoutCancel(ctx), opts...)
	return started(ctx, allocCtx, cancelAlloc, "on this host ("+path+")")
}

// Connect drives a headless Chromium that runs already — in a container —
// over its DevTools endpoint, devtools ("http://127.0.0.1:9222"); each
// sign-in opens a tab in a browser context of its own, as with Start.
// where says where it runs; Close calls stop, which stops it.
func Connect(ctx context.Context, devtools, where string, stop func()) (*Browser, error) {
	allocCtx, cancelAlloc := remote.NewAllocator(context.WithoutCancel(ctx), devtools)
	return started(ctx, allocCtx, func() { cancelAlloc(); stop() }, where)
}

// started waits until the browser of allocCtx answers, and asks its
// version; release frees the allocator when the browser is closed or did
// not start.
func started(ctx, allocCtx context.Context, release func(), where string) (*Browser, error) {
	bctx, cancelBrowser := chromedp.NewContext(allocCtx)
	b := &Browser{ctx: bctx, Where: where, cancel: func() { cancelBrowser(); release() }}
	done := make(chan error, 1)
	go func() { // the first call starts the browser, or attaches to it
		v, err := chromedp.CallBrowser(bctx, cdpbrowser.GetVersion, cdp.Empty{})
		b.Version = v.Product
		done <- err
	}()
	select {
	case err := <-done:
		if err != nil {
			b.cancel()
			return nil, fmt.Errorf("start the browser %s: %w", where, err)
		}
		return b, nil
	case <-ctx.Done():
		b.cancel()
		return nil, ctx.Err()
	}
}

// Close closes the tabs still open, and stops the browser.
func (b *Browser) Close() {
	if b == nil {
		return
	}
	b.mu.Lock()
	p := b.next
	b.next, b.closed = nil, true
	b.mu.Unlock()
	b.discard(p)
	if s := b.takeSpare(); s != nil {
		b.dispose(s.Context) // a spare no sign-in took
	}
	b.background.Wait()
	b.cancel()
}
