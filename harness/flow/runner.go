package flow

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"
	"github.com/jackc/pgx/v5"

	"github.com/appydex/smoke/harness/drift"
)

type runner struct {
	cfg    Config
	res    *Result
	db     *pgx.Conn // nil without DatabaseURL
	router routers.Router

	// what login and refresh gave, for the steps after them
	userID       string
	access       string
	refreshToken string // from login
	rotatedToken string // from refresh: the first one's child
}

func newRunner(ctx context.Context, cfg Config) (*runner, error) {
	u, err := url.Parse(cfg.BaseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("API URL %q: want http(s)://host[:port]", cfg.BaseURL)
	}
	r := &runner{cfg: cfg, res: &Result{BaseURL: cfg.BaseURL}}
	if cfg.DatabaseURL != "" {
		if r.db, err = drift.ConnectLive(ctx, cfg.DatabaseURL); err != nil {
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

// step runs fn as a named step and records it.
func (r *runner) step(name string, fn func(s *Step)) *Step {
	s := &Step{Name: name, Exchanges: []Exchange{}}
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

// finish sums the steps up into the result.
func (r *runner) finish() *Result {
	r.res.Passed = true
	for _, s := range r.res.Steps {
		r.res.Passed = r.res.Passed && s.Passed
		r.res.Unreachable = r.res.Unreachable || s.Unreachable
	}
	return r.res
}

// check records a check that judges no answer: the database's rows, the
// tokens the flow holds.
func (s *Step) check(what string, ok bool, format string, args ...any) bool {
	return s.record(Check{What: what, OK: ok}, format, args)
}

// expect records a check that judges resp, the answer to one request: the
// check carries its status and error code.
func (s *Step) expect(resp *response, what string, ok bool, format string, args ...any) bool {
	return s.record(Check{What: what, OK: ok, HTTPStatus: resp.status, ErrorCode: resp.errorCode()}, format, args)
}

func (s *Step) record(c Check, format string, args []any) bool {
	if !c.OK {
		c.Detail = fmt.Sprintf(format, args...)
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
		s.main(len(s.Exchanges) - 1)
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
	body         any               // marshalled to JSON; a string or []byte is sent as it is
	contentType  string            // default application/json when there is a body
	header       map[string]string // extra headers
}

// do sends req, records it in s, and checks the answer against the OpenAPI
// document. A transport error is a failed check and a nil response.
func (r *runner) do(ctx context.Context, s *Step, req request) *response {
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
	hreq, err := http.NewRequestWithContext(ctx, req.method, r.cfg.BaseURL+req.path, body)
	if err != nil {
		s.check(req.method+" "+req.path, false, "%v", err)
		return nil
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
	hresp, err := r.cfg.Client.Do(hreq)
	if err == nil {
		defer hresp.Body.Close()
		var data []byte
		if data, err = io.ReadAll(io.LimitReader(hresp.Body, 1<<20)); err == nil {
			resp := &response{status: hresp.StatusCode, header: hresp.Header, body: data}
			s.exchanged(req.method, req.path, resp)
			r.conforms(ctx, s, hreq, resp)
			return resp
		}
		err = fmt.Errorf("read the body: %w", err)
	}
	s.exchanged(req.method, req.path, nil)
	s.record(Check{What: req.method + " " + req.path + " answers", Unreachable: true}, "%v", []any{err})
	return nil
}

// conforms checks a response against the OpenAPI document, when one loaded.
func (r *runner) conforms(ctx context.Context, s *Step, hreq *http.Request, resp *response) {
	if r.router == nil {
		return
	}
	what := fmt.Sprintf("%s %s %d matches the OpenAPI document", hreq.Method, hreq.URL.Path, resp.status)
	route, params, err := r.router.FindRoute(hreq)
	if err != nil {
		s.expect(resp, what, false, "no operation for it in the document: %v", err)
		return
	}
	opts := &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true, AuthenticationFunc: openapi3filter.NoopAuthenticationFunc}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: hreq, PathParams: params, Route: route, Options: opts},
		Status:                 resp.status, Header: resp.header, Options: opts,
	}
	in.SetBodyBytes(resp.body)
	err = openapi3filter.ValidateResponse(ctx, in)
	s.expect(resp, what, err == nil, "%v", err)
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
