package browser

import "testing"

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
