package pgenv

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"time"

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
	u, err := url.Parse(cfg.URL)
	if err != nil {
		var uerr *url.Error
		if errors.As(err, &uerr) {
			err = uerr.Err // its message would quote the URL, password and all
		}
		return nil, fmt.Errorf("database URL %s: %v; %s", redact.URL(cfg.URL), err, want)
	}
	if (u.Scheme != "postgres" && u.Scheme != "postgresql") || u.Host == "" {
		return nil, fmt.Errorf("database URL %s is not a postgres:// URL with a host; %s", redact.URL(cfg.URL), want)
	}
	if u.Path == "" || u.Path == "/" {
		u.Path = "/postgres"
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
		return nil, fmt.Errorf("read the role of %s: %w", redact.URL(cfg.URL), err)
	}
	if !canCreate {
		s.Close(ctx)
		return nil, fmt.Errorf("the role %q of %s cannot create databases: grant it CREATEDB (ALTER ROLE %s CREATEDB) or use another role",
			u.User.Username(), redact.URL(cfg.URL), u.User.Username())
	}
	return s, nil
}
