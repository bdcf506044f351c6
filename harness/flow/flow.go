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

// Step is one step of the flow: what it sent, what came back, what it checked.
type Step struct {
	Name     string        `json:"name"`
	Requests []string      `json:"requests"` // "POST /api/v1/auth/login → 200"
	Status   int           `json:"status"`   // of the step's main request
	Duration time.Duration `json:"duration_ns"`
	Checks   []Check       `json:"checks"`
}

// Check is one assertion a step made.
type Check struct {
	What   string `json:"what"`
	OK     bool   `json:"ok"`
	Detail string `json:"detail,omitempty"`
}

// Passed reports whether every check of the step held.
func (s *Step) Passed() bool {
	for _, c := range s.Checks {
		if !c.OK {
			return false
		}
	}
	return true
}

// Result is a whole run.
type Result struct {
	BaseURL string  `json:"base_url"`
	Steps   []*Step `json:"steps"`
}

// Passed reports whether every step passed.
func (r *Result) Passed() bool {
	for _, s := range r.Steps {
		if !s.Passed() {
			return false
		}
	}
	return true
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
		if !s.Passed() {
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
		return r.res, nil // nothing after login can run without its tokens
	}
	r.me(ctx)
	r.storedRow(ctx)
	r.refresh(ctx)
	r.reuse(ctx)
	r.logout(ctx)
	r.wrongCredentials(ctx)
	r.malformed(ctx)
	return r.res, nil
}
