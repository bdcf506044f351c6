// Package flow runs the appydex login → refresh → reuse → logout scenario
// against any deployment of the auth API — the reference implementation
// in-process, a container of it, or the real backend at a URL — step by
// step, checking every HTTP answer against the API's OpenAPI document and,
// given the database, the rows the API writes.
package flow

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// Config says what to run the flow against.
type Config struct {
	// BaseURL is the API, e.g. http://localhost:16110.
	BaseURL string
	// DatabaseURL, when set, is the API's database: the flow then checks the
	// rows it writes, over a read-only connection. One of its queries reads
	// refresh_tokens whole, to show the token's plaintext is in no row.
	DatabaseURL string
	// The account to sign in as, e.g. admin@appydex.local / admin123!@# / 000000.
	Email, Password, OTP string
	// UserAgent is sent on every request, and checked in the stored row.
	UserAgent string
	Paths     Paths
	Client    *http.Client
}

// Paths are the API's endpoints.
type Paths struct {
	Login, Refresh, Logout, Me, Healthz, Readyz, OpenAPI string
}

// DefaultPaths are the appydex API's.
func DefaultPaths() Paths {
	return Paths{Login: "/api/v1/auth/login", Refresh: "/api/v1/auth/refresh", Logout: "/api/v1/auth/logout",
		Me: "/api/v1/auth/me", Healthz: "/healthz", Readyz: "/readyz", OpenAPI: "/openapi/v1.json"}
}

// The names of the flow's steps, in the order Run takes them: callers find
// a step by these, never by the text of its checks.
const (
	StepHealth           = "health"
	StepOpenAPI          = "openapi"
	StepReady            = "ready"
	StepLogin            = "login"
	StepMe               = "me"
	StepStoredRow        = "stored token row"
	StepRefresh          = "refresh"
	StepReuse            = "reuse"
	StepLogout           = "logout"
	StepWrongCredentials = "wrong credentials"
	StepMalformed        = "malformed requests"
)

// Step is one step of the flow: what it sent, what came back, what it checked.
type Step struct {
	Name   string `json:"name"`
	Passed bool   `json:"passed"` // every check held
	// HTTPStatus and ErrorCode are the answer to the step's main request
	// (its first, or for logout the logout itself): the status, and the
	// code of the API's error envelope ("" for a success or a body that is
	// no envelope). HTTPStatus is 0 when that request got no answer.
	HTTPStatus int    `json:"status"`
	ErrorCode  string `json:"error_code,omitempty"`
	// Unreachable: a request of the step got no answer at all (connection
	// refused, a timeout, a reset): the target is down, not wrong.
	Unreachable bool          `json:"unreachable,omitempty"`
	Exchanges   []Exchange    `json:"exchanges"`
	Requests    []string      `json:"requests"` // the exchanges for people: "POST /api/v1/auth/login → 200"
	Duration    time.Duration `json:"duration_ns"`
	Checks      []Check       `json:"checks"`
}

// Exchange is one request of a step and what came back.
type Exchange struct {
	Method      string `json:"method"`
	Path        string `json:"path"`
	HTTPStatus  int    `json:"http_status"`          // 0: no answer
	ErrorCode   string `json:"error_code,omitempty"` // the error envelope's code
	Unreachable bool   `json:"unreachable,omitempty"`
}

// Check is one assertion a step made. A check about an answer carries that
// answer's status and error code; a check about the database carries none.
type Check struct {
	What        string `json:"what"`
	OK          bool   `json:"ok"`
	Detail      string `json:"detail,omitempty"`
	HTTPStatus  int    `json:"http_status,omitempty"`
	ErrorCode   string `json:"error_code,omitempty"`
	Unreachable bool   `json:"unreachable,omitempty"` // the request it judged got no answer
}

// Result is a whole run.
type Result struct {
	BaseURL string `json:"base_url"`
	Passed  bool   `json:"passed"` // every step passed
	// Unreachable: some request got no answer; Unreachable on the steps
	// and checks says which.
	Unreachable bool    `json:"unreachable,omitempty"`
	Steps       []*Step `json:"steps"`
}

// Step returns the step called name (one of the Step… constants), or nil
// when the run did not get that far.
func (r *Result) Step(name string) *Step {
	for _, s := range r.Steps {
		if s.Name == name {
			return s
		}
	}
	return nil
}

// FirstUnreachable is the first check whose request got no answer, or nil.
func (r *Result) FirstUnreachable() *Check {
	for _, s := range r.Steps {
		for i := range s.Checks {
			if s.Checks[i].Unreachable {
				return &s.Checks[i]
			}
		}
	}
	return nil
}

// Failures lists the checks that failed, as "step: what: detail".
func (r *Result) Failures() []string {
	var out []string
	for _, s := range r.Steps {
		for _, c := range s.Checks {
			if !c.OK {
				out = append(out, fmt.Sprintf("%s: %s: %s", s.Name, c.What, c.Detail))
			}
		}
	}
	return out
}

// Text prints the run for people: a line per step, then its failed checks.
func (r *Result) Text() string {
	var b strings.Builder
	for _, s := range r.Steps {
		mark := "ok  "
		if !s.Passed {
			mark = "FAIL"
		}
		passed := 0
		for _, c := range s.Checks {
			if c.OK {
				passed++
			}
		}
		fmt.Fprintf(&b, "%s %-22s %6.0fms  %d/%d checks  %s\n", mark, s.Name, float64(s.Duration.Microseconds())/1000,
			passed, len(s.Checks), strings.Join(s.Requests, ", "))
		for _, c := range s.Checks {
			if !c.OK {
				fmt.Fprintf(&b, "     ✗ %s: %s\n", c.What, c.Detail)
			}
		}
	}
	return b.String()
}

func (c *Config) defaults() {
	if c.Paths == (Paths{}) {
		c.Paths = DefaultPaths()
	}
	if c.UserAgent == "" {
		c.UserAgent = "appydex-smoke/1 (flow)"
	}
	if c.Client == nil {
		c.Client = &http.Client{Timeout: 15 * time.Second}
	}
	c.BaseURL = strings.TrimRight(c.BaseURL, "/")
}

// Run runs the flow. Failed checks are in the Result; an error means the
// flow could not run at all (a bad URL, a database it cannot read).
func Run(ctx context.Context, cfg Config) (*Result, error) {
	cfg.defaults()
	r, err := newRunner(ctx, cfg)
	if err != nil {
		return nil, err
	}
	defer r.close(ctx)
	defer cfg.Client.CloseIdleConnections() // leave the API no idle connection to wait for
	r.health(ctx)
	r.openAPI(ctx)
	r.ready(ctx)
	if !r.login(ctx) {
		return r.finish(), nil // nothing after login can run without its tokens
	}
	r.me(ctx)
	r.storedRow(ctx)
	r.refresh(ctx)
	r.reuse(ctx)
	r.logout(ctx)
	r.wrongCredentials(ctx)
	r.malformed(ctx)
	return r.finish(), nil
}
