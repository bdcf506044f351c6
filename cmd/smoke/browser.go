package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/appydex/smoke/app/adminpanel"
	"github.com/appydex/smoke/harness/backend"
	"github.com/appydex/smoke/harness/browser"
	"github.com/appydex/smoke/harness/browser/container"
	"github.com/appydex/smoke/harness/browser/kept"
	"github.com/appydex/smoke/harness/pgenv"
	"github.com/appydex/smoke/harness/report"
	"github.com/appydex/smoke/harness/target"
	"github.com/appydex/smoke/schema"
)

// browserRun is a command's browser steps: the browser, launched when the
// command starts (it takes a second or two, while PostgreSQL starts), and
// the reference admin panel the harness serves for an API of its own.
type browserRun struct {
	o     *options
	ready chan struct{}
	b     *browser.Browser
	err   error
	ln    net.Listener // the panel's, opened before the API so the API can allow its origin
	srv   *http.Server
	panel atomic.Pointer[http.Handler] // the panel for the API of the moment
	// preloading is a preload waiting for the browser to start before it
	// asks it to load the panel's page.
	preloading sync.WaitGroup
}

// startBrowser launches the browser in the background: the host's
// Chromium, else Debian's in a container (harness/browser/container);
// nothing when --no-browser.
func startBrowser(ctx context.Context, o *options) *browserRun {
	r := &browserRun{o: o, ready: make(chan struct{})}
	if o.noBrowser {
		close(r.ready)
		return r
	}
	go func() {
		defer close(r.ready)
		r.b, r.err = launchBrowser(ctx, o)
	}()
	return r
}

// launchBrowser is the browser the command's steps sign in with: the
// host's Chromium, else Debian's in a container; with --reuse, the one
// kept for the runs (started and kept when none is).
func launchBrowser(ctx context.Context, o *options) (*browser.Browser, error) {
	path, err := browser.Find(o.getenv)
	image := container.Image(o.getenv)
	switch {
	case errors.Is(err, browser.ErrNotFound):
		// No Chromium on this host: Debian's, in a container.
		if cerr := container.Available(ctx, image, o.pg.DockerHost); cerr != nil {
			return nil, fmt.Errorf("%w; %v", err, cerr)
		}
	case err != nil:
		return nil, err
	}
	switch {
	case o.reuse.Keep && o.command != "verify":
		// Not verify's: a deployment's credentials are typed into its
		// browser, whose DevTools port, kept, would outlive the run.
		return kept.Attach(ctx, kept.Launch{Path: path, Image: image, DockerHost: o.pg.DockerHost, Base: keptBrowsers(o.pg)}, o.reuse.Idle)
	case path != "":
		return browser.Start(ctx, path)
	}
	return container.Start(ctx, image, o.pg.DockerHost)
}

// keptBrowsers is the folder of the browsers kept for the next run: among
// the kept PostgreSQL servers' folders (pgenv.SharedBase), which pgenv
// passes over.
func keptBrowsers(cfg pgenv.Config) string { return filepath.Join(pgenv.SharedBase(cfg), "browsers") }

// panelOrigin opens the panel's listener on a free loopback port and
// returns its origin, for the API's CORS; "" with --no-browser.
func (r *browserRun) panelOrigin() (string, error) {
	if r.o.noBrowser {
		return "", nil
	}
	if r.ln == nil {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return "", fmt.Errorf("a port for the admin panel: %w", err)
		}
		r.ln = ln
	}
	return "http://" + r.ln.Addr().String(), nil
}

// servePanel serves the reference panel for the API at apiURL, and returns
// its sign-in page's URL. A second call points the same origin at another
// API (a backend restarted from the fixed image).
func (r *browserRun) servePanel(apiURL string) (string, error) {
	origin, err := r.panelOrigin()
	if err != nil {
		return "", err
	}
	h, err := adminpanel.Handler(apiURL)
	if err != nil {
		return "", err
	}
	r.panel.Store(&h)
	if r.srv == nil {
		r.srv = &http.Server{ReadHeaderTimeout: 10 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
			(*r.panel.Load()).ServeHTTP(w, req)
		})}
		go func() { _ = r.srv.Serve(r.ln) }()
	}
	return origin + "/", nil
}

// preload serves the panel for the API svc and has the browser load its
// sign-in page in the background (browser.Preload), while the flow runs:
// the browser step then starts at the form. A panel that cannot be served
// is the step's to report.
func (r *browserRun) preload(ctx context.Context, svc target.Service) {
	if r.o.noBrowser {
		return
	}
	panelURL, err := r.servePanel(svc.URL())
	if err != nil {
		return
	}
	r.preloading.Add(1)
	go func() {
		defer r.preloading.Done()
		<-r.ready
		if r.b != nil {
			r.b.Preload(ctx, browser.SignInOptions{PanelURL: panelURL})
		}
	}()
}

// close stops the browser and the panel.
func (r *browserRun) close() {
	<-r.ready
	r.preloading.Wait() // a preload asked for is given before the browser closes, and closed with it
	r.b.Close()
	if r.srv != nil {
		r.srv.Close()
	} else if r.ln != nil {
		r.ln.Close()
	}
}

// signInStep is a browser step: sign in at panelURL and report what the
// page showed. It returns nil when the step did not run (no browser, or
// --no-browser). A missing browser skips the step with how to install one,
// or fails it under $SMOKE_REQUIRE_BROWSER.
func (r *browserRun) signInStep(ctx context.Context, rep *report.Report, name string, in browser.SignInOptions) (*report.Step, *browser.Result, error) {
	if r.o.noBrowser {
		return nil, nil, nil
	}
	step := rep.Start(name)
	select {
	case <-r.ready:
	case <-ctx.Done():
		step.Fail("interrupted")
		return step, nil, ctx.Err()
	}
	r.preloading.Wait() // a moment: the preload's own wait is over
	if r.err != nil {
		switch {
		case errors.Is(r.err, browser.ErrNotFound) && !r.o.requireBrowser:
			step.Skip("no browser: %v", r.err)
			return nil, nil, nil
		case errors.Is(r.err, browser.ErrNotFound):
			step.Fail("no browser, and $%s requires this step: %v", browser.EnvRequire, r.err)
		default:
			step.Fail("the browser did not start: %v", r.err)
		}
		return step, nil, nil
	}
	in = forBackend(in, r.o.backend)
	in.ScreenshotDir = r.o.artifacts
	in.ScreenshotName = fmt.Sprintf("%s-%s-%s.png", rep.Command, strings.ReplaceAll(name, " ", "-"), time.Now().Format("20060102-150405"))
	in.SignOut = true
	res, err := r.b.SignIn(ctx, in)
	if err != nil {
		step.Fail("the browser could not drive the page")
		step.Line("%v", err)
		return step, nil, nil
	}
	// browser.SignInOptions masks the password and the code in all it reports
	// (a panel may echo them), so res goes into every report as it is.
	step.Browser = res
	step.Line("browser: %s", r.b)
	step.Line("%s, signing in as %s", in.PanelURL, in.Login)
	for _, why := range res.Retried {
		step.Line("tried again from the start: %s", why)
	}
	if res.CodePage != "" {
		step.Line("the one-time code was asked after the password, on %s", res.CodePage)
	}
	if res.Landed {
		step.Line("the page landed on %s: %q", res.Page, res.Text)
	} else if res.Page != "" {
		shown := res.Shown
		if shown == "" {
			shown = res.Text
		}
		step.Line("the page stayed on %s and showed: %q", res.Page, shown)
	}
	for _, q := range res.Requests {
		step.Line("request: %s", q)
	}
	for _, c := range res.Console {
		step.Line("console: %s", c)
	}
	if res.SignedOut != "" {
		step.Line("session: %s", res.SignedOut)
	}
	if res.Session != "" {
		step.Line("after the sign-out: %s", res.Session)
	}
	if res.Screenshot != "" {
		if abs, err := filepath.Abs(res.Screenshot); err == nil {
			res.Screenshot = abs
		}
		step.Attachments = append(step.Attachments, res.Screenshot)
	}
	if res.ScreenshotError != "" {
		step.Line("screenshot not saved under --artifacts %s: %s", r.o.artifacts, res.ScreenshotError)
	}
	return step, res, nil
}

// forBackend is in with what a backend's description says of its panel
// and API (none without --backend): the panel's phrases in another
// language, the paths that refresh and end a session.
func forBackend(in browser.SignInOptions, d *backend.Description) browser.SignInOptions {
	if d != nil {
		in.Phrases = browser.Phrases{Credentials: d.PanelPhrases.Credentials, Connection: d.PanelPhrases.Connection, Server: d.PanelPhrases.Server}
		paths := d.Flow("", "").Paths
		in.Session = browser.SessionPaths{Refresh: paths.Refresh, Logout: paths.Logout}
	}
	return in
}

// problemLines lists the sign-in's problems under its step, each with its
// severity and rule: an error marked "✗", a warning "!" and a notice "·"
// — or, when expected says so of a problem, as the outcome the step looks
// for. signInStep has masked their text already.
func problemLines(step *report.Step, res *browser.Result, expected func(browser.Problem) string) {
	for _, p := range res.Problems {
		mark := map[schema.Severity]string{schema.Warning: "!", schema.Notice: "·"}[p.Severity]
		mark = cmp.Or(mark, "✗")
		if expected != nil {
			mark = cmp.Or(expected(p), mark)
		}
		step.Line("%s [%s] %s (%s: %s)", mark, p.Class, p.What, p.Severity, p.Rule)
	}
}

// landed ends a step whose sign-in should reach the dashboard, and says
// whether the step passed: it lands, with no problem that fails the gate
// (an error; with --strict, a warning too).
func landed(step *report.Step, res *browser.Result, gate schema.Gate) bool {
	if step == nil || res == nil || step.Status != "" {
		return step == nil || step.Status != report.Fail
	}
	problemLines(step, res, nil)
	failing := slices.IndexFunc(res.Problems, func(p browser.Problem) bool { return gate.Fails(p.Severity) })
	if res.Landed && failing < 0 {
		said := ""
		if n := len(res.Problems); n > 0 {
			said = fmt.Sprintf(", with %d problem(s) that do not fail it (%s)", n, res.Worst())
		}
		step.Pass("signed in through the admin panel in a browser: landed on %s%s", res.Page, said)
		return true
	}
	what := "it did not land on a signed-in page"
	if failing >= 0 {
		what = res.Problems[failing].What
	}
	step.Fail("the admin panel's sign-in failed in a browser: %s", what)
	return false
}

// incident ends a step that signs in at the incident: reproduced when the
// page stays on the sign-in with the 500 behind it, and the page does not
// blame the connection for it.
func incident(step *report.Step, res *browser.Result) bool {
	if step == nil || res == nil || step.Status != "" {
		return step == nil || step.Status == report.Skip
	}
	f := res.Failing()
	blamed := false
	for _, p := range res.Problems {
		blamed = blamed || p.Class == browser.ClassBlame
	}
	reproduced := !blamed && !res.Landed && f != nil && f.Status == http.StatusInternalServerError
	problemLines(step, res, func(p browser.Problem) string {
		if reproduced && p.Class == browser.ClassSignIn {
			return "expected at the incident:" // the sign-in's failure is what the incident looks like
		}
		return ""
	})
	switch {
	case blamed:
		step.Fail("the panel blamed the connection for an answer the API gave")
	case reproduced:
		what := res.Shown
		if what == "" {
			what = res.Text
		}
		step.Pass("the panel showed %q; behind it %s", what, f)
		return true
	default:
		step.Fail("the browser's sign-in did not meet the incident's 500 (landed %t on %s)", res.Landed, res.Page)
	}
	return false
}

// panelStep serves the reference panel for the API svc and signs in to
// it as the flow's account, expecting the dashboard: true when it landed
// there, or the step did not run (no browser, or --no-browser).
func panelStep(ctx context.Context, br *browserRun, rep *report.Report, name string, svc target.Service) (bool, error) {
	step, res, err := br.panelSignIn(ctx, rep, name, svc)
	if err != nil || step == nil {
		return err == nil, err
	}
	return landed(step, res, rep.Gate()), nil
}

// incidentStep serves the reference panel for the API svc, signs in as
// the flow's account, and judges it as the incident's sign-in: true when
// it reproduced (or did not run).
func incidentStep(ctx context.Context, br *browserRun, rep *report.Report, name string, svc target.Service) (bool, error) {
	step, res, err := br.panelSignIn(ctx, rep, name, svc)
	if err != nil || step == nil {
		return err == nil, err
	}
	return incident(step, res), nil
}

// panelSignIn serves the reference panel for the API svc and signs in to
// it as the flow's account: signInStep.
func (r *browserRun) panelSignIn(ctx context.Context, rep *report.Report, name string, svc target.Service) (*report.Step, *browser.Result, error) {
	if r.o.noBrowser {
		return nil, nil, nil
	}
	panelURL, err := r.servePanel(svc.URL())
	if err != nil {
		return nil, nil, err
	}
	cfg := svc.Flow("")
	return r.signInStep(ctx, rep, name, browser.SignInOptions{PanelURL: panelURL, Login: cfg.Email, Password: cfg.Password, OTP: cfg.OTP})
}
