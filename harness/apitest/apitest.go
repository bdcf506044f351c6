// Package apitest runs the reference API in-process for tests: on a clone
// of the migrated template (or a database the test made), seeded with the
// development admin, served by httptest, its log captured.
package apitest

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/appydex/smoke/app/apiserver"
	"github.com/appydex/smoke/app/auth"
	"github.com/appydex/smoke/app/httpapi"
	"github.com/appydex/smoke/harness/flow"
	"github.com/appydex/smoke/harness/pgtest"
	"github.com/appydex/smoke/harness/reference"
)

// Options change how the API runs; the zero value is the usual test API.
type Options struct {
	// DatabaseURL is the database to serve; "" means a fresh clone.
	DatabaseURL string
	// JWTSecret signs the tokens; "" makes a random one. Two APIs serving
	// one deployment share it.
	JWTSecret string
	// NoDevOTP starts the API without the development code (as production runs).
	NoDevOTP bool
	// Now is the API's clock; nil means time.Now.
	Now func() time.Time
	// PasswordParams are the argon2id costs of the seeded password and the
	// API's dummy hash; zero means Passwords, a test's setting. A test of
	// what production's cost does gives auth.OWASP.
	PasswordParams auth.Argon2Params
	// Middleware wraps the API's handler: a test breaks the API on purpose.
	Middleware func(http.Handler) http.Handler
	// CORSOrigins may call the API from a browser: an admin panel's.
	CORSOrigins []string
	// Limits bound a request's password check and database steps; zero
	// values are production's defaults.
	Limits httpapi.Limits
	// AccessTTL and RefreshTTL are the API's own lifetimes; zero means its
	// defaults.
	AccessTTL, RefreshTTL time.Duration
}

// Passwords are the argon2id costs the test API hashes with unless told:
// production's (auth.OWASP, 19 MiB twice over) take 0.3–0.5 s a hash under
// the race detector, and a flow signs in a dozen times. What a test checks
// of a password — right, wrong, the same answer for an unknown account —
// does not depend on the cost.
var Passwords = auth.Argon2Params{MemoryKiB: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}

// API is a running reference API.
type API struct {
	URL         string // base URL, e.g. http://127.0.0.1:40123
	DatabaseURL string
	DB          *pgxpool.Pool // a pool on the API's database, for checking what it wrote
	Server      *httpapi.Server
	AdminID     string
	ref         *reference.API
	logs        *apiserver.LogBuffer
}

// Start runs the API until the test ends.
func Start(tb testing.TB, opts Options) *API {
	tb.Helper()
	var db *pgxpool.Pool
	if opts.DatabaseURL == "" {
		clone := pgtest.Clone(tb)
		opts.DatabaseURL, db = clone.URL, clone.Pool
	} else {
		db = pgtest.Pool(tb, opts.DatabaseURL)
	}
	if opts.PasswordParams == (auth.Argon2Params{}) {
		opts.PasswordParams = Passwords
	}
	logs := &apiserver.LogBuffer{}
	ref, err := reference.Start(context.Background(), reference.Config{DatabaseURL: opts.DatabaseURL, JWTSecret: opts.JWTSecret, NoDevOTP: opts.NoDevOTP,
		Now: opts.Now, PasswordParams: opts.PasswordParams, Middleware: opts.Middleware, CORSOrigins: opts.CORSOrigins, Log: logs, Limits: opts.Limits,
		AccessTTL: opts.AccessTTL, RefreshTTL: opts.RefreshTTL})
	if err != nil {
		tb.Fatalf("apitest: %v", err)
	}
	tb.Cleanup(func() {
		if tb.Failed() {
			tb.Logf("apitest: the API's log:\n%s", logs.String())
		}
		ref.Stop()
	})
	return &API{URL: ref.URL, DatabaseURL: opts.DatabaseURL, DB: db, Server: ref.Handler, AdminID: ref.AdminID, ref: ref, logs: logs}
}

// Flow is the flow against this API and its database, as smoke run runs it.
func (a *API) Flow() flow.Config { return a.ref.Flow(a.DatabaseURL) }

// Logs is everything the API logged so far, one JSON object per line.
func (a *API) Logs() string { return a.logs.String() }

// LogLines returns the log lines that contain every one of substrings.
func (a *API) LogLines(substrings ...string) []string { return a.logs.Find(substrings...) }
