// Package apiserver wires the reference API — store, tokens, one-time
// codes, handler — onto a listener: the one assembly that the appydex-api
// command, the smoke command and the tests all run.
package apiserver

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/appydex/smoke/app/auth"
	"github.com/appydex/smoke/app/httpapi"
	"github.com/appydex/smoke/app/seed"
	"github.com/appydex/smoke/app/store"
	"github.com/appydex/smoke/app/tables"
	"github.com/appydex/smoke/redact"
)

// Defaults of the settings Config leaves zero; the appydex-api command's
// flags default to them too.
const (
	DefaultAddr       = ":16110" // the incident's port
	DefaultAccessTTL  = 15 * time.Minute
	DefaultRefreshTTL = 7 * 24 * time.Hour
	DefaultIssuer     = "appydex"
	DefaultAudience   = "appydex-admin"
)

// Config is everything the API needs.
type Config struct {
	DatabaseURL string
	Addr        string // listen address, e.g. ":16110" or "127.0.0.1:0"
	JWTSecret   string // at least 32 bytes; "" makes a random one (in-process runs)
	DevOTP      string // "" for none
	AccessTTL   time.Duration
	RefreshTTL  time.Duration
	Issuer      string
	Audience    string
	// PasswordParams are the argon2id costs of new hashes; zero means auth.OWASP.
	PasswordParams auth.Argon2Params
	Now            func() time.Time // nil: time.Now
	Log            io.Writer        // JSON log lines; nil discards them
	// CORSOrigins are the origins whose pages may call the API from a
	// browser: the admin panel's (see httpapi.CORS).
	CORSOrigins []string
	// Middleware, when set, wraps the API's handler (inside CORS): a test's
	// deliberate fault.
	Middleware func(http.Handler) http.Handler
	// SeedDevAccounts creates the development admin and the disabled
	// development account before serving.
	SeedDevAccounts bool
	// Limits bound a request's password check and database steps; zero
	// values are the defaults.
	Limits httpapi.Limits
}

// Server is a running API.
type Server struct {
	URL     string // http://host:port
	Handler *httpapi.Server
	AdminID string // with SeedDevAccounts
	pool    *pgxpool.Pool
	http    *http.Server
	done    chan error
}

// Start connects (lazily: the API starts, and answers 503, while the
// database is down), seeds if asked, and serves until Close.
func Start(ctx context.Context, cfg Config) (*Server, error) {
	cfg.defaults()
	if len(cfg.JWTSecret) < 32 {
		return nil, errors.New("the JWT secret must be at least 32 bytes")
	}
	pcfg, err := pgxpool.ParseConfig(cfg.DatabaseURL)
	if err != nil {
		return nil, fmt.Errorf("database URL %s: %w", redact.Conn(cfg.DatabaseURL), redact.Error(err, cfg.DatabaseURL))
	}
	pcfg.MaxConns = 20
	pcfg.ConnConfig.ConnectTimeout = 5 * time.Second
	pool, err := pgxpool.NewWithConfig(ctx, pcfg)
	if err != nil {
		return nil, err
	}
	s := &Server{pool: pool, done: make(chan error, 1)}
	st := store.New(pool)
	expected, err := tables.Snapshot()
	if err != nil {
		pool.Close()
		return nil, err
	}
	tokens := &auth.Tokens{Secret: []byte(cfg.JWTSecret), Issuer: cfg.Issuer, Audience: cfg.Audience,
		AccessTTL: cfg.AccessTTL, RefreshTTL: cfg.RefreshTTL, Now: cfg.Now}
	otp := &auth.OTP{DevCode: cfg.DevOTP, Now: cfg.Now}
	// Each of these hashes a password (argon2id, by design slow): at once.
	var handlerErr, adminErr, inactiveErr error
	var wg sync.WaitGroup
	wg.Go(func() {
		s.Handler, handlerErr = httpapi.New(st, tokens, otp, expected, slog.New(slog.NewJSONHandler(cfg.Log, nil)), cfg.PasswordParams, cfg.Limits)
	})
	if cfg.SeedDevAccounts {
		wg.Go(func() { s.AdminID, adminErr = seed.DevAdmin(ctx, st, cfg.PasswordParams) })
		wg.Go(func() { _, inactiveErr = seed.DevInactive(ctx, st, cfg.PasswordParams) })
	}
	wg.Wait()
	if err := errors.Join(handlerErr, adminErr, inactiveErr); err != nil {
		pool.Close()
		return nil, err
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		pool.Close()
		return nil, fmt.Errorf("listen on %s: %w", cfg.Addr, err)
	}
	s.URL = "http://" + ln.Addr().String()
	handler := s.Handler.Handler()
	if cfg.Middleware != nil {
		handler = cfg.Middleware(handler)
	}
	if len(cfg.CORSOrigins) > 0 {
		handler = httpapi.CORS(cfg.CORSOrigins, handler)
	}
	s.http = &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second,
		WriteTimeout: 30 * time.Second, IdleTimeout: 2 * time.Minute, MaxHeaderBytes: 64 << 10}
	go func() { s.done <- s.http.Serve(ln) }()
	return s, nil
}

func (c *Config) defaults() {
	if c.Addr == "" {
		c.Addr = "127.0.0.1:0"
	}
	if c.JWTSecret == "" {
		b := make([]byte, 32)
		_, _ = rand.Read(b)
		c.JWTSecret = hex.EncodeToString(b)
	}
	if c.AccessTTL == 0 {
		c.AccessTTL = DefaultAccessTTL
	}
	if c.RefreshTTL == 0 {
		c.RefreshTTL = DefaultRefreshTTL
	}
	if c.Issuer == "" {
		c.Issuer = DefaultIssuer
	}
	if c.Audience == "" {
		c.Audience = DefaultAudience
	}
	if c.PasswordParams == (auth.Argon2Params{}) {
		c.PasswordParams = auth.OWASP
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Log == nil {
		c.Log = io.Discard
	}
}

// Wait blocks until the server stops by itself (a listener error) or ctx ends.
func (s *Server) Wait(ctx context.Context) error {
	select {
	case err := <-s.done:
		return err
	case <-ctx.Done():
		return nil
	}
}

// Stop closes the server and its connections at once, and the pool: for an
// in-process run whose requests are all answered. (A graceful Close would
// wait out net/http's half-second linger on a connection it closed after a
// too-large body.)
func (s *Server) Stop() {
	s.http.Close()
	s.pool.Close()
}

// Close drains the server (ten seconds at most) and closes the pool.
func (s *Server) Close(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	err := s.http.Shutdown(ctx)
	s.pool.Close()
	return err
}
