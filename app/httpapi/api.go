// Package httpapi is the appydex auth API over HTTP: login, refresh with
// rotation and reuse detection, logout, me, and the health, readiness and
// OpenAPI endpoints. Every error is {"code","message","details"}; no client
// input produces a 500, and a 500's detail goes to the log, never the client.
package httpapi

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"runtime"
	"runtime/debug"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/appydex/smoke/app/auth"
	"github.com/appydex/smoke/app/store"
	"github.com/appydex/smoke/schema"
)

// Server serves the API.
type Server struct {
	Store  *store.Store
	Tokens *auth.Tokens
	OTP    *auth.OTP
	Log    *slog.Logger
	// Expected is the model's schema as PostgreSQL prints it; /readyz
	// compares the database with it.
	Expected *schema.Snapshot
	// dummyHash is verified against when no user matches, so an unknown
	// user takes as long to refuse as a wrong password.
	dummyHash string
	// PasswordParams are the argon2id costs for new hashes (the seed step's).
	PasswordParams auth.Argon2Params
	Limits
}

// Limits bound the work of one request, so a storm of them cannot starve
// the rest. The zero value of a field means its default.
type Limits struct {
	// Hashes bounds the password checks in flight; by default one per
	// core, up to 1024 waiting, each for at most 20 s — with the database
	// answering in milliseconds, inside the server's 30 s write timeout.
	// Beyond that a sign-in is answered 503 with Retry-After.
	Hashes *auth.HashLimit
	// DatabaseTimeout bounds each database step of a request, from when
	// the step starts (default 10 s).
	DatabaseTimeout time.Duration
}

func (l *Limits) defaults() {
	if l.Hashes == nil {
		l.Hashes = auth.NewHashLimit(runtime.GOMAXPROCS(0), 1024, 20*time.Second)
	}
	if l.DatabaseTimeout == 0 {
		l.DatabaseTimeout = 10 * time.Second
	}
}

// New makes a Server; params are the argon2id costs (auth.OWASP).
func New(st *store.Store, tokens *auth.Tokens, otp *auth.OTP, expected *schema.Snapshot, log *slog.Logger, params auth.Argon2Params, limits Limits) (*Server, error) {
	dummy, err := auth.HashPassword("not a password anyone has", params)
	if err != nil {
		return nil, err
	}
	limits.defaults()
	return &Server{Store: st, Tokens: tokens, OTP: otp, Expected: expected, Log: log, dummyHash: dummy, PasswordParams: params,
		Limits: limits}, nil
}

// route is one endpoint.
type route struct {
	method, path string
	handle       func(w http.ResponseWriter, r *http.Request) *apiError
}

func (s *Server) routes() []route {
	return []route{
		{"POST", "/api/v1/auth/login", s.login},
		{"POST", "/api/v1/auth/refresh", s.refresh},
		{"POST", "/api/v1/auth/logout", s.logout},
		{"GET", "/api/v1/auth/me", s.me},
		{"GET", "/healthz", s.healthz},
		{"GET", "/readyz", s.readyz},
		{"GET", "/openapi/v1.json", s.openapi},
	}
}

// Handler is the API's HTTP handler.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	allowed := map[string][]string{}
	for _, rt := range s.routes() {
		mux.Handle(rt.method+" "+rt.path, s.wrap(rt.handle))
		allowed[rt.path] = append(allowed[rt.path], rt.method)
	}
	// Anything else: 405 on a known path, 404 elsewhere, in the envelope.
	mux.Handle("/", s.wrap(func(w http.ResponseWriter, r *http.Request) *apiError {
		if methods, ok := allowed[r.URL.Path]; ok {
			w.Header().Set("Allow", strings.Join(methods, ", "))
			return methodNotAllowed(strings.Join(methods, ", "))
		}
		return errNotFound
	}))
	return mux
}

// wrap turns a handler's error into the response, logs the request, and
// turns a panic into a 500 instead of a dropped connection.
func (s *Server) wrap(h func(w http.ResponseWriter, r *http.Request) *apiError) http.Handler {
	return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		start := time.Now()
		w := &statusWriter{ResponseWriter: rw}
		var apiErr *apiError
		defer func() {
			if p := recover(); p != nil {
				s.Log.Error("panic", "method", r.Method, "path", r.URL.Path, "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
				writeError(w, errInternal)
			}
		}()
		if apiErr = h(w, r); apiErr != nil {
			writeError(w, apiErr)
		}
		level := slog.LevelInfo
		if w.status >= 500 {
			level = slog.LevelError
		}
		s.Log.Log(r.Context(), level, "request", "method", r.Method, "path", r.URL.Path, "status", w.status, "ms", time.Since(start).Milliseconds())
	})
}

// statusWriter remembers the status a handler answered, for the log line.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
	w.ResponseWriter.WriteHeader(status)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// fail turns an error from the store into the answer: 503 when the
// database cannot be reached, else 500 with the detail — the SQL error
// included — in a log line of its own.
func (s *Server) fail(r *http.Request, what string, err error) *apiError {
	if store.Unavailable(err) {
		s.Log.Warn("database unavailable", "method", r.Method, "path", r.URL.Path, "during", what, "error", err.Error())
		return errUnavailable
	}
	s.Log.Error("internal error", "method", r.Method, "path", r.URL.Path, "during", what, "error", err.Error())
	return errInternal
}

// clientInfo is what the token row records of the client: its user agent
// (cut to the column's 512 characters) and its IP address.
func clientInfo(r *http.Request) (userAgent, ip string) {
	userAgent = strings.ToValidUTF8(strings.ReplaceAll(r.UserAgent(), "\x00", ""), "")
	if utf8.RuneCountInString(userAgent) > 512 {
		userAgent = string([]rune(userAgent)[:512])
	}
	ip, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		ip = r.RemoteAddr
	}
	if len(ip) > 45 {
		ip = ip[:45]
	}
	return userAgent, ip
}

// dbContext bounds one database step of a request, from now.
func (s *Server) dbContext(r *http.Request) (context.Context, context.CancelFunc) {
	return context.WithTimeout(r.Context(), s.DatabaseTimeout)
}
