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
