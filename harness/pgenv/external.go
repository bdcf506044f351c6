package pgenv

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/appydex/smoke/redact"
)

// startExternal checks that the server at cfg.URL answers and that its role
// may create databases. Close never stops it: it only drops the databases
// this Server created there.
func startExternal(ctx context.Context, cfg Config) (*Server, error) {
	if cfg.URL == "" {
		return nil, fmt.Errorf("the external source needs a server URL: set SMOKE_DATABASE_URL=postgres://user:password@host:5432/postgres")
	}
	const want = "want postgres://user:password@host:port/database"
	if !strings.HasPrefix(cfg.URL, "postgres://") && !strings.HasPrefix(cfg.URL, "postgresql://") {
		return nil, fmt.Errorf("database URL %s is not a postgres:// URL; %s", redact.Conn(cfg.URL), want)
	}
	if _, err := redact.ParseConn(cfg.URL); err != nil {
		return nil, fmt.Errorf("database URL %s: %w; %s", redact.Conn(cfg.URL), err, want)
	}
	u, err := url.Parse(cfg.URL)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("database URL %s is not a postgres:// URL with a host; %s", redact.Conn(cfg.URL), want)
	}
	if u.Path != "/postgres" {
		// The advisory locks that make runs build a template once and drop
		// it last hold within one database: every run takes them in the
		// server's maintenance database, whatever database its URL names,
		// when its role may connect there.
		maintenance := *u
		maintenance.Path = "/postgres"
		if conn, err := connectWithin(ctx, maintenance.String(), 5*time.Second); err == nil {
			conn.Close(ctx)
			u = &maintenance
		} else if u.Path == "" || u.Path == "/" {
			u.Path = "/postgres" // the error is the ready check's, below
		} else {
			cfg.logf("pgenv: the role cannot connect to the postgres database; the harness works in %s: "+
				"every run on this server must name that database", strings.TrimPrefix(u.Path, "/"))
		}
	}
	s := &Server{source: External, where: "external server " + u.Host, admin: u}
	if err := s.ready(ctx, 10*time.Second, false); err != nil {
		s.Close(ctx)
		return nil, err
	}
	pool, _ := s.adminPool(ctx)
	var canCreate bool
	if err := pool.QueryRow(ctx, `SELECT rolcreatedb OR rolsuper FROM pg_roles WHERE rolname = current_user`).Scan(&canCreate); err != nil {
		s.Close(ctx)
		return nil, fmt.Errorf("read the role of %s: %w", redact.Conn(cfg.URL), err)
	}
	if !canCreate {
		s.Close(ctx)
		return nil, fmt.Errorf("the role %q of %s cannot create databases: grant it CREATEDB (ALTER ROLE %s CREATEDB) or use another role",
			u.User.Username(), redact.Conn(cfg.URL), u.User.Username())
	}
	if err := s.sweepExternal(ctx, cfg.logf); err != nil {
		cfg.logf("pgenv: sweeping what stopped runs left on %s: %v", redact.Conn(cfg.URL), err)
	}
	return s, nil
}

func connectWithin(ctx context.Context, url string, d time.Duration) (*pgx.Conn, error) {
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	return pgx.Connect(ctx, url)
}
