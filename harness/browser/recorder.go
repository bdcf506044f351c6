package browser

// The recorder of what the page asked for and said: its requests and
// their answers, its console and its dialogs, over the DevTools protocol.

import (
	"context"
	"encoding/json"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/chromedp/cdproto/fetch"
	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	cdpruntime "github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// How much of what a page showed and logged goes into a report.
const (
	maxShownLength  = 300
	maxConsoleLines = 10
)

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

	// What the secrets check reads (secrets.go), kept whole and never
	// reported: every URL the page visited or asked for, fragment
	// included; everything it wrote to the console, at every level, its
	// objects as JSON; and the tokens the API issued to it.
	urls    []string
	said    []string
	issued  []issued
	reading int // console objects and answers' bodies still being read
}

// issued is a token pair an answer gave the page (a sign-in's, a
// refresh's), and the request that got it.
type issued struct {
	url             string // the request's, without its query
	access, refresh string
}

// Bounds on what the secrets check keeps of a page.
const (
	maxKeptURLs  = 500
	maxKeptSaid  = 500
	maxSaidBytes = 64 << 10
)

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
	if a.status >= 200 && a.status < 300 && jsonAnswer(e.ResponseHeaders) {
		// A token pair the API gave the page: the secrets the page must
		// not leak, and the session its sign-out must end.
		if body, err := chromedp.Call(r.tab, fetch.GetResponseBody, fetch.GetResponseBodyParams{RequestID: e.RequestID}); err == nil {
			if t, ok := tokensIn(body.Body); ok {
				t.url = withoutQuery(e.Request.URL)
				r.mu.Lock()
				r.issued = append(r.issued, t)
				r.mu.Unlock()
			}
		}
	}
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
	case *page.EventFrameNavigated:
		r.keepURL(e.Frame.URL + e.Frame.URLFragment)
		return
	case *page.EventNavigatedWithinDocument:
		r.keepURL(e.URL)
		return
	case *network.EventRequestWillBeSent:
		r.keepURL(e.Request.URL + e.Request.URLFragment)
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
				if a.ObjectID != "" {
					// An object is shown cut short: read it whole.
					r.reading++
					go r.readObject(a.ObjectID)
				}
			}
		}
		line := strings.Join(parts, " ")
		r.keepSaid(line)
		if e.Type == cdpruntime.ConsoleAPICalledTypeError || e.Type == cdpruntime.ConsoleAPICalledTypeAssert {
			r.addConsole("console.error: " + line)
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

// keepURL keeps a URL for the secrets check; the caller holds r.mu.
func (r *recorder) keepURL(u string) {
	if u != "" && len(r.urls) < maxKeptURLs && (len(r.urls) == 0 || r.urls[len(r.urls)-1] != u) {
		r.urls = append(r.urls, u)
	}
}

// keepSaid keeps what the page wrote to the console for the secrets
// check; the caller holds r.mu.
func (r *recorder) keepSaid(s string) {
	if len(r.said) < maxKeptSaid {
		r.said = append(r.said, s[:min(len(s), maxSaidBytes)])
	}
}

// readObject keeps a console object as JSON, as a script that sends the
// console to an error-reporting tool would read it.
func (r *recorder) readObject(id cdpruntime.RemoteObjectID) {
	v, err := chromedp.Call(r.tab, cdpruntime.CallFunctionOn, cdpruntime.CallFunctionOnParams{
		FunctionDeclaration: `function () { try { return JSON.stringify(this); } catch (e) { return String(this); } }`,
		ObjectID:            id, ReturnByValue: new(true)})
	r.mu.Lock()
	defer r.mu.Unlock()
	r.reading--
	if err == nil && v.Result != nil {
		var s string
		if json.Unmarshal(v.Result.Value, &s) == nil {
			r.keepSaid(s)
		}
	}
}

// kept is what the secrets check reads: the URLs, the console's lines
// and the tokens issued, once the objects and bodies being read are in.
func (r *recorder) kept(ctx context.Context) (urls, said []string, tokens []issued) {
	for deadline := time.Now().Add(2 * time.Second); time.Now().Before(deadline); {
		r.mu.Lock()
		reading := r.reading + r.paused
		r.mu.Unlock()
		if reading == 0 || !sleep(ctx, 10*time.Millisecond) {
			break
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.urls), slices.Clone(r.said), slices.Clone(r.issued)
}

// count is how many calls the page has made so far.
func (r *recorder) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.order)
}

// jsonAnswer: the answer's Content-Type is JSON.
func jsonAnswer(headers []*fetch.HeaderEntry) bool {
	for _, h := range headers {
		if strings.EqualFold(h.Name, "Content-Type") && strings.Contains(strings.ToLower(h.Value), "json") {
			return true
		}
	}
	return false
}

// tokensIn reads the token pair of an answer's body: access_token and
// refresh_token, at its top or one object down ({"data": {…}}).
func tokensIn(body []byte) (issued, bool) {
	var top map[string]json.RawMessage
	if json.Unmarshal(body, &top) != nil {
		return issued{}, false
	}
	read := func(m map[string]json.RawMessage) (t issued) {
		_ = json.Unmarshal(m["access_token"], &t.access)
		_ = json.Unmarshal(m["refresh_token"], &t.refresh)
		return t
	}
	if t := read(top); t.access != "" || t.refresh != "" {
		return t, true
	}
	for _, v := range top {
		var inner map[string]json.RawMessage
		if json.Unmarshal(v, &inner) == nil {
			if t := read(inner); t.access != "" || t.refresh != "" {
				return t, true
			}
		}
	}
	return issued{}, false
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
// quiet, for limit at most.
func (r *recorder) settle(ctx context.Context, quiet, limit time.Duration) {
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		r.mu.Lock()
		pending := false
		for _, t := range r.reqs {
			pending = pending || !t.done
		}
		left := quiet - time.Since(r.changed)
		r.mu.Unlock()
		if !pending && left <= 0 {
			return
		}
		// Quiet so far: look again when the quiet time would be over.
		wait := pollEvery
		if !pending {
			wait = max(left, time.Millisecond)
		}
		if !sleep(ctx, min(wait, time.Until(deadline))) {
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
		if out[i].Status != 0 && !out[i].Withheld && out[i].Failure == "net::ERR_ABORTED" {
			// Answered: Chrome calls an answer with no body to read (a
			// 204, paused and let go) aborted. The status is what counts.
			out[i].Failure = ""
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
