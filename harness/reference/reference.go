// Package reference runs the reference appydex API the way the harness
// judges it: in this process, on a clock the flow can move forward, with
// the development accounts seeded; and says how the flow signs in to it.
// The smoke command and the tests both start it through here.
package reference

import (
	"context"
	"io"
	"net/http"
	"time"

	"github.com/appydex/smoke/app/apiserver"
	"github.com/appydex/smoke/app/auth"
	"github.com/appydex/smoke/app/httpapi"
	"github.com/appydex/smoke/app/seed"
	"github.com/appydex/smoke/harness/flow"
)

// Config says how to run the reference API; the zero value but for
// DatabaseURL is the usual one.
type Config struct {
	DatabaseURL string
	// JWTSecret signs the tokens; "" makes a random one. Instances that
	// serve one deployment share it.
	JWTSecret string
	// NoDevOTP starts the API without the development code, as production runs.
	NoDevOTP bool
	// Now freezes or steers the API's clock; nil gives it a flow.Clock that
	// the flow moves forward to prove tokens expire.
	Now func() time.Time
	// PasswordParams are the argon2id costs; zero means auth.OWASP.
	PasswordParams auth.Argon2Params
	// CORSOrigins may call the API from a browser: the admin panel's.
	CORSOrigins []string
	// Middleware wraps the API's handler (tests break it on purpose).
	Middleware func(http.Handler) http.Handler
	// Log receives the API's JSON log lines; nil discards them.
	Log io.Writer
	// AccessTTL and RefreshTTL are the API's own lifetimes; zero means its
	// defaults. The flow does not read them: it holds the API to the
	// contract's.
	AccessTTL, RefreshTTL time.Duration
	// Limits bound a request's password check and database steps; zero
	// values are production's defaults.
	Limits httpapi.Limits
}

// API is the reference API running in this process.
type API struct {
	*apiserver.Server
	// Clock is the API's clock when Config.Now was nil; nil otherwise.
	Clock *flow.Clock
}

// Start seeds the development accounts and serves the API on a free
// loopback port until Stop.
func Start(ctx context.Context, cfg Config) (*API, error) {
	api := &API{}
	now := cfg.Now
	if now == nil {
		api.Clock = &flow.Clock{}
		now = api.Clock.Now
	}
	devOTP := seed.DevOTP
	if cfg.NoDevOTP {
		devOTP = ""
	}
	srv, err := apiserver.Start(ctx, apiserver.Config{DatabaseURL: cfg.DatabaseURL, JWTSecret: cfg.JWTSecret, DevOTP: devOTP, Now: now,
		PasswordParams: cfg.PasswordParams, SeedDevAccounts: true, CORSOrigins: cfg.CORSOrigins, Middleware: cfg.Middleware, Log: cfg.Log, Limits: cfg.Limits,
		AccessTTL: cfg.AccessTTL, RefreshTTL: cfg.RefreshTTL})
	if err != nil {
		return nil, err
	}
	api.Server = srv
	return api, nil
}

// Flow is the flow against this API: as the development admin, with the
// disabled account, the contract's lifetimes (never the API's own
// settings) and — on the API's
// own clock — expiry proved by moving it. databaseURL is the API's
// database, for the row checks; "" skips them.
func (a *API) Flow(databaseURL string) flow.Config {
	cfg := flow.Config{BaseURL: a.URL, DatabaseURL: databaseURL, Email: seed.AdminEmail, Password: seed.AdminPassword, OTP: seed.DevOTP,
		InactiveEmail: seed.InactiveEmail, InactivePassword: seed.InactivePassword,
		RefreshTTL: flow.ContractRefreshTTL, AccessTTL: flow.ContractAccessTTL}
	if a.Clock != nil {
		cfg.ProveExpiry, cfg.Wait = true, a.Clock.Wait
	}
	return cfg
}
