// Package flow runs the appydex login → refresh → reuse → logout scenario
// against any deployment of the auth API — the reference implementation
// in-process, a container, or the real backend at a URL — step by step,
// checking every HTTP answer against the API's OpenAPI document and, given
// the database, the rows the API writes.
//
// It is the contract test of a backend it did not write: it speaks only
// HTTP, knows no secret of the deployment (forged tokens are made without
// its key), and reads only the refresh_tokens columns the incident report
// lists. It is safe to run against production: it signs in at most three
// times (a fresh one-time code each), signs out of every session it opened,
// also when a check fails, and shows tokens and passwords only as
// fingerprints.
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
	// rows it writes, over a read-only connection, reading only the columns
	// of refresh_tokens the incident report lists, and only the signed-in
	// user's rows.
	DatabaseURL string
	// The account to sign in as, e.g. admin@appydex.local / admin123!@#.
	Email, Password string
	// OTP is a static one-time code (a development code such as 000000).
	// TOTPSecret, when set, is the account's TOTP secret (base32, as
	// authenticator apps take it): every sign-in then gets a fresh code,
	// waiting for the next 30-second step rather than reusing a spent one,
	// and the flow checks that a spent code is refused.
	OTP, TOTPSecret string
	// Codes, when set, hands out the codes instead (made of OTP and
	// TOTPSecret): shared with another sign-in of the same run, such as
	// the browser's, so no code is spent twice.
	Codes *Codes
	// InactiveEmail and InactivePassword are an account that exists but is
	// disabled: it must get exactly the wrong-password answer. "" skips it.
	InactiveEmail, InactivePassword string
	// RefreshTTL is the deployment's stated refresh-token lifetime: a
	// session's absolute expiry must lie within it. AccessTTL is its stated
	// access-token lifetime: expires_in and the token's exp − iat must not
	// exceed it. Take them from the contract (ContractRefreshTTL,
	// ContractAccessTTL, or what the deployment promises), never from the
	// code under test's settings. 0 leaves one unchecked.
	RefreshTTL, AccessTTL time.Duration
	// TokenHash is how the backend derives refresh_tokens.token_hash from a
	// refresh token; "" is TokenHashSHA256.
	TokenHash TokenHash
	// ProveExpiry lets an access token and a refresh token expire and
	// proves both are refused. It waits out their lifetimes through Wait, so
	// set it where Wait moves the deployment's clock or lifetimes are short.
	ProveExpiry bool
	// NoExpiry is why ProveExpiry is off, for the skipped step; "" says
	// the lifetimes are too long to wait out.
	NoExpiry string
	// Expiry, when set, is where the expired-tokens step runs instead (it
	// sets ProveExpiry): an instance of the API on the same database,
	// started with lifetimes of seconds, which the step waits out.
	Expiry *ExpiryAPI
	// Wait lets d pass for the deployment. nil sleeps, which works against
	// any deployment; smoke run and repro move their in-process API's clock.
	Wait func(ctx context.Context, d time.Duration) error
	// UserAgent is sent on every request, and checked in the stored rows.
	UserAgent string
	// Parallel is how many refreshes of one token race (default 20).
	Parallel int
	Paths    Paths
	Client   *http.Client
}

// The appydex API's stated lifetimes, as the incident's stack states them:
// an access token lives 15 minutes, a session at most 7 days. They are the
// contract every backend of the API keeps, whatever its code's defaults.
const (
	ContractAccessTTL  = 15 * time.Minute
	ContractRefreshTTL = 7 * 24 * time.Hour
)

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
	StepCodeReplay       = "one-time code replay" // skipped without a TOTP secret
	StepMe               = "me"
	StepForged           = "forged tokens"
	StepStoredRow        = "stored token row" // with a database only
	StepRefresh          = "refresh"
	StepRace             = "concurrent refreshes"
	StepReuse            = "reuse"
	StepLogout           = "logout"
	StepWrongCredentials = "wrong credentials"
	StepMalformed        = "malformed requests"
	StepExpired          = "expired tokens" // skipped without ProveExpiry
	StepSignOut          = "sign out"
)

// Class is the kind of bug a check catches; a failing line names it.
type Class string

// The classes. A check of none (Contract) holds the API to its contract:
// statuses, bodies, the OpenAPI document.
const (
	Contract    Class = ""
	Forgery     Class = "forged tokens"   // tokens the API did not sign, or of the wrong type
	Expiry      Class = "expiry"          // lifetimes as stated, absolute, enforced
	Rotation    Class = "rotation"        // a refresh token is good once, even under a race
	Revocation  Class = "revocation"      // reuse and logout end the whole session
	Accounts    Class = "accounts"        // who may sign in, and what the others are told
	ErrorBodies Class = "5xx bodies"      // a server error shows the envelope, nothing else
	Readiness   Class = "readiness"       // /readyz covers what login needs
	OneTimeCode Class = "one-time codes"  // a TOTP code is good once
	Storage     Class = "stored tokens"   // what the database keeps of a token
	Sessions    Class = "sessions"        // the flow leaves no session of its own alive
	Reachable   Class = "the API answers" // a request got no answer at all
)

// ExpiryAPI is an instance of the API the harness started with short
// token lifetimes, on the deployment's database: its answers must
// announce exactly those lifetimes (expires_in, exp − iat), and its
// tokens must be refused once they pass.
type ExpiryAPI struct {
	BaseURL               string
	AccessTTL, RefreshTTL time.Duration
}

// TokenHash is how a backend derives refresh_tokens.token_hash from a
// refresh token. Whatever it is, the token must not be kept in the clear,
// each token has a row of its own, and distinct tokens have distinct
// values; the flow finds a token's row by the value itself where it can
// compute it, and by the token's jti where it cannot.
type TokenHash string

const (
	// TokenHashSHA256 is the hex SHA-256 of the token: the incident
	// report's, and the reference API's. The flow checks the exact value.
	TokenHashSHA256 TokenHash = "sha256"
	// TokenHashOpaque is a value the flow cannot compute: a keyed hash
	// (HMAC-SHA-256 with a server secret), a salted or slow one.
	TokenHashOpaque TokenHash = "opaque"
)

// ParseTokenHash reads a TokenHash by its name; "" is TokenHashSHA256.
func ParseTokenHash(s string) (TokenHash, error) {
	switch TokenHash(s) {
	case "", TokenHashSHA256:
		return TokenHashSHA256, nil
	case TokenHashOpaque:
		return TokenHashOpaque, nil
	}
	return "", fmt.Errorf("token hash %q: say sha256 (the hex SHA-256 of the refresh token) or opaque (a keyed or salted hash the harness cannot compute)", s)
}

// Step is one step of the flow: what it sent, what came back, what it checked.
type Step struct {
	Name   string `json:"name"`
	Passed bool   `json:"passed"` // it ran, and every check held
	// Skipped is why the step did not run — the earlier failure it
	// depends on, or what the configuration does not allow; "" when it
	// ran. A skipped step has no checks, and fails nothing by itself.
	Skipped string `json:"skipped,omitempty"`
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

	scrub func(string) string // hides the run's secrets in details
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
// Details show tokens and passwords only as fingerprints.
type Check struct {
	What        string `json:"what"`
	Class       Class  `json:"class,omitempty"`
	OK          bool   `json:"ok"`
	Detail      string `json:"detail,omitempty"`
	HTTPStatus  int    `json:"http_status,omitempty"`
	ErrorCode   string `json:"error_code,omitempty"`
	Unreachable bool   `json:"unreachable,omitempty"` // the request it judged got no answer
}

// Line is the check as a failing line shows it: "[class] what: detail".
func (c Check) Line() string {
	s := c.What
	if c.Class != Contract {
		s = "[" + string(c.Class) + "] " + s
	}
	if c.Detail != "" {
		s += ": " + c.Detail
	}
	return s
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
// when the run did not take it.
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

// FailedClasses lists the classes of the checks that failed, each once, in
// the order they first failed.
func (r *Result) FailedClasses() []Class {
	var out []Class
	seen := map[Class]bool{}
	for _, s := range r.Steps {
		for _, c := range s.Checks {
			if !c.OK && !seen[c.Class] {
				seen[c.Class] = true
				out = append(out, c.Class)
			}
		}
	}
	return out
}

// Checks counts the checks of the run, and those that failed.
func (r *Result) Checks() (total, failed int) {
	for _, s := range r.Steps {
		for _, c := range s.Checks {
			total++
			if !c.OK {
				failed++
			}
		}
	}
	return total, failed
}

// Ran counts the steps that ran, and those skipped.
func (r *Result) Ran() (ran, skipped int) {
	for _, s := range r.Steps {
		if s.Skipped != "" {
			skipped++
		} else {
			ran++
		}
	}
	return ran, skipped
}

// Failures lists the checks that failed, as "step: [class] what: detail".
func (r *Result) Failures() []string {
	var out []string
	for _, s := range r.Steps {
		for _, c := range s.Checks {
			if !c.OK {
				out = append(out, s.Name+": "+c.Line())
			}
		}
	}
	return out
}

// Text prints the run for people: a line per step, then its failed checks.
func (r *Result) Text() string {
	var b strings.Builder
	for _, s := range r.Steps {
		if s.Skipped != "" {
			fmt.Fprintf(&b, "skip %-22s %6s    %s\n", s.Name, "", s.Skipped)
			continue
		}
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
			passed, len(s.Checks), summarize(s.Requests))
		for _, c := range s.Checks {
			if !c.OK {
				fmt.Fprintf(&b, "     ✗ %s\n", c.Line())
			}
		}
	}
	return b.String()
}

// summarize folds repeated requests: "POST /refresh → 401 ×19".
func summarize(requests []string) string {
	var out []string
	for i := 0; i < len(requests); {
		j := i + 1
		for j < len(requests) && requests[j] == requests[i] {
			j++
		}
		if j-i > 1 {
			out = append(out, fmt.Sprintf("%s ×%d", requests[i], j-i))
		} else {
			out = append(out, requests[i])
		}
		i = j
	}
	return strings.Join(out, ", ")
}

// Endpoints are the API's paths the flow calls: Paths, or DefaultPaths
// when none are set.
func (c Config) Endpoints() Paths {
	if c.Paths == (Paths{}) {
		return DefaultPaths()
	}
	return c.Paths
}

func (c *Config) defaults() {
	c.Paths = c.Endpoints()
	if c.UserAgent == "" {
		c.UserAgent = "appydex-smoke/1 (flow)"
	}
	if c.Client == nil {
		c.Client = &http.Client{Timeout: 15 * time.Second}
	}
	if c.Parallel == 0 {
		c.Parallel = 20
	}
	if c.TokenHash == "" {
		c.TokenHash = TokenHashSHA256
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
	// A failed check of login's does not stop the flow: with its tokens in
	// hand every later step runs, so that a second bug beside the first is
	// seen. Without them, the steps that need a sign-in say so.
	signedIn := r.login(ctx)
	for _, st := range []struct {
		name        string
		run         func(context.Context)
		needsTokens bool
	}{
		{StepCodeReplay, r.codeReplay, true},
		{StepMe, r.me, true},
		{StepForged, r.forged, true},
		{StepStoredRow, r.storedRow, true},
		{StepRefresh, r.refresh, true},
		{StepRace, r.race, true},
		{StepReuse, r.reuse, true},
		{StepLogout, r.logout, true},
		{StepWrongCredentials, r.wrongCredentials, false},
		{StepMalformed, r.malformed, false},
		{StepExpired, r.expired, true}, // last: it may move the deployment's clock days ahead
	} {
		if st.needsTokens && !signedIn {
			r.skip(st.name, r.notSignedIn())
			continue
		}
		st.run(ctx)
	}
	r.signOut(context.WithoutCancel(ctx))
	return r.finish(), nil
}

// StepErrorPath is ErrorPath's one step.
const StepErrorPath = "login on a broken database"

// ErrorPath signs in once to an API whose database lacks a column its
// sign-in writes — the incident's database — and judges the answer as an
// error: a 5xx in the bare envelope, with no exception text, SQL, file
// path or stack (the check every 5xx of the flow gets). A healthy run
// never meets a 500; this one is made to. An API that signs in there did
// not write what it is meant to: a failed check says so.
func ErrorPath(ctx context.Context, cfg Config, missing string) (*Result, error) {
	cfg.defaults()
	cfg.DatabaseURL = "" // the rows of a broken database prove nothing
	r, err := newRunner(ctx, cfg)
	if err != nil {
		return nil, err
	}
	defer r.close(ctx)
	defer cfg.Client.CloseIdleConnections()
	r.step(StepErrorPath, func(s *Step) {
		resp, _ := r.signIn(ctx, s)
		if resp == nil {
			return
		}
		s.expect(resp, ErrorBodies, fmt.Sprintf("a sign-in that cannot write %s fails (5xx)", missing), resp.status >= 500,
			"status %d: %.300s", resp.status, resp.body)
	})
	if len(r.sessions) > 0 {
		r.signOut(context.WithoutCancel(ctx))
	}
	return r.finish(), nil
}
