package flow

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"
	"github.com/jackc/pgx/v5"

	"github.com/appydex/smoke/harness/live"
	"github.com/appydex/smoke/redact"
)

type runner struct {
	cfg    Config
	res    *Result
	db     *pgx.Conn // nil without DatabaseURL
	router routers.Router

	mu      sync.Mutex
	secrets []string // the password, the TOTP secret, every token seen: shown as fingerprints
	// gone is why the API is taken for unreachable: the first request it
	// did not answer. The run sends it nothing more, so an API that hangs
	// costs one timeout, not one per step.
	gone error

	readyStatus int        // what /readyz answered
	userID      string     // the signed-in user, from login
	a           *session   // the first session: me, forged tokens, refresh, the race, reuse
	sessions    []*session // every session opened, for signing out
	codes       *Codes
}

// session is one sign-in: its refresh tokens, oldest first, and the newest
// access token.
type session struct {
	access    string
	expiresIn float64 // seconds, as the login answer stated
	refresh   []string
	// spare are tokens that may be live beside the newest: the extra
	// winners of a refresh race a backend should not have let win.
	spare []string
}

func (s *session) newest() string { return s.refresh[len(s.refresh)-1] }

func newRunner(ctx context.Context, cfg Config) (*runner, error) {
	u, err := url.Parse(cfg.BaseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("API URL %q: want http(s)://host[:port]", redact.URL(cfg.BaseURL))
	}
	r := &runner{cfg: cfg, res: &Result{BaseURL: redact.URL(cfg.BaseURL)}, codes: cfg.Codes}
	if r.codes == nil {
		r.codes = NewCodes(cfg.OTP, cfg.TOTPSecret)
	}
	r.secrets = []string{cfg.Password, cfg.InactivePassword, cfg.TOTPSecret, cfg.OTP}
	if cfg.DatabaseURL != "" {
		if r.db, err = live.Connect(ctx, cfg.DatabaseURL); err != nil {
			return nil, err
		}
	}
	return r, nil
}

func (r *runner) close(ctx context.Context) {
	if r.db != nil {
		r.db.Close(ctx)
	}
}

// secret remembers a token or password to show only as a fingerprint.
func (r *runner) secret(s string) {
	if s == "" {
		return
	}
	r.mu.Lock()
	r.secrets = append(r.secrets, s)
	r.mu.Unlock()
}

// scrub hides every secret of the run in s.
func (r *runner) scrub(s string) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return redact.Secrets(s, r.secrets...)
}

// wait lets d pass for the deployment.
func (r *runner) wait(ctx context.Context, d time.Duration) error {
	if r.cfg.Wait != nil {
		return r.cfg.Wait(ctx, d)
	}
	return sleepFor(ctx, d)
}

// sleepFor lets d pass, or ctx end.
func sleepFor(ctx context.Context, d time.Duration) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(d):
		return nil
	}
}

// step runs fn as a named step and records it.
func (r *runner) step(name string, fn func(s *Step)) *Step {
	s := &Step{Name: name, Exchanges: []Exchange{}, scrub: r.scrub}
	start := time.Now()
	fn(s)
	s.Duration = time.Since(start)
	s.Passed = true
	for _, c := range s.Checks {
		s.Passed = s.Passed && c.OK
		s.Unreachable = s.Unreachable || c.Unreachable
	}
	r.res.Steps = append(r.res.Steps, s)
	return s
}

// skip records a step that did not run, and why.
func (r *runner) skip(name, why string) {
	r.res.Steps = append(r.res.Steps, &Step{Name: name, Skipped: why, Exchanges: []Exchange{}, Requests: []string{}, Checks: []Check{}, scrub: r.scrub})
}

// notSignedIn is why a step that needs login's tokens did not run.
func (r *runner) notSignedIn() string {
	why := "it needs the tokens of a sign-in, and login got none"
	if login := r.res.Step(StepLogin); login != nil {
		switch {
		case len(login.Exchanges) == 0:
			why += " (it sent no request"
			for _, c := range login.Checks {
				if !c.OK {
					why += ": " + c.What + ": " + c.Detail
					break
				}
			}
			why += ")"
		case login.HTTPStatus == 0:
			why += " (no answer)"
		case login.ErrorCode != "":
			why += fmt.Sprintf(" (it answered %d %s)", login.HTTPStatus, login.ErrorCode)
		default:
			why += fmt.Sprintf(" (it answered %d)", login.HTTPStatus)
		}
	}
	return why
}

// finish sums the steps up into the result: it passed when every step
// that ran did.
func (r *runner) finish() *Result {
	r.res.Passed = true
	for _, s := range r.res.Steps {
		if s.Skipped != "" {
			continue
		}
		r.res.Passed = r.res.Passed && s.Passed
		r.res.Unreachable = r.res.Unreachable || s.Unreachable
	}
	return r.res
}

// check records a check that judges no answer: the database's rows, the
// tokens the flow holds.
func (s *Step) check(class Class, what string, ok bool, format string, args ...any) bool {
	return s.record(Check{What: what, Class: class, OK: ok}, format, args)
}

// expect records a check that judges resp, the answer to one request: the
// check carries its status and error code.
func (s *Step) expect(resp *response, class Class, what string, ok bool, format string, args ...any) bool {
	return s.record(Check{What: what, Class: class, OK: ok, HTTPStatus: resp.status, ErrorCode: resp.errorCode()}, format, args)
}

func (s *Step) record(c Check, format string, args []any) bool {
	if !c.OK {
		c.Detail = s.scrub(fmt.Sprintf(format, args...))
	}
	s.Checks = append(s.Checks, c)
	return c.OK
}

// exchanged records a request and its answer (nil: none came); the first
// becomes the step's main request.
func (s *Step) exchanged(method, path string, resp *response) {
	x := Exchange{Method: method, Path: path, Unreachable: resp == nil}
	text := method + " " + path + " → no answer"
	if resp != nil {
		x.HTTPStatus, x.ErrorCode = resp.status, resp.errorCode()
		text = fmt.Sprintf("%s %s → %d", method, path, resp.status)
	}
	s.Exchanges = append(s.Exchanges, x)
	s.Requests = append(s.Requests, text)
	if len(s.Exchanges) == 1 {
		s.main(0)
	}
}

// main makes the i-th exchange the step's main request.
func (s *Step) main(i int) {
	s.HTTPStatus, s.ErrorCode = s.Exchanges[i].HTTPStatus, s.Exchanges[i].ErrorCode
}

// response is an answer of the API.
type response struct {
	status int
	header http.Header
	body   []byte
}

// json decodes the body as a JSON object; nil when it is none.
func (resp *response) json() map[string]any {
	var v map[string]any
	_ = json.Unmarshal(resp.body, &v)
	return v
}

// errorCode is the code of the API's error envelope in the body, "" when
// the body is no envelope.
func (resp *response) errorCode() string {
	if resp.status < 400 {
		return ""
	}
	var env struct {
		Code string `json:"code"`
	}
	_ = json.Unmarshal(resp.body, &env)
	return env.Code
}

// request describes one request of a step.
type request struct {
	method, path string
	base         string            // the API's base URL; "": Config.BaseURL
	body         any               // marshalled to JSON; a string or []byte is sent as it is
	contentType  string            // default application/json when there is a body
	header       map[string]string // extra headers
}

// bearer is the header that presents an access token.
func bearer(token string) map[string]string {
	return map[string]string{"Authorization": "Bearer " + token}
}

// send sends req and reads the answer; it records nothing, so that many
// may run at once.
func (r *runner) send(ctx context.Context, req request) (*http.Request, *response, error) {
	var body io.Reader
	switch b := req.body.(type) {
	case nil:
	case string:
		body = strings.NewReader(b)
	case []byte:
		body = bytes.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			panic(err) // the flow's own request bodies always marshal
		}
		body = bytes.NewReader(j)
	}
	hreq, err := http.NewRequestWithContext(ctx, req.method, cmp.Or(req.base, r.cfg.BaseURL)+req.path, body)
	if err != nil {
		return nil, nil, err
	}
	hreq.Header.Set("User-Agent", r.cfg.UserAgent)
	hreq.Header.Set("Accept", "application/json")
	if req.body != nil {
		ct := req.contentType
		if ct == "" {
			ct = "application/json"
		}
		hreq.Header.Set("Content-Type", ct)
	}
	for k, v := range req.header {
		hreq.Header.Set(k, v)
	}
	r.mu.Lock()
	gone := r.gone
	r.mu.Unlock()
	if gone != nil {
		return hreq, nil, fmt.Errorf("not sent: %w", gone)
	}
	hresp, err := r.cfg.Client.Do(hreq)
	if err != nil {
		if ctx.Err() == nil && noAnswer(err) { // not the run being interrupted: the API did not answer
			r.mu.Lock()
			if r.gone == nil {
				r.gone = &noAnswerError{what: req.method + " " + req.path, err: err}
			}
			r.mu.Unlock()
		}
		return hreq, nil, err
	}
	defer hresp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(hresp.Body, 1<<20))
	if err != nil {
		return hreq, nil, fmt.Errorf("read the body: %w", err)
	}
	return hreq, &response{status: hresp.StatusCode, header: hresp.Header, body: data}, nil
}

// do sends req, records it in s, and checks the answer against the OpenAPI
// document and, for a 5xx, that it shows nothing but the envelope. A
// transport error is a failed check and a nil response.
func (r *runner) do(ctx context.Context, s *Step, req request) *response {
	return r.record(ctx, s, r.exchange(ctx, req))
}

// exchange is a request sent and what came of it.
type exchange struct {
	req  request
	hreq *http.Request // nil when the request could not be made
	resp *response     // nil without an answer
	err  error
}

func (r *runner) exchange(ctx context.Context, req request) exchange {
	hreq, resp, err := r.send(ctx, req)
	return exchange{req, hreq, resp, err}
}

// sendAll sends reqs at once — released together, to meet on the server —
// and returns what came of each, in their order. Requests that do not
// depend on each other then cost one round trip, not one each.
func (r *runner) sendAll(ctx context.Context, reqs []request) []exchange {
	out := make([]exchange, len(reqs))
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i, req := range reqs {
		wg.Go(func() {
			<-start
			out[i] = r.exchange(ctx, req)
		})
	}
	close(start)
	wg.Wait()
	return out
}

// doAll is do for requests that do not depend on each other: sent at
// once, recorded in their order.
func (r *runner) doAll(ctx context.Context, s *Step, reqs []request) []*response {
	out := make([]*response, len(reqs))
	for i, x := range r.sendAll(ctx, reqs) {
		out[i] = r.record(ctx, s, x)
	}
	return out
}

// record records an exchange in s, as do does, and returns its answer.
func (r *runner) record(ctx context.Context, s *Step, x exchange) *response {
	if x.hreq == nil {
		s.check(Contract, x.req.method+" "+x.req.path, false, "%v", x.err)
		return nil
	}
	r.judge(ctx, s, x.req, x.hreq, x.resp, x.err)
	return x.resp
}

// judge records an answer that send got (or its failure) in s.
func (r *runner) judge(ctx context.Context, s *Step, req request, hreq *http.Request, resp *response, err error) {
	s.exchanged(req.method, req.path, resp)
	if resp == nil {
		s.record(Check{What: req.method + " " + req.path + " answers", Class: Reachable, Unreachable: true}, "%v", []any{err})
		return
	}
	r.conforms(ctx, s, hreq, resp)
	if resp.status >= 500 {
		bare, why := bareEnvelope(resp.body)
		s.expect(resp, ErrorBodies, fmt.Sprintf("the %d from %s %s is the bare error envelope", resp.status, req.method, req.path),
			bare, "%s: %.300s", why, resp.body)
	}
}

// leakMarkers are what a server error's body must not show: SQL, driver,
// stack and source-file text.
var leakMarkers = []string{"SQLSTATE", "ERROR:", "Traceback", "psycopg", "sqlalchemy", "goroutine ", "panic", ".go:", ".py",
	`relation "`, `column "`, "SELECT ", "INSERT ", "UPDATE ", "DELETE ", " FROM ", "Exception", "stack"}

// bareEnvelope reports whether a 5xx body is exactly {"code","message",
// "details"} and shows nothing of the server's insides; else why not.
func bareEnvelope(body []byte) (bool, string) {
	var env map[string]json.RawMessage
	if err := json.Unmarshal(body, &env); err != nil {
		return false, "not a JSON object"
	}
	var code, message string
	var details map[string]any
	if len(env) != 3 || json.Unmarshal(env["code"], &code) != nil || json.Unmarshal(env["message"], &message) != nil ||
		json.Unmarshal(env["details"], &details) != nil || code == "" || details == nil {
		return false, `not exactly {"code","message","details"}`
	}
	for _, m := range leakMarkers {
		if strings.Contains(string(body), m) {
			return false, fmt.Sprintf("it shows the server's insides (%q)", strings.TrimSpace(m))
		}
	}
	return true, ""
}

// conforms checks a response against the OpenAPI document, when one loaded.
func (r *runner) conforms(ctx context.Context, s *Step, hreq *http.Request, resp *response) {
	if r.router == nil {
		return
	}
	what := fmt.Sprintf("%s %s %d matches the OpenAPI document", hreq.Method, hreq.URL.Path, resp.status)
	route, params, err := r.router.FindRoute(hreq)
	if err != nil {
		s.expect(resp, Contract, what, false, "no operation for it in the document: %v", err)
		return
	}
	opts := &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true, AuthenticationFunc: openapi3filter.NoopAuthenticationFunc}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: hreq, PathParams: params, Route: route, Options: opts},
		Status:                 resp.status, Header: resp.header, Options: opts,
	}
	in.SetBodyBytes(resp.body)
	err = openapi3filter.ValidateResponse(ctx, in)
	s.expect(resp, Contract, what, err == nil, "%v", err)
}

// loadDocument parses and validates an OpenAPI document and makes a router
// for it that ignores its servers list (the flow runs against any host).
func loadDocument(ctx context.Context, data []byte) (routers.Router, error) {
	doc, err := openapi3.NewLoader().LoadFromData(data)
	if err != nil {
		return nil, fmt.Errorf("parse: %w", err)
	}
	if err := doc.Validate(ctx); err != nil {
		return nil, fmt.Errorf("validate: %w", err)
	}
	doc.Servers = nil
	return legacy.NewRouter(doc)
}

// noAnswerError is the first request the API did not answer, which every
// later request of the run is not sent for.
type noAnswerError struct {
	what string
	err  error
}

func (e *noAnswerError) Error() string {
	return "the API did not answer " + e.what + " earlier in the run (" + e.err.Error() + ")"
}

func (e *noAnswerError) Unwrap() error { return e.err }

// noAnswer: err means the API does not answer at all — it took no
// connection, or took one and said nothing within the client's timeout —
// rather than that one exchange went wrong (a connection reset while a
// large body was sent, say), after which the next request may well be
// answered.
func noAnswer(err error) bool {
	var opErr *net.OpError
	if errors.As(err, &opErr) && opErr.Op == "dial" {
		return true
	}
	var netErr net.Error
	return errors.As(err, &netErr) && netErr.Timeout()
}
