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
//
// The API does not migrate: as in the incident's deployment, migrations are
// a separate step (the smoke harness, or golang-migrate's CLI).
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/appydex/smoke/app/auth"
	"github.com/appydex/smoke/app/httpapi"
	"github.com/appydex/smoke/app/seed"
	"github.com/appydex/smoke/app/store"
	"github.com/appydex/smoke/app/tables"
	"github.com/appydex/smoke/harness/pgenv"
	"github.com/jackc/pgx/v5/pgxpool"
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
	log := slog.New(slog.NewJSONHandler(stderr, nil))
	pool, err := openPool(ctx, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	defer pool.Close()
	st := store.New(pool)

	if command == "seed" {
		id, err := seed.DevAdmin(ctx, st, auth.OWASP)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "seeded %s (user %s); it signs in with the development OTP only when the API runs with --dev-otp %s\n",
			seed.AdminEmail, id, seed.DevOTP)
		return nil
	}

	api, err := cfg.server(st, log)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.Addr, err)
	}
	log.Info("serving", "addr", ln.Addr().String(), "database", pgenv.MaskURL(cfg.DatabaseURL), "dev_otp", cfg.DevOTP != "")
	return serve(ctx, ln, api.Handler())
}

// server wires the API from its settings.
func (c config) server(st *store.Store, log *slog.Logger) (*httpapi.Server, error) {
	expected, err := tables.Snapshot()
	if err != nil {
		return nil, err
	}
	tokens := &auth.Tokens{Secret: []byte(c.JWTSecret), Issuer: c.Issuer, Audience: c.Audience,
		AccessTTL: c.AccessTTL, RefreshTTL: c.RefreshTTL, Now: time.Now}
	return httpapi.New(st, tokens, &auth.OTP{DevCode: c.DevOTP, Now: time.Now}, expected, log, auth.OWASP)
}

// openPool connects lazily: the API starts, and answers 503, while the
// database is down.
func openPool(ctx context.Context, databaseURL string) (*pgxpool.Pool, error) {
	pcfg, err := pgxpool.ParseConfig(databaseURL)
	if err != nil {
		return nil, fmt.Errorf("--database-url %s: %w", pgenv.MaskURL(databaseURL), pgenv.MaskError(err, databaseURL))
	}
	pcfg.MaxConns = 20
	pcfg.ConnConfig.ConnectTimeout = 5 * time.Second
	return pgxpool.NewWithConfig(ctx, pcfg)
}

// serve runs the HTTP server until ctx ends, then drains it.
func serve(ctx context.Context, ln net.Listener, h http.Handler) error {
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second,
		WriteTimeout: 30 * time.Second, IdleTimeout: 2 * time.Minute, MaxHeaderBytes: 64 << 10}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil {
		return err
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
