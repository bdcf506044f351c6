// Command appydex-api is the reference implementation of the appydex auth
// API, built on the model in app/tables and the migrations in migrations/.
//
//	appydex-api [serve]   serve the API (default)
//	appydex-api seed      create (or reset) the development admin
//
// Settings come from flags or the environment (flags win):
//
//	--database-url  APPYDEX_DATABASE_URL  postgres://user:pass@host:5432/appydex (required)
//	--addr          APPYDEX_ADDR          listen address (default :16110, the incident's port)
//	--jwt-secret    APPYDEX_JWT_SECRET    HS256 key, at least 32 bytes (required to serve)
//	--dev-otp       APPYDEX_DEV_OTP       a static one-time code for development; none by default
//	--access-ttl    APPYDEX_ACCESS_TTL    access token lifetime (default 15m)
//	--refresh-ttl   APPYDEX_REFRESH_TTL   a session's absolute lifetime (default 168h)
//	--issuer        APPYDEX_ISSUER        JWT iss (default appydex)
//	--audience      APPYDEX_AUDIENCE      JWT aud (default appydex-admin)
//	--cors-origins  APPYDEX_CORS_ORIGINS  origins whose pages may call the API
//	                                      (default: the admin panel's, port 42319)
//
// The API does not migrate: as in the incident's deployment, migrations are
// a separate step (the smoke harness, or golang-migrate's CLI).
package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/appydex/smoke/app/apiserver"
	"github.com/appydex/smoke/app/auth"
	"github.com/appydex/smoke/app/seed"
	"github.com/appydex/smoke/app/store"
	"github.com/appydex/smoke/redact"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "appydex-api:", err)
		os.Exit(2)
	}
}

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	command := "serve"
	if len(args) > 0 && (args[0] == "serve" || args[0] == "seed") {
		command, args = args[0], args[1:]
	}
	cfg, err := parseConfig(command, args, getenv, stderr)
	if err != nil {
		return err
	}
	if command == "seed" {
		return seedAdmin(ctx, cfg.DatabaseURL, stdout)
	}
	log := slog.New(slog.NewJSONHandler(stderr, nil))
	srv, err := apiserver.Start(ctx, apiserver.Config{DatabaseURL: cfg.DatabaseURL, Addr: cfg.Addr, JWTSecret: cfg.JWTSecret,
		DevOTP: cfg.DevOTP, AccessTTL: cfg.AccessTTL, RefreshTTL: cfg.RefreshTTL, Issuer: cfg.Issuer, Audience: cfg.Audience,
		CORSOrigins: cfg.CORSOrigins, Log: stderr})
	if err != nil {
		return err
	}
	log.Info("serving", "addr", srv.URL, "database", redact.Conn(cfg.DatabaseURL), "dev_otp", cfg.DevOTP != "")
	if err := srv.Wait(ctx); err != nil {
		return err
	}
	return srv.Close(context.WithoutCancel(ctx))
}

// seedAdmin creates (or resets) the development admin and the disabled
// development account.
func seedAdmin(ctx context.Context, databaseURL string, stdout io.Writer) error {
	pool, err := pgxpool.New(ctx, databaseURL)
	if err != nil {
		return fmt.Errorf("--database-url %s: %w", redact.Conn(databaseURL), redact.Error(err, databaseURL))
	}
	defer pool.Close()
	id, err := seed.DevAdmin(ctx, store.New(pool), auth.OWASP)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "seeded %s (user %s); it signs in with the development OTP only when the API runs with --dev-otp %s\n",
		seed.AdminEmail, id, seed.DevOTP)
	if id, err = seed.DevInactive(ctx, store.New(pool), auth.OWASP); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "seeded %s (user %s), disabled: it must be refused like a wrong password\n", seed.InactiveEmail, id)
	return nil
}
