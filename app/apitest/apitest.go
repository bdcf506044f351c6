// Package apitest runs the reference API in-process for tests: on a clone
// of the migrated template (or a database the test made), seeded with the
// development admin, served by httptest, its log captured.
package apitest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/appydex/smoke/app/auth"
	"github.com/appydex/smoke/app/httpapi"
	"github.com/appydex/smoke/app/seed"
	"github.com/appydex/smoke/app/store"
	"github.com/appydex/smoke/app/tables"
	"github.com/appydex/smoke/harness/pgtest"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Options change how the API runs; the zero value is the usual test API.
type Options struct {
	// DatabaseURL is the database to serve; "" means a fresh clone.
	DatabaseURL string
	// NoDevOTP starts the API without the development code (as production runs).
	NoDevOTP bool
	// Now is the API's clock; nil means time.Now.
	Now func() time.Time
	// PasswordParams are the argon2id costs of the seeded password; zero
	// means auth.OWASP, as the API uses.
	PasswordParams auth.Argon2Params
}

// API is a running reference API.
type API struct {
	URL         string // base URL, e.g. http://127.0.0.1:40123
	DatabaseURL string
	Server      *httpapi.Server
	AdminID     string
	logs        *syncBuffer
}

// Start runs the API until the test ends.
func Start(tb testing.TB, opts Options) *API {
	tb.Helper()
	ctx := context.Background()
	if opts.DatabaseURL == "" {
		opts.DatabaseURL = pgtest.Clone(tb).URL
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.PasswordParams == (auth.Argon2Params{}) {
		opts.PasswordParams = auth.OWASP
	}
	pool, err := pgxpool.New(ctx, opts.DatabaseURL)
	if err != nil {
		tb.Fatalf("apitest: %v", err)
	}
	tb.Cleanup(pool.Close)
	st := store.New(pool)
	adminID, err := seed.DevAdmin(ctx, st, opts.PasswordParams)
	if err != nil {
		tb.Fatalf("apitest: seed: %v", err)
	}

	expected, err := tables.Snapshot()
	if err != nil {
		tb.Fatalf("apitest: %v", err)
	}
	secret := make([]byte, 32)
	_, _ = rand.Read(secret)
	tokens := &auth.Tokens{Secret: []byte(hex.EncodeToString(secret)), Issuer: "appydex", Audience: "appydex-admin",
		AccessTTL: 15 * time.Minute, RefreshTTL: 7 * 24 * time.Hour, Now: opts.Now}
	otp := &auth.OTP{DevCode: seed.DevOTP, Now: opts.Now}
	if opts.NoDevOTP {
		otp.DevCode = ""
	}
	logs := &syncBuffer{}
	srv, err := httpapi.New(st, tokens, otp, expected, slog.New(slog.NewJSONHandler(logs, nil)), opts.PasswordParams)
	if err != nil {
		tb.Fatalf("apitest: %v", err)
	}
	ts := httptest.NewServer(srv.Handler())
	tb.Cleanup(ts.Close)
	tb.Cleanup(func() {
		if tb.Failed() {
			tb.Logf("apitest: the API's log:\n%s", logs.String())
		}
	})
	return &API{URL: ts.URL, DatabaseURL: opts.DatabaseURL, Server: srv, AdminID: adminID, logs: logs}
}

// Logs is everything the API logged so far, one JSON object per line.
func (a *API) Logs() string { return a.logs.String() }

// LogLines returns the log lines that contain every one of substrings.
func (a *API) LogLines(substrings ...string) []string {
	var out []string
	for _, line := range strings.Split(a.logs.String(), "\n") {
		all := line != ""
		for _, s := range substrings {
			all = all && strings.Contains(line, s)
		}
		if all {
			out = append(out, line)
		}
	}
	return out
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
