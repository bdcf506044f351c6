package pgenv

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
)

// Every database the harness creates is named with this prefix, so nothing
// it does can reach a database it did not make.
const dbPrefix = "smoke_"

// createDatabase creates the database name, copied from template when one is
// given, and remembers it for Close.
func (s *Server) createDatabase(ctx context.Context, name, template string) error {
	if !strings.HasPrefix(name, dbPrefix) {
		return fmt.Errorf("refusing to create %q: the harness only creates databases named %s…", name, dbPrefix)
	}
	pool, err := s.adminPool(ctx)
	if err != nil {
		return err
	}
	sql := "CREATE DATABASE " + pgx.Identifier{name}.Sanitize()
	if template != "" {
		// FILE_COPY copies the template's files: on tmpfs that beats the
		// default WAL_LOG strategy, which writes every page to the WAL.
		sql += " TEMPLATE " + pgx.Identifier{template}.Sanitize() + " STRATEGY FILE_COPY"
	}
	if _, err := pool.Exec(ctx, sql); err != nil {
		return fmt.Errorf("create database %s: %w", name, err)
	}
	s.dbMu.Lock()
	if s.dbs == nil {
		s.dbs = map[string]bool{}
	}
	s.dbs[name] = true
	s.dbMu.Unlock()
	return nil
}

// dropDatabase drops a database this harness created, ending its sessions.
func (s *Server) dropDatabase(ctx context.Context, name string) error {
	if !strings.HasPrefix(name, dbPrefix) {
		return fmt.Errorf("refusing to drop %q: the harness only drops databases named %s…", name, dbPrefix)
	}
	pool, err := s.adminPool(ctx)
	if err != nil {
		return err
	}
	if _, err := pool.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
		return fmt.Errorf("drop database %s: %w", name, err)
	}
	s.dbMu.Lock()
	delete(s.dbs, name)
	s.dbMu.Unlock()
	return nil
}

// forget stops tracking a database without dropping it: a failed test's
// database is kept for inspection.
func (s *Server) forget(name string) {
	s.dbMu.Lock()
	delete(s.dbs, name)
	s.dbMu.Unlock()
}

// dropCreated drops every database this Server created and still tracks.
func (s *Server) dropCreated(ctx context.Context) error {
	s.dbMu.Lock()
	names := make([]string, 0, len(s.dbs))
	for name := range s.dbs {
		names = append(names, name)
	}
	s.dbMu.Unlock()
	var errs []error
	for _, name := range names {
		errs = append(errs, s.dropDatabase(ctx, name))
	}
	return errors.Join(errs...)
}
