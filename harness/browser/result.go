package browser

// The result of a sign-in: the requests behind it, the problems found.

import (
	"fmt"
	"strings"

	"github.com/appydex/smoke/schema"
)

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

// Problem is one thing wrong with the sign-in, with its class, and the
// severity and rule that judged it (rules.go; docs/panel.md).
type Problem struct {
	Class    Class           `json:"class"`
	What     string          `json:"what"`
	Severity schema.Severity `json:"severity"`
	Rule     string          `json:"rule"`
}

// Class is the kind of a Problem, as reports and tests tell them apart.
type Class string

// The classes of Problem.
const (
	ClassSignIn    Class = "sign-in"     // the sign-in did not land, or the landing page shows an error
	ClassBlame     Class = "panel"       // the page's message misleads about the API's answer: a 500 shown as wrong credentials or the network's fault, none at all
	ClassCORS      Class = "cors"        // an answer the browser withheld from the page
	ClassNoForm    Class = "form"        // no sign-in form the harness can fill
	ClassPanelDown Class = "unreachable" // the panel's page does not load
	ClassSignedIn  Class = "signed-in"   // the signed-in page does not work: a call of its failed, or it shows nothing
	ClassSession   Class = "session"     // the page's sign-out left the session live
	ClassSecret    Class = "secret"      // a secret where it leaks from: a URL, script-readable storage, the console
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
	// Screenshot is the PNG saved on a failure; ScreenshotError says why
	// none was, when one should have been.
	Screenshot      string `json:"screenshot,omitempty"`
	ScreenshotError string `json:"screenshot_error,omitempty"`
	// SignedOut says how the page signed out, when SignInOptions.SignOut
	// asked; Session what became of the session the API gave the page:
	// whether the page called the API to end it, and whether the API
	// still refreshes its token.
	SignedOut string    `json:"signed_out,omitempty"`
	Session   string    `json:"session,omitempty"`
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

// Passed is a sign-in that landed with no problem of error severity
// (warnings and notices are said, and pass).
func (r *Result) Passed() bool { return r.Landed && r.Worst() != schema.Error }

// Worst is the gravest severity among the problems; "" when there are none.
func (r *Result) Worst() schema.Severity {
	var worst schema.Severity
	for _, p := range r.Problems {
		if severityRank(p.Severity) > severityRank(worst) {
			worst = p.Severity
		}
	}
	return worst
}

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
