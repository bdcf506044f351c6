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
	s := &Step{Name: name}
	start := time.Now()
	fn(s)
	s.Duration = time.Since(start)
	r.res.Steps = append(r.res.Steps, s)
	return s
}

func (s *Step) check(what string, ok bool, format string, args ...any) bool {
	c := Check{What: what, OK: ok}
	if !ok {
		c.Detail = fmt.Sprintf(format, args...)
	}
	s.Checks = append(s.Checks, c)
	return ok
}

// response is an answer of the API.
type response struct {
	status int
	header http.Header
	body   []byte
}

// json decodes the body into v, which it also returns for chaining.
func (resp *response) json() map[string]any {
	var v map[string]any
	_ = json.Unmarshal(resp.body, &v)
	return v
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
	if err != nil {
		s.check(req.method+" "+req.path+" answers", false, "%v", err)
		s.Requests = append(s.Requests, req.method+" "+req.path+" → no answer")
		return nil
	}
	defer hresp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(hresp.Body, 1<<20))
	if err != nil {
		s.check(req.method+" "+req.path+" answers", false, "read the body: %v", err)
		return nil
	}
	resp := &response{status: hresp.StatusCode, header: hresp.Header, body: data}
	s.Requests = append(s.Requests, fmt.Sprintf("%s %s → %d", req.method, req.path, resp.status))
	if s.Status == 0 {
		s.Status = resp.status
	}
	r.conforms(ctx, s, hreq, resp)
	return resp
}

// conforms checks a response against the OpenAPI document, when one loaded.
func (r *runner) conforms(ctx context.Context, s *Step, hreq *http.Request, resp *response) {
	if r.router == nil {
		return
	}
	what := fmt.Sprintf("%s %s %d matches the OpenAPI document", hreq.Method, hreq.URL.Path, resp.status)
	route, params, err := r.router.FindRoute(hreq)
	if err != nil {
		s.check(what, false, "no operation for it in the document: %v", err)
		return
	}
	opts := &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true, AuthenticationFunc: openapi3filter.NoopAuthenticationFunc}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: hreq, PathParams: params, Route: route, Options: opts},
		Status:                 resp.status, Header: resp.header, Options: opts,
	}
	in.SetBodyBytes(resp.body)
	err = openapi3filter.ValidateResponse(ctx, in)
	s.check(what, err == nil, "%v", err)
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
