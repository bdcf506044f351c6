package browser

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
)

// Only a request the browser dropped as the machine's network changed
// makes SignIn try again: a refused connection, a CORS refusal or an
// error answer is the finding itself.
func TestOnlyANetworkChangeIsTriedAgain(t *testing.T) {
	for _, c := range []struct {
		failure string
		retry   bool
	}{
		{"net::ERR_NETWORK_CHANGED", true},
		{"net::ERR_CONNECTION_REFUSED", false},
		{"CORS: PreflightMissingAllowOriginHeader", false},
		{"", false},
	} {
		res := &Result{Requests: []Request{{Method: "GET", URL: "http://127.0.0.1:1/healthz", Status: 200},
			{Method: "POST", URL: "http://127.0.0.1:1/api/v1/auth/login", Failure: c.failure}}}
		if got := networkChanged(res); (got != nil) != c.retry {
			t.Errorf("failure %q: tried again %v, want %v", c.failure, got != nil, c.retry)
		} else if got != nil && got.Method != "POST" {
			t.Errorf("failure %q: the request named is %s %s", c.failure, got.Method, got.URL)
		}
	}
}

// An answer the browser withholds (no CORS header) shows its status in
// network events that may come late or not at all: the status the paused
// answer had stands in. Here the events carry none, as in a CI run where
// the 500 behind a withheld answer went missing.
func TestAWithheldAnswerKeepsThePausedStatus(t *testing.T) {
	r := newRecorder(t.Context())
	const id = network.RequestID("7")
	r.event(&network.EventRequestWillBeSent{RequestID: id, Type: network.ResourceTypeFetch,
		Request: &network.Request{Method: "POST", URL: "http://127.0.0.1:1/api/v1/auth/login?x=1"}})
	r.answers[id] = answer{status: 500, env: envelope{Code: "INTERNAL_ERROR", Message: "Something went wrong"}}
	r.event(&network.EventLoadingFailed{RequestID: id, ErrorText: "net::ERR_FAILED",
		CorsErrorStatus: &network.CorsErrorStatus{CorsError: network.CorsErrorMissingAllowOriginHeader}})

	got := r.requests(t.Context())
	want := Request{Method: "POST", URL: "http://127.0.0.1:1/api/v1/auth/login", Status: 500, Code: "INTERNAL_ERROR",
		Message: "Something went wrong", Failure: "CORS: MissingAllowOriginHeader", Withheld: true}
	if len(got) != 1 || got[0] != want {
		t.Fatalf("requests %+v, want %+v", got, want)
	}

	// A status the network events gave is kept.
	r.event(&network.EventResponseReceivedExtraInfo{RequestID: id, StatusCode: 502})
	if got := r.requests(t.Context()); got[0].Status != 502 {
		t.Errorf("status %d, want the network's 502", got[0].Status)
	}
}

// The browser sends nothing when the API's preflight refuses the origin;
// an answer it withholds was sent and answered, whatever its status.
func TestWithheldIsNotUnsent(t *testing.T) {
	for _, c := range []struct {
		q    Request
		want string
	}{
		{Request{Method: "POST", URL: "http://127.0.0.1:1/api/v1/auth/login", Withheld: true, Failure: "CORS: PreflightMissingAllowOriginHeader"},
			"the browser did not send POST"},
		{Request{Method: "POST", URL: "http://127.0.0.1:1/api/v1/auth/login", Withheld: true, Failure: "CORS: MissingAllowOriginHeader", Status: 500},
			"the API's answer to POST http://127.0.0.1:1/api/v1/auth/login (HTTP 500) carried no CORS header"},
		{Request{Method: "POST", URL: "http://127.0.0.1:1/api/v1/auth/login", Withheld: true, Failure: "CORS: MissingAllowOriginHeader"},
			"(of a status the browser did not say) carried no CORS header"},
	} {
		res := &Result{Page: "/", Shown: "Sign-in failed", Requests: []Request{c.q}}
		ps := judge(res, SignInOptions{Landing: []string{"/dashboard"}, Timeout: time.Second})
		if len(ps) != 2 || ps[1].Class != ClassCORS || !strings.Contains(ps[1].What, c.want) {
			t.Errorf("%s: problems %v, want a %s problem saying %q", c.q.Failure, ps, ClassCORS, c.want)
		}
	}
}
