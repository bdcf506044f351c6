package browser

// After signing in: the signed-in page must work, and its sign-out must
// end the session the API gave it.

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// SessionPaths are where the API refreshes and ends a session: the
// harness asks it, after the page's sign-out, whether the session the
// page was given still lives. Zero values are the appydex contract's.
type SessionPaths struct {
	Refresh, Logout string
}

func (p SessionPaths) withDefaults() SessionPaths {
	if p.Refresh == "" {
		p.Refresh = "/api/v1/auth/refresh"
	}
	if p.Logout == "" {
		p.Logout = "/api/v1/auth/logout"
	}
	return p
}

// signedInProblems judges the page the sign-in landed on: every call it
// made since the form was sent (requests[sentFrom:]) must be answered 2xx
// or 3xx — one the browser withheld is a CORS problem of its own — and it
// must show something beyond its navigation and controls (content).
func signedInProblems(res *Result, sentFrom int, content string) []Problem {
	var ps []Problem
	for _, q := range res.Requests[min(sentFrom, len(res.Requests)):] {
		if (q.Status >= 200 && q.Status < 400) || q.Withheld {
			continue
		}
		ps = append(ps, newProblem(ClassSignedIn, fmt.Sprintf("the signed-in page's call %s failed: the page does not work", q)))
	}
	if content == "" {
		ps = append(ps, ruled(ClassSignedIn, ruleSignedInEmpty,
			fmt.Sprintf("the signed-in page %s shows nothing beyond its navigation and controls: %q", res.Page, res.Text)))
	}
	return ps
}

// endSession checks that the session the API issued to the page is over
// once the page signed out (pageSignedOut), by asking the API itself to
// refresh with the newest refresh token the page was given: anything but
// a refusal is a problem. A session still live — or one the page never
// offered to end — is ended through the API's logout, so that a sign-in
// against a deployment leaves no session open. calls are the requests
// the page made from its sign-out on.
func endSession(ctx context.Context, o SignInOptions, tokens []issued, pageSignedOut bool, calls []Request) (said string, problem *Problem) {
	var last issued
	for _, t := range tokens {
		if t.refresh != "" {
			last = t
		}
	}
	if last.refresh == "" {
		return "", nil // the page was given no refresh token the harness saw
	}
	paths := o.Session.withDefaults()
	u, err := url.Parse(last.url)
	if err != nil {
		return "", nil
	}
	api := u.Scheme + "://" + u.Host
	if !pageSignedOut {
		return "the harness ended the session through the API: " + logout(ctx, api+paths.Logout, last.refresh), nil
	}
	var notes []string
	if q := logoutCall(calls, paths.Logout); q != nil {
		notes = append(notes, "the page called "+q.String())
	} else {
		notes = append(notes, "the page made no call to the API to sign out")
	}
	status, body, err := post(ctx, api+paths.Refresh, last.refresh)
	asked := fmt.Sprintf("POST %s with the refresh token the page was given", api+paths.Refresh)
	switch {
	case err != nil:
		notes = append(notes, asked+": "+err.Error())
		p := newProblem(ClassSession, "the page's sign-out left the session in doubt: "+asked+" got no answer: "+err.Error())
		return strings.Join(notes, "; "), &p
	case status == http.StatusBadRequest || status == http.StatusUnauthorized || status == http.StatusForbidden:
		notes = append(notes, fmt.Sprintf("the API refuses that token since (%s → %d%s)", asked, status, codeOf(body)))
		return strings.Join(notes, "; "), nil
	case status >= 200 && status < 300:
		var pair struct {
			Refresh string `json:"refresh_token"`
		}
		_ = json.Unmarshal(body, &pair)
		ended := "the harness ended it through the API: " + logout(ctx, api+paths.Logout, cmp.Or(pair.Refresh, last.refresh))
		notes = append(notes, ended)
		p := newProblem(ClassSession, fmt.Sprintf("the page's sign-out left the session live: the refresh token still works (%s → %d); %s",
			asked, status, notes[0]))
		return strings.Join(notes, "; "), &p
	default:
		notes = append(notes, "the harness ended it through the API: "+logout(ctx, api+paths.Logout, last.refresh))
		p := newProblem(ClassSession, fmt.Sprintf("the page's sign-out left the session in doubt: %s → %d%s, not a refusal", asked, status, codeOf(body)))
		return strings.Join(notes, "; "), &p
	}
}

// logoutCall is the page's call to the API's logout path among calls, or
// nil.
func logoutCall(calls []Request, path string) *Request {
	for i := range calls {
		if u, err := url.Parse(calls[i].URL); err == nil && strings.HasSuffix(u.Path, path) {
			return &calls[i]
		}
	}
	return nil
}

// logout ends a session through the API, and says how it answered.
func logout(ctx context.Context, to, refresh string) string {
	status, body, err := post(ctx, to, refresh)
	if err != nil {
		return "POST " + to + ": " + err.Error()
	}
	return fmt.Sprintf("POST %s → %d%s", to, status, codeOf(body))
}

// post sends {"refresh_token": token} to the API.
func post(ctx context.Context, to, token string) (int, []byte, error) {
	payload, _ := json.Marshal(map[string]string{"refresh_token": token})
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, to, bytes.NewReader(payload))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	var buf bytes.Buffer
	_, _ = buf.ReadFrom(http.MaxBytesReader(nil, resp.Body, 64<<10))
	return resp.StatusCode, buf.Bytes(), nil
}

// codeOf is " CODE" for an answer in the error envelope, else "".
func codeOf(body []byte) string {
	var env envelope
	if json.Unmarshal(body, &env) == nil && env.Code != "" {
		return " " + env.Code
	}
	return ""
}
