package browser

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/fetch"
	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/target"
	"github.com/chromedp/chromedp"

	"github.com/appydex/smoke/redact"
)

// SignInOptions say which panel to sign in to, and as whom.
type SignInOptions struct {
	// PanelURL is the page with the sign-in form.
	PanelURL string
	// Login is the email or phone; OTP the one-time code ("" when the panel
	// asks for none).
	Login, Password, OTP string
	// Landing are the paths of a signed-in page; nil means /dashboard and
	// /admins (the incident report's).
	Landing []string
	// Timeout bounds the wait for the page to land or show an error; zero
	// means 20 s.
	Timeout time.Duration
	// ScreenshotDir receives a PNG of the page when the sign-in fails;
	// "" keeps none. ScreenshotName is its file name.
	ScreenshotDir, ScreenshotName string
	// SignOut ends the session afterwards through the page's own sign-out
	// control, so a run against a deployment leaves no session behind.
	SignOut bool
	// Phrases add to DefaultPhrases, for a panel in another language.
	Phrases Phrases
	// Session is where the API refreshes and ends a session: with
	// SignOut, the harness asks it whether the page's sign-out ended the
	// session the page was given, and ends one left open.
	Session SessionPaths
}

// defaultTimeout is how long a sign-in waits for the page when
// SignInOptions.Timeout is zero.
const defaultTimeout = 20 * time.Second

// SignIn opens the panel in a tab of its own (a fresh profile: no cookies,
// no storage), fills the form, submits it, and waits until the page lands
// on a signed-in path or shows an error. A sign-in whose request the
// browser dropped because the machine's network changed is tried again
// (twice at most), and the result says so.
func (b *Browser) SignIn(ctx context.Context, o SignInOptions) (*Result, error) {
	var retried []string
	for {
		res, err := b.signIn(ctx, o)
		if err != nil {
			return res, err
		}
		res.Retried = retried
		q := networkChanged(res)
		if res.Landed || q == nil || len(retried) == maxNetworkRetries || ctx.Err() != nil {
			return res, nil
		}
		retried = append(retried, q.String()+": the browser dropped it as this machine's network changed")
	}
}

// maxNetworkRetries bounds the sign-ins tried again after a network change.
const maxNetworkRetries = 2

// networkChanged is the request the browser dropped because the machine's
// network changed, or nil.
func networkChanged(res *Result) *Request {
	for i := range res.Requests {
		if strings.Contains(res.Requests[i].Failure, "ERR_NETWORK_CHANGED") {
			return &res.Requests[i]
		}
	}
	return nil
}

func (b *Browser) signIn(ctx context.Context, o SignInOptions) (*Result, error) {
	o = o.withDefaults()
	a, closeTab, err := b.preloaded(ctx, o)
	if a != nil {
		// An interrupt of this sign-in closes the tab too, as open's does.
		stop, closePreloaded := context.AfterFunc(ctx, closeTab), closeTab
		closeTab = func() { stop(); closePreloaded() }
	}
	if a == nil && err == nil {
		a, closeTab, err = b.open(ctx, o)
		if err == nil {
			a.load()
		}
	}
	if err != nil {
		return nil, err
	}
	// The tab is closed in the background (Close waits for it): nothing
	// the step reports comes from it once the sign-in is over.
	defer b.inBackground(closeTab)
	a.ctx, a.o = ctx, o
	if err := a.run(); err != nil {
		return nil, err
	}
	a.finish()
	return a.res, ctx.Err()
}

// withDefaults is o with the landing paths and the time limit set.
func (o SignInOptions) withDefaults() SignInOptions {
	if len(o.Landing) == 0 {
		o.Landing = []string{"/dashboard", "/admins"}
	}
	if o.Timeout == 0 {
		o.Timeout = defaultTimeout
	}
	return o
}

// Preload opens a tab for the next sign-in at o.PanelURL and loads the
// page in it, in the background: a command calls it as soon as it knows
// the panel's address, and the sign-in that follows — SignIn with the same
// PanelURL — starts at the form instead of opening a tab and loading the
// page (a fifth of a sign-in on a kept browser). The tab records what the
// page asks for and says from the start, as SignIn's own does; a page that
// fails to load is the sign-in's problem, reported as if SignIn had loaded
// it. A preloaded tab no sign-in takes is closed with the browser, or by
// the next Preload. ctx bounds the tab's life, as SignIn's ctx does.
func (b *Browser) Preload(ctx context.Context, o SignInOptions) {
	o = o.withDefaults()
	// Its own end: a preload no sign-in takes is stopped, not waited for.
	pctx, cancel := context.WithCancel(ctx)
	p := &preload{panelURL: o.PanelURL, done: make(chan struct{}), cancel: cancel}
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		cancel()
		return
	}
	old := b.next
	b.next = p
	b.inBackground(func() { <-p.done }) // Close waits for the load to end
	b.mu.Unlock()
	b.discard(old)
	go func() {
		defer close(p.done)
		if p.a, p.closeTab, p.err = b.open(pctx, o); p.err == nil {
			p.a.load()
		}
	}()
}

// preload is a tab Preload opened, loading or loaded.
type preload struct {
	panelURL string
	done     chan struct{} // closed once a, closeTab and err are set
	cancel   func()        // ends it: its tab closes
	a        *attempt
	closeTab func()
	err      error
}

// preloaded takes the tab preloaded for o.PanelURL, waiting for its page
// to load; nil when there is none.
func (b *Browser) preloaded(ctx context.Context, o SignInOptions) (*attempt, func(), error) {
	b.mu.Lock()
	p := b.next
	if p != nil && p.panelURL == o.PanelURL {
		b.next = nil
	} else {
		p = nil
	}
	b.mu.Unlock()
	if p == nil {
		return nil, nil, nil
	}
	select {
	case <-p.done:
	case <-ctx.Done():
		b.discard(p)
		return nil, nil, ctx.Err()
	}
	if p.err != nil {
		// The harness's own failure to open it: the sign-in opens its own.
		b.discard(p)
		return nil, nil, nil
	}
	return p.a, func() { p.closeTab(); p.cancel() }, nil
}

// discard closes a preloaded tab no sign-in took, in the background.
func (b *Browser) discard(p *preload) {
	if p != nil {
		p.cancel() // a page still loading stops
		b.inBackground(func() {
			<-p.done
			if p.closeTab != nil {
				p.closeTab()
			}
		})
	}
}

// inBackground runs f on a goroutine of its own; Close waits for it.
func (b *Browser) inBackground(f func()) {
	b.background.Add(1)
	go func() {
		defer b.background.Done()
		f()
	}()
}

// attempt is one sign-in: its tab, what the tab recorded, and the result
// so far.
type attempt struct {
	ctx, tab context.Context
	rec      *recorder
	res      *Result
	o        SignInOptions
	loaded   bool // the panel's page loaded (load)
	// sentFrom is how many calls the page had made when the form was
	// sent: the calls from there on are the sign-in's and the signed-in
	// page's. content is the signed-in page's text beyond its navigation.
	sentFrom int
	content  string
}

// open opens a tab of its own, with a fresh profile, and starts recording
// what its pages ask for and say. An interrupt (ctx) closes it at once.
func (b *Browser) open(ctx context.Context, o SignInOptions) (*attempt, func(), error) {
	if s := b.takeSpare(); s != nil {
		if a, closeTab, err := b.openIn(ctx, o, s.Context, s.Tab); err == nil {
			return a, closeTab, nil
		}
		// A spare that went (its browser restarted): a context made now.
	}
	// Should this process end without closing it, Chrome disposes of a
	// context made now as the connection that made it drops.
	bc, err := chromedp.CallBrowser(b.ctx, target.CreateBrowserContext, target.CreateBrowserContextParams{DisposeOnDetach: new(true)})
	if err != nil {
		return nil, nil, fmt.Errorf("open a browser context: %w", err)
	}
	return b.openIn(ctx, o, bc.BrowserContextID, "")
}

// openIn opens a tab in the browser context bc — a fresh profile, made for
// this sign-in — or attaches to its blank tab tab (a Spare's), and starts
// recording. Closing the tab disposes of the context, which closes the
// tab too: one command, where closing the tab first waits for it to go.
func (b *Browser) openIn(ctx context.Context, o SignInOptions, bc cdp.BrowserContextID, tab target.ID) (*attempt, func(), error) {
	where := chromedp.WithExistingBrowserContext(bc)
	if tab != "" {
		where = chromedp.WithTargetID(tab)
	}
	tctx, detach := chromedp.NewContext(b.ctx, where, chromedp.WithDetachOnCancel())
	cancel := sync.OnceFunc(func() {
		detach()
		b.dispose(bc)
	})
	stop := context.AfterFunc(ctx, cancel)
	closeTab := func() { stop(); cancel() }
	return b.watch(ctx, o, tctx, closeTab)
}

// watch starts recording what the tab's pages ask for and say.
func (b *Browser) watch(ctx context.Context, o SignInOptions, tab context.Context, closeTab func()) (*attempt, func(), error) {
	rec := newRecorder(tab)
	if err := chromedp.Listen(tab, rec.event); err != nil {
		closeTab()
		return nil, nil, fmt.Errorf("open a tab: %w", err)
	}
	// A page need not read an error answer's body, and the browser keeps
	// only what the page read: the page's calls are paused as their
	// answers arrive, long enough to read an error's envelope.
	patterns := []*fetch.RequestPattern{
		{URLPattern: "*", ResourceType: network.ResourceTypeFetch, RequestStage: fetch.RequestStageResponse},
		{URLPattern: "*", ResourceType: network.ResourceTypeXHR, RequestStage: fetch.RequestStageResponse},
	}
	_, err := chromedp.Call(tab, fetch.Enable, fetch.EnableParams{Patterns: patterns})
	if err == nil {
		_, err = chromedp.Call(tab, network.Enable, network.EnableParams{})
	}
	if err == nil {
		_, err = chromedp.Call(tab, log.Enable, cdp.Empty{})
	}
	if err != nil {
		closeTab()
		return nil, nil, fmt.Errorf("watch the tab's answers, network and log: %w", err)
	}
	return &attempt{ctx: ctx, tab: tab, rec: rec, res: &Result{Requests: []Request{}}, o: o}, closeTab, nil
}

// problem adds a problem of class c to the result.
func (a *attempt) problem(c Class, what string) {
	a.res.Problems = append(a.res.Problems, newProblem(c, what))
}

// run signs in: the form filled and sent, the one-time code typed where
// the page asks for it, and the page read where it ends. A problem of the
// page's ends it early, in the result; an error is the harness's own.
func (a *attempt) run() error {
	if !a.loaded {
		return nil
	}
	base, codeLater, sent, err := a.sendForm()
	if err != nil || !sent {
		return err
	}
	st, box, err := waitForAnswer(a.ctx, a.tab, a.rec, a.o, base, codeLater)
	if err != nil {
		return err
	}
	if box.Found {
		if base, sent, err = a.sendCode(box); err != nil || !sent {
			return err
		}
		if _, _, err = waitForAnswer(a.ctx, a.tab, a.rec, a.o, base, false); err != nil {
			return err
		}
	} else if codeLater && !a.o.landedAt(st) && base.shown(st, a.rec, false) == "" && a.ctx.Err() == nil {
		a.problem(ClassNoForm, "the page at "+a.o.PanelURL+" has no box for a one-time code, and none came after the email and password were sent")
	}
	if a.ctx.Err() != nil {
		return nil
	}
	a.rec.settle(a.ctx, 300*time.Millisecond, 3*time.Second)
	if st, err = readPage(a.tab); err != nil {
		return fmt.Errorf("read the page after signing in: %w", err)
	}
	// On a signed-in page only an error counts: a welcome notice is not one.
	a.res.Landed, a.res.Page, a.res.Text = a.o.landedAt(st), st.page(), st.Text
	a.res.Shown = base.shown(st, a.rec, a.res.Landed)
	if a.res.Landed {
		if a.content, err = evaluate[string](a.tab, contentJS); err != nil {
			return fmt.Errorf("read the signed-in page: %w", err)
		}
	}
	return nil
}

// load loads the panel's page in the tab; a page that does not load is
// the sign-in's problem.
func (a *attempt) load() {
	navCtx, cancel := context.WithTimeout(a.tab, a.o.Timeout)
	err := chromedp.Do(navCtx, chromedp.Navigate(a.o.PanelURL))
	cancel()
	if err != nil {
		a.problem(ClassPanelDown, fmt.Sprintf("the panel's page %s does not load: %v", a.o.PanelURL, err))
		return
	}
	a.loaded = true
}

// sendForm fills the sign-in form and sends it: sent is false when the
// page has no form to fill, or it did not take what was typed (a problem
// says which). codeLater: the page asks for the one-time code after the
// email and password, and it is typed when its box comes.
func (a *attempt) sendForm() (base baseline, codeLater, sent bool, err error) {
	form, err := findForm(a.tab)
	if err != nil {
		return base, false, false, fmt.Errorf("read the sign-in page: %w", err)
	}
	// A sign-in page with every box but the code's asks for it later.
	codeLater = a.o.OTP != "" && slices.Equal(form.Missing, []string{"otp"})
	// The boxes this page must have: the code's only when it is typed now.
	needed := func(missing []string) []string {
		if a.o.OTP == "" || codeLater {
			return slices.DeleteFunc(missing, func(s string) bool { return s == "otp" })
		}
		return missing
	}
	form.Missing = needed(form.Missing)
	if len(form.Missing) > 0 {
		var no []string
		for _, m := range form.Missing {
			no = append(no, formBoxes[m])
		}
		a.problem(ClassNoForm, "the page at "+a.o.PanelURL+" has no sign-in form to fill: found no "+strings.Join(no, ", no "))
		return base, codeLater, false, nil
	}
	typing := []entry{{field: "login", value: a.o.Login}, {field: "password", value: a.o.Password}}
	if a.o.OTP != "" && !codeLater {
		code, err := typeCode(a.o.OTP, form.Digits)
		if err != nil {
			a.problem(ClassNoForm, "the page at "+a.o.PanelURL+" "+err.Error())
			return base, codeLater, false, nil
		}
		typing = append(typing, code...)
	}
	if base, err = a.rec.baseline(a.tab); err != nil {
		return base, codeLater, false, fmt.Errorf("read the sign-in page: %w", err)
	}
	remark := func() error {
		again, err := findForm(a.tab)
		if err == nil && len(needed(again.Missing)) > len(form.Missing) {
			err = errors.New("the sign-in form went away while it was being filled")
		}
		return err
	}
	a.sentFrom = a.rec.count()
	if err := send(a.tab, a.o, typing, remark); err != nil {
		a.problem(ClassNoForm, "the sign-in form at "+a.o.PanelURL+" did not take what was typed: "+err.Error())
		return base, codeLater, false, nil
	}
	return base, codeLater, true, nil
}

// sendCode types the one-time code into box, which the page asked for
// after the email and password, and sends it; sent is false when the page
// did not take it (a problem says why).
func (a *attempt) sendCode(box codeBox) (base baseline, sent bool, err error) {
	// The page the box is on, not the page read before it: a sign-in page
	// may move to the code's page between the two reads.
	a.res.CodePage = pageState{Path: box.Path, Route: box.Route}.page()
	code, err := typeCode(a.o.OTP, box.Digits)
	if err != nil {
		a.problem(ClassNoForm, "the page "+a.res.CodePage+" "+err.Error())
		return base, false, nil
	}
	if base, err = a.rec.baseline(a.tab); err != nil {
		return base, false, fmt.Errorf("read the page that asks for the one-time code: %w", err)
	}
	remark := func() error {
		again, err := evaluate[codeBox](a.tab, findCodeJS)
		if err == nil && !again.Found {
			err = errors.New("the box for the one-time code went away while it was being filled")
		}
		return err
	}
	if err := send(a.tab, a.o, code, remark); err != nil {
		a.problem(ClassNoForm, "the page "+a.res.CodePage+" did not take the one-time code: "+err.Error())
		return base, false, nil
	}
	return base, true, nil
}

// send types into the marked boxes and clicks the marked button, bounded
// in time: a page that draws its form again after it loads (a framework
// taking over the server's HTML) drops the marks, and a wait for them
// would never end. The boxes are then found again with remark, and typed
// into afresh, once. Where the button stays disabled after the values
// were inserted, they are typed again key by key (see typeInto).
func send(tab context.Context, o SignInOptions, typing []entry, remark func() error) error {
	fill := func(keys bool) chromedp.Action[chromedp.Void] {
		actions := make([]chromedp.Action[chromedp.Void], len(typing))
		for i, e := range typing {
			actions[i] = typeInto(e, keys)
		}
		return chromedp.Steps(actions...)
	}
	try := func(d time.Duration) error {
		c, cancel := context.WithTimeout(tab, d)
		defer cancel()
		if err := chromedp.Do(c, fill(false)); err != nil {
			return err
		}
		if disabled, err := chromedp.Run(c, chromedp.Evaluate[bool](submitDisabledJS)); err != nil {
			return err
		} else if disabled && slices.ContainsFunc(typing, func(e entry) bool { return !e.keys }) {
			if err := chromedp.Do(c, fill(true)); err != nil {
				return err
			}
		}
		return chromedp.Do(c, chromedp.Click(`[data-smoke-field="submit"]`))
	}
	err := try(min(o.Timeout, firstFill))
	if err == nil || !errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	if err := remark(); err != nil {
		return err
	}
	if err := try(o.Timeout); err != nil {
		return fmt.Errorf("the boxes were found, and found again, but typing into them did not end within %s: %w", o.Timeout, err)
	}
	return nil
}

// firstFill bounds a first try at typing into a form: it takes a tenth of
// a second on a page that keeps its boxes.
const firstFill = 3 * time.Second

// waitForAnswer waits, for o.Timeout at most, until the page lands on a
// signed-in path or shows something it did not show at base — or, when
// askCode, shows a box for the one-time code (box.Found; the box and its
// button are then marked).
func waitForAnswer(ctx context.Context, tab context.Context, rec *recorder, o SignInOptions, base baseline, askCode bool) (st pageState, box codeBox, err error) {
	deadline := time.Now().Add(o.Timeout)
	for {
		if st, err = readPage(tab); err != nil {
			return st, box, fmt.Errorf("read the page after signing in: %w", err)
		}
		if o.landedAt(st) {
			return st, box, nil
		}
		if askCode {
			if box, err = evaluate[codeBox](tab, findCodeJS); err != nil {
				return st, box, fmt.Errorf("look for a box for the one-time code: %w", err)
			}
		}
		if box.Found || base.shown(st, rec, false) != "" || time.Now().After(deadline) || !sleep(ctx, pollEvery) {
			return st, box, nil
		}
	}
}

// finish reads the answers' bodies, judges, keeps a screenshot of a
// failure, signs out of a success and checks that the sign-out ended the
// session; last, it looks for the secrets where they leak from.
// Everything the page said is masked here, before it is cut to length or
// quoted: a panel that echoes the password or the code must not put it in
// a report.
func (a *attempt) finish() {
	ctx, tab, rec, res, o := a.ctx, a.tab, a.rec, a.res, a.o
	mask := func(s string) string { return redact.Secrets(s, o.Password, o.OTP) }
	maskRequests := func(qs []Request) []Request {
		for i := range qs {
			q := &qs[i]
			q.URL, q.Message, q.Failure = mask(q.URL), mask(q.Message), mask(q.Failure)
		}
		return qs
	}
	res.Requests = maskRequests(rec.requests(tab))
	for _, line := range rec.consoleLines() {
		res.Console = append(res.Console, clip(mask(line)))
	}
	res.Shown, res.Text = clip(mask(res.Shown)), clip(mask(res.Text))
	res.Problems = append(res.Problems, judge(res, o)...)
	if res.Landed {
		res.Problems = append(res.Problems, signedInProblems(res, a.sentFrom, a.content)...)
	}
	if !res.Passed() && o.ScreenshotDir != "" && ctx.Err() == nil {
		// The screenshot shows the page as it was, but for the one-time
		// code, drawn as dots like the password beside it; it may show a
		// deployment's dashboard, so only its owner may read it.
		_, _ = evaluate[bool](tab, hideCodeJS)
		res.Screenshot, res.ScreenshotError = saveScreenshot(tab, o)
	}
	stores := []storage{readStorage(tab)}
	signedOutFrom, pageSignedOut := -1, false // the calls from the sign-out on; whether the page signed out
	if o.SignOut && ctx.Err() == nil {
		signedOutFrom = rec.count()
		switch {
		case res.Landed:
			res.SignedOut, pageSignedOut = signOut(tab, o)
		case res.Page != "":
			// Not where it should have landed, but perhaps signed in all
			// the same (a panel that lands elsewhere): a session the API
			// opened is ended if the page offers the way.
			if found, err := evaluate[bool](tab, findSignOutJS); err == nil && found {
				var said string
				said, pageSignedOut = signOut(tab, o)
				res.SignedOut = "the page offered a sign-out control though the sign-in did not land: " + said
			}
		}
		stores = append(stores, readStorage(tab))
	}
	// All the page did is in; the session check below asks the API, not
	// the page.
	urls, said, tokens := rec.kept(ctx)
	if signedOutFrom >= 0 {
		var p *Problem
		res.Session, p = endSession(ctx, o, tokens, pageSignedOut, maskRequests(rec.requests(tab))[signedOutFrom:])
		if p != nil {
			res.Problems = append(res.Problems, *p)
		}
	}
	res.Problems = append(res.Problems, secretProblems(o, urls, said, tokens, stores...)...)
	for i := range res.Problems {
		res.Problems[i].What = mask(res.Problems[i].What)
	}
	res.Session = mask(res.Session)
}

// signOut clicks the page's sign-out control and waits for it to leave the
// signed-in page; ok says it did.
func signOut(tab context.Context, o SignInOptions) (said string, ok bool) {
	found, err := evaluate[bool](tab, findSignOutJS)
	if err != nil || !found {
		return "the page has no sign-out control", false
	}
	before, _ := readPage(tab)
	clickCtx, cancel := context.WithTimeout(tab, o.Timeout)
	err = chromedp.Do(clickCtx, chromedp.Click(`[data-smoke-field="signout"]`))
	cancel()
	if err != nil {
		return "the sign-out control did not respond: " + err.Error(), false
	}
	// Signed out once the page moves on: a panel ends the session, then
	// leaves the signed-in page (the tab closes after this, so nothing in
	// flight is cut short by going sooner).
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(pollEvery) {
		st, err := readPage(tab)
		if err == nil && st.page() != before.page() {
			return "signed out through the page (now on " + st.page() + ")", true
		}
	}
	return "the page's sign-out control was clicked, but the page stayed signed in", false
}

// saveScreenshot writes a PNG of the tab into o.ScreenshotDir and returns
// its path, or why it could not.
func saveScreenshot(tab context.Context, o SignInOptions) (path, problem string) {
	png, err := chromedp.Run(tab, chromedp.CaptureScreenshot())
	if err != nil {
		return "", "the page could not be captured: " + err.Error()
	}
	name := o.ScreenshotName
	if name == "" {
		name = "browser-sign-in.png"
	}
	path = filepath.Join(o.ScreenshotDir, name)
	if err := os.MkdirAll(o.ScreenshotDir, 0o700); err != nil {
		return "", err.Error()
	}
	if err := os.WriteFile(path, png, 0o600); err != nil {
		return "", err.Error()
	}
	return path, ""
}
