package pgenv

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
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
	waitForLeavers(ctx, pool, name)
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

// waitForLeavers gives the sessions that were connected to a database a
// moment to end before it is dropped. A client that has just closed its
// connections leaves server processes still exiting, and DROP DATABASE
// (FORCE or not) that finds one sleeps a tenth of a second before it looks
// again: the few milliseconds they need are cheaper to wait out here. A
// session still there after leaversGrace is left to FORCE.
func waitForLeavers(ctx context.Context, pool *pgxpool.Pool, name string) {
	deadline := time.Now().Add(leaversGrace)
	for {
		var n int
		err := pool.QueryRow(ctx, "SELECT count(*) FROM pg_stat_activity WHERE datname = $1", name).Scan(&n)
		if err != nil || n == 0 || time.Now().After(deadline) {
			return
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// leaversGrace is how long waitForLeavers waits.
const leaversGrace = 200 * time.Millisecond
