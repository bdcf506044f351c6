package browser

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/chromedp/cdproto"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/fetch"
	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	cdpruntime "github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/appydex/smoke/redact"
)

// SignIn says which panel to sign in to, and as whom.
type SignIn struct {
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
}

// Request is one call the page made while signing in, and its answer as
// the browser received it.
type Request struct {
	Method string `json:"method"`
	URL    string `json:"url"` // without its query: it can carry tokens
	// Status is the HTTP status; 0 when no answer reached the browser.
	Status int `json:"status,omitempty"`
	// Code and Message are the error envelope's, when the body was one.
	Code    string `json:"code,omitempty"`
	Message string `json:"message,omitempty"`
	// Failure is the browser's reason for a request that failed:
	// net::ERR_CONNECTION_REFUSED, or a CORS refusal.
	Failure string `json:"failure,omitempty"`
	// Withheld: the server answered, but the browser kept the answer from
	// the page (no CORS header for its origin).
	Withheld bool `json:"withheld,omitempty"`
}

func (r Request) String() string {
	s := r.Method + " " + r.URL + " → "
	switch {
	case r.Status != 0 && r.Code != "":
		s += fmt.Sprintf("%d %s", r.Status, r.Code)
	case r.Status != 0:
		s += fmt.Sprint(r.Status)
	case r.Withheld && !r.preflightRefused():
		s += "an answer of a status the browser did not say"
	default:
		s += "no answer"
	}
	if r.Withheld {
		s += ", withheld from the page by the browser (" + r.Failure + ")"
	} else if r.Failure != "" {
		s += " (" + r.Failure + ")"
	}
	return s
}

// preflightRefused: the browser did not send the request, as the API's
// answer to its CORS preflight did not allow the page's origin.
func (r Request) preflightRefused() bool {
	return r.Withheld && strings.HasPrefix(r.Failure, "CORS: Preflight")
}

// Problem is one thing wrong with the sign-in, with its class.
type Problem struct {
	Class string `json:"class"`
	What  string `json:"what"`
}

// Classes of Problem.
const (
	ClassSignIn     = "sign-in"     // the sign-in did not land, or the landing page shows an error
	ClassBlame      = "panel"       // the page blames the connection for an answer the API gave
	ClassCORS       = "cors"        // an answer the browser withheld from the page
	ClassNoForm     = "form"        // no sign-in form the harness can fill
	ClassPanelDown  = "unreachable" // the panel's page does not load
	defaultTimeout  = 20 * time.Second
	maxShownLength  = 300
	maxConsoleLines = 10
)

// Result is what the person would have seen.
type Result struct {
	// Landed: the page reached a signed-in path.
	Landed bool `json:"landed"`
	// Page is the path the page ended on.
	Page string `json:"page"`
	// Shown is the page's visible error or notice text ("" when none).
	Shown string `json:"shown,omitempty"`
	// Text is the start of the page's visible text.
	Text     string    `json:"text,omitempty"`
	Requests []Request `json:"requests"`
	Console  []string  `json:"console,omitempty"`
	// Screenshot is the PNG saved on a failure.
	Screenshot string `json:"screenshot,omitempty"`
	// SignedOut says how the session ended, when SignIn.SignOut asked.
	SignedOut string    `json:"signed_out,omitempty"`
	Problems  []Problem `json:"problems,omitempty"`
	// CodePage is the page that asked for the one-time code after the
	// email and password were sent ("" when the sign-in page asked for all
	// three).
	CodePage string `json:"code_page,omitempty"`
	// Retried says why the sign-in was tried again from the start: the
	// browser dropped a request because this machine's network changed
	// (net::ERR_NETWORK_CHANGED — a container's interface came or went),
	// which says nothing of the panel or the API.
	Retried []string `json:"retried,omitempty"`
}

// Passed is a sign-in that landed with nothing wrong.
func (r *Result) Passed() bool { return r.Landed && len(r.Problems) == 0 }

// Failing is the request behind a failure: the first API call the browser
// got no usable answer to, else nil.
func (r *Result) Failing() *Request {
	for i := range r.Requests {
		if q := &r.Requests[i]; q.Status >= 400 || q.Status == 0 {
			return q
		}
	}
	return nil
}

// blame is a page's text that puts a failure on the network.
var blame = regexp.MustCompile(`(?i)cannot connect|can't connect|could not connect|unable to connect|unable to reach|could not reach|cannot reach|network error|failed to fetch|connection (refused|failed|error|problem)|check your (internet|connection)`)

// SignIn opens the panel in a tab of its own (a fresh profile: no cookies,
// no storage), fills the form, submits it, and waits until the page lands
// on a signed-in path or shows an error. A sign-in whose request the
// browser dropped because the machine's network changed is tried again
// (twice at most), and the result says so.
func (b *Browser) SignIn(ctx context.Context, o SignIn) (*Result, error) {
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

func (b *Browser) signIn(ctx context.Context, o SignIn) (*Result, error) {
	if len(o.Landing) == 0 {
		o.Landing = []string{"/dashboard", "/admins"}
	}
	if o.Timeout == 0 {
		o.Timeout = defaultTimeout
	}
	tab, closeTab := chromedp.NewContext(b.ctx, chromedp.WithNewBrowserContext())
	defer closeTab()
	stop := context.AfterFunc(ctx, closeTab) // an interrupt closes the tab at once
	defer stop()

	rec := newRecorder(tab)
	if err := chromedp.Listen(tab, rec.event); err != nil {
		return nil, fmt.Errorf("open a tab: %w", err)
	}
	// A page need not read an error answer's body, and the browser keeps
	// only what the page read: the page's calls are paused as their
	// answers arrive, long enough to read an error's envelope.
	patterns := []*fetch.RequestPattern{
		{URLPattern: "*", ResourceType: network.ResourceTypeFetch, RequestStage: fetch.RequestStageResponse},
		{URLPattern: "*", ResourceType: network.ResourceTypeXHR, RequestStage: fetch.RequestStageResponse},
	}
	if _, err := chromedp.Call(tab, fetch.Enable, fetch.EnableParams{Patterns: patterns}); err != nil {
		return nil, fmt.Errorf("watch the tab's answers: %w", err)
	}
	if _, err := chromedp.Call(tab, network.Enable, network.EnableParams{}); err != nil {
		return nil, fmt.Errorf("watch the tab's network: %w", err)
	}
	if _, err := chromedp.Call(tab, log.Enable, cdp.Empty{}); err != nil {
		return nil, fmt.Errorf("watch the tab's log: %w", err)
	}
	res := &Result{Requests: []Request{}}
	finish := func() (*Result, error) {
		b.finish(ctx, tab, rec, res, o)
		return res, ctx.Err()
	}

	navCtx, cancel := context.WithTimeout(tab, o.Timeout)
	err := chromedp.Do(navCtx, chromedp.Navigate(o.PanelURL))
	cancel()
	if err != nil {
		res.Problems = append(res.Problems, Problem{ClassPanelDown, fmt.Sprintf("the panel's page %s does not load: %v", o.PanelURL, err)})
		return finish()
	}
	form, err := findForm(tab)
	if err != nil {
		return nil, fmt.Errorf("read the sign-in page: %w", err)
	}
	// A panel may ask for the one-time code after the email and password:
	// a sign-in page with every box but the code's is one, and the code is
	// typed when its box comes.
	codeLater := o.OTP != "" && slices.Equal(form.Missing, []string{"otp"})
	if o.OTP == "" || codeLater {
		form.Missing = slices.DeleteFunc(form.Missing, func(s string) bool { return s == "otp" })
	}
	if len(form.Missing) > 0 {
		var no []string
		for _, m := range form.Missing {
			no = append(no, formBoxes[m])
		}
		res.Problems = append(res.Problems, Problem{ClassNoForm, "the page at " + o.PanelURL + " has no sign-in form to fill: found no " +
			strings.Join(no, ", no ")})
		return finish()
	}
	typing := []chromedp.Action[chromedp.Void]{typeInto("login", o.Login), typeInto("password", o.Password)}
	if o.OTP != "" && !codeLater {
		code, err := typeCode(o.OTP, form.Digits)
		if err != nil {
			res.Problems = append(res.Problems, Problem{ClassNoForm, "the page at " + o.PanelURL + " " + err.Error()})
			return finish()
		}
		typing = append(typing, code...)
	}
	base, err := rec.baseline(tab)
	if err != nil {
		return nil, fmt.Errorf("read the sign-in page: %w", err)
	}
	remark := func() error {
		again, err := findForm(tab)
		if err == nil && len(again.Missing) > len(form.Missing) {
			err = errors.New("the sign-in form went away while it was being filled")
		}
		return err
	}
	if err := send(tab, o, typing, remark); err != nil {
		res.Problems = append(res.Problems, Problem{ClassNoForm, "the sign-in form at " + o.PanelURL + " did not take what was typed: " + err.Error()})
		return finish()
	}

	st, box, err := waitForAnswer(ctx, tab, rec, o, base, codeLater)
	if err != nil {
		return nil, err
	}
	if box.Found {
		// The page the box is on, not the page read before it: a sign-in
		// page may move to the code's page between the two reads.
		res.CodePage = pageState{Path: box.Path, Route: box.Route}.page()
		code, err := typeCode(o.OTP, box.Digits)
		if err != nil {
			res.Problems = append(res.Problems, Problem{ClassNoForm, "the page " + res.CodePage + " " + err.Error()})
			return finish()
		}
		if base, err = rec.baseline(tab); err != nil {
			return nil, fmt.Errorf("read the page that asks for the one-time code: %w", err)
		}
		remark := func() error {
			again, err := evaluate[codeBox](tab, findCodeJS)
			if err == nil && !again.Found {
				err = errors.New("the box for the one-time code went away while it was being filled")
			}
			return err
		}
		if err := send(tab, o, code, remark); err != nil {
			res.Problems = append(res.Problems, Problem{ClassNoForm, "the page " + res.CodePage + " did not take the one-time code: " + err.Error()})
			return finish()
		}
		if st, _, err = waitForAnswer(ctx, tab, rec, o, base, false); err != nil {
			return nil, err
		}
	} else if codeLater && !o.landedAt(st) && base.shown(st, rec, false) == "" && ctx.Err() == nil {
		res.Problems = append(res.Problems, Problem{ClassNoForm, "the page at " + o.PanelURL + " has no box for a one-time code, " +
			"and none came after the email and password were sent"})
	}
	if ctx.Err() != nil {
		return finish()
	}
	rec.settle(ctx, 300*time.Millisecond, 3*time.Second)
	if st, err = readPage(tab); err != nil {
		return nil, fmt.Errorf("read the page after signing in: %w", err)
	}
	// On a signed-in page only an error counts: a welcome notice is not one.
	res.Landed, res.Page, res.Text = o.landedAt(st), st.page(), st.Text
	res.Shown = base.shown(st, rec, res.Landed)
	return finish()
}

// formBoxes names the sign-in form's parts as a person would.
var formBoxes = map[string]string{
	"login":    "box for an email or phone",
	"password": "password box",
	"otp":      "box for a one-time code",
	"submit":   "submit button",
}

// signInForm is what findFormJS found and marked.
type signInForm struct {
	Missing []string `json:"missing"`
	Digits  int      `json:"digits"`
}

func findForm(tab context.Context) (signInForm, error) { return evaluate[signInForm](tab, findFormJS) }

// codeBox is the page's box for the one-time code, when it asks for the
// code after the password.
type codeBox struct {
	Found bool `json:"found"`
	// Digits is how many boxes a code split one character a box has; 0
	// when it is one box.
	Digits int `json:"digits"`
	// Path and Route are where the box was found.
	Path  string `json:"path"`
	Route string `json:"route"`
}

// typeInto types v into the box marked field (emptied as it was marked).
func typeInto(field, v string) chromedp.Action[chromedp.Void] {
	return chromedp.SendKeys(`[data-smoke-field="`+field+`"]`, v)
}

// typeCode types the one-time code into its marked box, or a character
// into each of digits boxes when the page splits it so.
func typeCode(code string, digits int) ([]chromedp.Action[chromedp.Void], error) {
	if digits == 0 {
		return []chromedp.Action[chromedp.Void]{typeInto("otp", code)}, nil
	}
	chars := []rune(code)
	if len(chars) != digits {
		return nil, fmt.Errorf("asks for the one-time code in %d boxes, a character each, but the code given has %d characters", digits, len(chars))
	}
	typing := make([]chromedp.Action[chromedp.Void], len(chars))
	for k, c := range chars {
		typing[k] = typeInto(fmt.Sprintf("otp-%d", k), string(c))
	}
	return typing, nil
}

// send types into the marked boxes and clicks the marked button, bounded
// in time: a page that draws its form again after it loads (a framework
// taking over the server's HTML) drops the marks, and a wait for them
// would never end. The boxes are then found again with remark, and typed
// into afresh, once.
func send(tab context.Context, o SignIn, typing []chromedp.Action[chromedp.Void], remark func() error) error {
	try := func(d time.Duration) error {
		c, cancel := context.WithTimeout(tab, d)
		defer cancel()
		return chromedp.Do(c, append(slices.Clone(typing), chromedp.Click(`[data-smoke-field="submit"]`))...)
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
func waitForAnswer(ctx context.Context, tab context.Context, rec *recorder, o SignIn, base baseline, askCode bool) (st pageState, box codeBox, err error) {
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
		if box.Found || base.shown(st, rec, false) != "" || time.Now().After(deadline) || !sleep(ctx, 100*time.Millisecond) {
			return st, box, nil
		}
	}
}

// finish reads the answers' bodies, judges, keeps a screenshot of a
// failure and signs out of a success.
// Everything the page said is masked here, before it is cut to length or
// quoted: a panel that echoes the password or the code must not put it in
// a report.
func (b *Browser) finish(ctx context.Context, tab context.Context, rec *recorder, res *Result, o SignIn) {
	mask := func(s string) string { return redact.Secrets(s, o.Password, o.OTP) }
	res.Requests = rec.requests(tab)
	for i := range res.Requests {
		q := &res.Requests[i]
		q.URL, q.Message, q.Failure = mask(q.URL), mask(q.Message), mask(q.Failure)
	}
	for _, line := range rec.consoleLines() {
		res.Console = append(res.Console, clip(mask(line)))
	}
	res.Shown, res.Text = clip(mask(res.Shown)), clip(mask(res.Text))
	res.Problems = append(res.Problems, judge(res, o)...)
	for i := range res.Problems {
		res.Problems[i].What = mask(res.Problems[i].What)
	}
	if !res.Passed() && o.ScreenshotDir != "" && ctx.Err() == nil {
		// The screenshot shows the page as it was, but for the one-time
		// code, drawn as dots like the password beside it; it may show a
		// deployment's dashboard, so only its owner may read it.
		_, _ = evaluate[bool](tab, hideCodeJS)
		if png, err := chromedp.Run(tab, chromedp.CaptureScreenshot()); err == nil {
			name := o.ScreenshotName
			if name == "" {
				name = "browser-sign-in.png"
			}
			path := filepath.Join(o.ScreenshotDir, name)
			if err := os.MkdirAll(o.ScreenshotDir, 0o700); err == nil && os.WriteFile(path, png, 0o600) == nil {
				res.Screenshot = path
			}
		}
	}
	switch {
	case !o.SignOut || ctx.Err() != nil:
	case res.Landed:
		res.SignedOut = signOut(tab, o)
	case res.Page != "":
		// Not where it should have landed, but perhaps signed in all the
		// same (a panel that lands elsewhere): a session the API opened
		// is ended if the page offers the way.
		if found, err := evaluate[bool](tab, findSignOutJS); err == nil && found {
			res.SignedOut = "the page offered a sign-out control though the sign-in did not land: " + signOut(tab, o)
		}
	}
}

// judge names what is wrong with a finished sign-in.
func judge(res *Result, o SignIn) []Problem {
	var ps []Problem
	failing := res.Failing()
	switch {
	case res.Page == "":
		// Nothing was sent: the page did not load, or had no form to
		// fill, as a problem of its own says.
	case !res.Landed && res.Shown != "":
		what := fmt.Sprintf("the sign-in stayed on %s; the page showed %q", res.Page, res.Shown)
		if failing != nil {
			what += "; behind it: " + failing.String()
		}
		ps = append(ps, Problem{ClassSignIn, what})
	case !res.Landed:
		what := fmt.Sprintf("the sign-in did not reach %s within %s; the page (%s) showed no error: %q",
			strings.Join(o.Landing, " or "), o.Timeout, res.Page, res.Text)
		if failing != nil {
			what += "; behind it: " + failing.String()
		}
		ps = append(ps, Problem{ClassSignIn, what})
	case res.Shown != "":
		ps = append(ps, Problem{ClassSignIn, fmt.Sprintf("signed in to %s, but the page shows %q", res.Page, res.Shown)})
	}
	// The page blames the connection for an answer it could read: the
	// request behind the failure has a status, and the browser let the
	// page see it.
	if failing != nil && failing.Status != 0 && !failing.Withheld && blame.MatchString(res.Shown) {
		ps = append(ps, Problem{ClassBlame, fmt.Sprintf("the page says %q, but the API answered: %s", res.Shown, failing)})
	}
	for _, q := range res.Requests {
		switch {
		case q.preflightRefused():
			ps = append(ps, Problem{ClassCORS, fmt.Sprintf("the browser did not send %s %s: the API allows no request from the panel's origin (%s): "+
				"add the panel's origin to the API's allowed origins", q.Method, q.URL, q.Failure)})
		case q.Withheld:
			status := "of a status the browser did not say"
			if q.Status != 0 {
				status = fmt.Sprintf("HTTP %d", q.Status)
			}
			ps = append(ps, Problem{ClassCORS, fmt.Sprintf("the API's answer to %s %s (%s) carried no CORS header for the panel's origin, "+
				"so the browser withheld it from the page (%s): set the header on every answer, errors included", q.Method, q.URL, status, q.Failure)})
		}
	}
	return ps
}

// landedAt: the page is on a signed-in path, or routes to one in its
// address's fragment (/#/dashboard).
func (o SignIn) landedAt(st pageState) bool {
	return o.landed(st.Path) || (st.Route != "" && o.landed(st.Route))
}

func (o SignIn) landed(path string) bool {
	for _, p := range o.Landing {
		if path == p || strings.HasPrefix(path, strings.TrimRight(p, "/")+"/") {
			return true
		}
	}
	return false
}

type pageState struct {
	Path string `json:"path"`
	// Route is the path in the address's fragment of a panel that routes
	// there (#/dashboard), else "".
	Route   string   `json:"route"`
	Notices []notice `json:"notices"`
	Text    string   `json:"text"`
}

// notice is a visible message on the page; Error when it looks like one
// (role=alert, or a class that names an error, alert or danger).
type notice struct {
	Text  string `json:"text"`
	Error bool   `json:"error"`
}

// page is where the page is, as the step reports it.
func (st pageState) page() string {
	if st.Route != "" {
		return st.Path + "#" + st.Route
	}
	return st.Path
}

// baseline is what a page showed before a form on it was sent: notices it
// showed then (a banner, a hint) are not its answer, and its answer's
// dialog boxes are those opened since.
type baseline struct {
	notices []string
	dialogs int
}

func (r *recorder) baseline(tab context.Context) (baseline, error) {
	st, err := readPage(tab)
	b := baseline{dialogs: len(r.dialogLines())}
	for _, n := range st.Notices {
		b.notices = append(b.notices, n.Text)
	}
	return b, err
}

// shown is what the page says that it did not say at b: its new notices
// (only the errors among them, when errorsOnly) and the dialog boxes it
// opened since.
func (b baseline) shown(st pageState, r *recorder, errorsOnly bool) string {
	var said []string
	for _, n := range st.Notices {
		if !slices.Contains(b.notices, n.Text) && (n.Error || !errorsOnly) {
			said = append(said, n.Text)
		}
	}
	for _, d := range r.dialogLines()[b.dialogs:] {
		said = append(said, d+" (in a dialog box)")
	}
	return strings.Join(said, " | ")
}

// readPage reads where the page is and what it shows.
func readPage(tab context.Context) (pageState, error) {
	return evaluate[pageState](tab, readPageJS)
}

// evaluate runs js in the page and returns its value. A page that is
// navigating (a sign-in moving on to the dashboard, a page sending the
// browser elsewhere as it loads) has no document to run it in for a
// moment, and Chrome answers "Inspected target navigated or closed" or
// "Execution context was destroyed": the call is tried again until the
// next page is there, for up to navigationGrace.
func evaluate[T any](tab context.Context, js string) (T, error) {
	deadline := time.Now().Add(navigationGrace)
	for {
		v, err := chromedp.Run(tab, chromedp.Evaluate[T](js))
		if err == nil || !navigating(err) || time.Now().After(deadline) || !sleep(tab, 50*time.Millisecond) {
			return v, err
		}
	}
}

// navigationGrace is how long a page may take to replace its document.
const navigationGrace = 5 * time.Second

// navigating reports whether err is Chrome saying the document went away
// under the call: a navigation, not a broken page.
func navigating(err error) bool {
	var ce *cdproto.Error
	return errors.As(err, &ce) && ce.Code == -32000 &&
		(strings.Contains(ce.Message, "navigated or closed") || strings.Contains(ce.Message, "context was destroyed") ||
			strings.Contains(ce.Message, "Cannot find context"))
}

// signOut clicks the page's sign-out control and waits for it to leave the
// signed-in page.
func signOut(tab context.Context, o SignIn) string {
	found, err := evaluate[bool](tab, findSignOutJS)
	if err != nil || !found {
		return "the page has no sign-out control: the browser's session stays until it expires"
	}
	before, _ := readPage(tab)
	clickCtx, cancel := context.WithTimeout(tab, o.Timeout)
	err = chromedp.Do(clickCtx, chromedp.Click(`[data-smoke-field="signout"]`))
	cancel()
	if err != nil {
		return "the sign-out control did not respond: " + err.Error()
	}
	// Signed out once the page moves on: a panel ends the session, then
	// leaves the signed-in page (the tab closes after this, so nothing in
	// flight is cut short by going sooner).
	for range 50 {
		st, err := readPage(tab)
		if err == nil && st.page() != before.page() {
			return "signed out through the page (now on " + st.page() + ")"
		}
		time.Sleep(100 * time.Millisecond)
	}
	return "the page's sign-out control was clicked, but the page stayed signed in"
}

func clip(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > maxShownLength {
		return string(r[:maxShownLength]) + "…"
	}
	return s
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// recorder keeps the tab's requests and console errors as the events come.
type recorder struct {
	tab     context.Context
	mu      sync.Mutex
	order   []network.RequestID
	reqs    map[network.RequestID]*tracked
	answers map[network.RequestID]answer // as the answers arrived, paused
	paused  int                          // answers paused and not yet let go
	console []string
	dialogs []string // the messages of the dialog boxes the page opened
	changed time.Time
}

// answer is what a paused answer showed: its status, and an error
// answer's envelope. The network events give the status too, but for an
// answer the browser withholds (no CORS header) only one that may come
// late or not at all.
type answer struct {
	status int
	env    envelope
}

// envelope is an error answer's {"code", "message"}.
type envelope struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

type tracked struct {
	Request
	done bool
}

func newRecorder(tab context.Context) *recorder {
	return &recorder{tab: tab, reqs: map[network.RequestID]*tracked{}, answers: map[network.RequestID]answer{}, changed: time.Now()}
}

// intercept keeps a paused answer's status and an error answer's envelope,
// and lets it go on. It runs on a goroutine of its own: commands cannot
// run on the listener's.
func (r *recorder) intercept(e *fetch.EventRequestPaused) {
	defer func() {
		r.mu.Lock()
		r.paused--
		r.mu.Unlock()
	}()
	a := answer{status: int(e.ResponseStatusCode)}
	if a.status >= 400 {
		if body, err := chromedp.Call(r.tab, fetch.GetResponseBody, fetch.GetResponseBodyParams{RequestID: e.RequestID}); err == nil {
			var env envelope
			if json.Unmarshal(body.Body, &env) == nil && env.Code != "" {
				a.env = env
			}
		}
	}
	r.mu.Lock()
	r.answers[e.NetworkID] = a
	r.mu.Unlock()
	_, _ = chromedp.Call(r.tab, fetch.ContinueResponse, fetch.ContinueResponseParams{RequestID: e.RequestID})
}

// event runs on the tab's reading goroutine: it only records.
func (r *recorder) event(ev any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	switch e := ev.(type) {
	case *fetch.EventRequestPaused:
		r.paused++
		go r.intercept(e)
		return
	case *page.EventJavascriptDialogOpening:
		// An alert() stops the page, and the click that opened it, until
		// someone closes it: the harness reads it and closes it, as a
		// person would.
		r.dialogs = append(r.dialogs, e.Message)
		go func() {
			_, _ = chromedp.Call(r.tab, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: true})
		}()
	case *network.EventRequestWillBeSent:
		if e.Type != network.ResourceTypeFetch && e.Type != network.ResourceTypeXHR {
			return
		}
		if _, ok := r.reqs[e.RequestID]; !ok {
			r.order = append(r.order, e.RequestID)
		}
		r.reqs[e.RequestID] = &tracked{Request: Request{Method: e.Request.Method, URL: withoutQuery(e.Request.URL)}}
	case *network.EventResponseReceived:
		if t := r.reqs[e.RequestID]; t != nil {
			t.Status = int(e.Response.Status)
		}
	case *network.EventResponseReceivedExtraInfo:
		// The network's only word of a status the browser withholds from
		// the page; it may come late or not at all, so the paused answer's
		// status stands in (requests).
		if t := r.reqs[e.RequestID]; t != nil && t.Status == 0 {
			t.Status = int(e.StatusCode)
		}
	case *network.EventLoadingFinished:
		if t := r.reqs[e.RequestID]; t != nil {
			t.done = true
		}
	case *network.EventLoadingFailed:
		if t := r.reqs[e.RequestID]; t != nil {
			t.done, t.Failure = true, e.ErrorText
			if e.CorsErrorStatus != nil {
				t.Withheld = true
				t.Failure = "CORS: " + string(e.CorsErrorStatus.CorsError)
			}
		}
	case *cdpruntime.EventConsoleAPICalled:
		if e.Type == cdpruntime.ConsoleAPICalledTypeError || e.Type == cdpruntime.ConsoleAPICalledTypeAssert {
			var parts []string
			for _, a := range e.Args {
				if a.Value != nil {
					var s string
					if json.Unmarshal(a.Value, &s) == nil {
						parts = append(parts, s)
						continue
					}
					parts = append(parts, string(a.Value))
				} else {
					parts = append(parts, a.Description)
				}
			}
			r.addConsole("console.error: " + strings.Join(parts, " "))
		}
	case *cdpruntime.EventExceptionThrown:
		text := e.ExceptionDetails.Text
		if ex := e.ExceptionDetails.Exception; ex != nil && ex.Description != "" {
			text = ex.Description
		}
		r.addConsole("uncaught: " + firstLine(text))
	case *log.EventEntryAdded:
		if e.Entry.Level == log.EntryLevelError && !strings.HasSuffix(e.Entry.URL, "/favicon.ico") {
			r.addConsole(firstLine(e.Entry.Text))
		}
	default:
		return
	}
	r.changed = time.Now()
}

// addConsole keeps a console line whole (to a bound): it is masked before
// it is cut to length, so no part of a secret is left at the cut.
func (r *recorder) addConsole(line string) {
	if len(r.console) < maxConsoleLines {
		r.console = append(r.console, line[:min(len(line), 4*maxShownLength)])
	}
}

func (r *recorder) dialogLines() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.dialogs)
}

// settle waits until every call is answered and nothing has happened for
// quiet, at most max.
func (r *recorder) settle(ctx context.Context, quiet, max time.Duration) {
	deadline := time.Now().Add(max)
	for time.Now().Before(deadline) {
		r.mu.Lock()
		pending := false
		for _, t := range r.reqs {
			pending = pending || !t.done
		}
		idle := time.Since(r.changed) >= quiet
		r.mu.Unlock()
		if !pending && idle {
			return
		}
		if !sleep(ctx, 50*time.Millisecond) {
			return
		}
	}
}

// requests are the calls in the order made, an error answer's envelope
// read from its body.
func (r *recorder) requests(tab context.Context) []Request {
	for deadline := time.Now().Add(3 * time.Second); time.Now().Before(deadline); {
		r.mu.Lock()
		paused := r.paused
		r.mu.Unlock()
		if paused == 0 || !sleep(tab, 10*time.Millisecond) {
			break
		}
	}
	r.mu.Lock()
	ids := slices.Clone(r.order)
	out := make([]Request, len(ids))
	for i, id := range ids {
		out[i] = r.reqs[id].Request
		if a, ok := r.answers[id]; ok {
			out[i].Code, out[i].Message = a.env.Code, a.env.Message
			if out[i].Status == 0 {
				out[i].Status = a.status
			}
		}
	}
	r.mu.Unlock()
	for i, id := range ids {
		if out[i].Status < 400 || out[i].Code != "" {
			continue
		}
		body, err := chromedp.Call(tab, network.GetResponseBody, network.GetResponseBodyParams{RequestID: id})
		if err != nil {
			continue
		}
		var env envelope
		if json.Unmarshal([]byte(body.Body), &env) == nil {
			out[i].Code, out[i].Message = env.Code, env.Message
		}
	}
	return out
}

func (r *recorder) consoleLines() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.console)
}

func withoutQuery(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable URL)"
	}
	u.RawQuery, u.Fragment, u.User = "", "", nil
	return u.String()
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}
