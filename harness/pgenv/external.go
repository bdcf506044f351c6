package pgenv

import (
	"context"
	"fmt"
	"net/url"
	"time"
)

// startExternal checks that the server at cfg.URL answers and that its role
// may create databases. Close never stops it: it only drops the databases
// this Server created there.
func startExternal(ctx context.Context, cfg Config) (*Server, error) {
	if cfg.URL == "" {
		return nil, fmt.Errorf("the external source needs a server URL: set SMOKE_DATABASE_URL=postgres://user:password@host:5432/postgres")
	}
	u, err := url.Parse(cfg.URL)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") || u.Host == "" {
		return nil, fmt.Errorf("database URL %s is not a postgres://user:password@host:port/database URL", MaskURL(cfg.URL))
	}
	if u.Path == "" || u.Path == "/" {
		u.Path = "/postgres"
	}
	s := &Server{source: External, where: "host " + u.Host, admin: u}
	if err := s.ready(ctx, 10*time.Second); err != nil {
		s.Close(ctx)
		return nil, err
	}
	pool, _ := s.Pool(ctx)
	var canCreate bool
	if err := pool.QueryRow(ctx, `SELECT rolcreatedb OR rolsuper FROM pg_roles WHERE rolname = current_user`).Scan(&canCreate); err != nil {
		s.Close(ctx)
		return nil, fmt.Errorf("read the role of %s: %w", MaskURL(cfg.URL), err)
	}
	if !canCreate {
		s.Close(ctx)
		return nil, fmt.Errorf("the role %q of %s cannot create databases: grant it CREATEDB (ALTER ROLE %s CREATEDB) or use another role",
			u.User.Username(), MaskURL(cfg.URL), u.User.Username())
	}
	return s, nil
}
