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

	"github.com/chromedp/chromedp"
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

// Browser is a headless Chromium this process started; Close stops it and
// removes its profile.
type Browser struct {
	ctx    context.Context // a chromedp context whose browser is running
	cancel func()
	Path   string
}

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
	bctx, cancelBrowser := chromedp.NewContext(allocCtx)
	b := &Browser{ctx: bctx, Path: path, cancel: func() { cancelBrowser(); cancelAlloc() }}
	started := make(chan error, 1)
	go func() { started <- chromedp.Do(bctx) }() // the first Do starts the browser
	select {
	case err := <-started:
		if err != nil {
			b.cancel()
			return nil, fmt.Errorf("start %s: %w", path, err)
		}
		return b, nil
	case <-ctx.Done():
		b.cancel()
		return nil, ctx.Err()
	}
}

// Close stops the browser.
func (b *Browser) Close() {
	if b != nil {
		b.cancel()
	}
}
