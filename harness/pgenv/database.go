package pgenv

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/appydex/smoke/harness/owner"
	"github.com/appydex/smoke/redact"
	"github.com/appydex/smoke/schema/pgident"
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
	// Recorded before it is created: a CREATE cut short by an interrupt
	// may have finished on the server all the same, and Close drops what
	// is recorded (if it exists). Only a refusal from the server means
	// there is nothing to drop.
	s.dbMu.Lock()
	if s.dbs == nil {
		s.dbs = map[string]bool{}
	}
	s.dbs[name] = true
	s.dbMu.Unlock()
	if _, err := pool.Exec(ctx, sql); err != nil {
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) {
			s.forget(name)
		}
		return fmt.Errorf("create database %s: %w", name, err)
	}
	if s.source == External {
		// On a server it shares with others, what the harness makes says
		// whose it is: what a process that is gone left, the next run
		// sweeps (sweepExternal).
		mark := pgx.Identifier{name}.Sanitize()
		if _, err := pool.Exec(ctx, "COMMENT ON DATABASE "+mark+" IS "+pgident.Literal(ownerMark+owner.Current().String())); err != nil {
			return fmt.Errorf("mark database %s as this run's: %w", name, err)
		}
	}
	return nil
}

// ownerMark begins the comment of a database the harness made on an
// external server; the owner (owner.Owner) follows.
const ownerMark = "appydex-smoke: made by "

// keptMark begins the comment of a database kept for inspection
// (Database.Keep): no run's, and never swept.
const keptMark = "appydex-smoke: kept for inspection by "

// sweepExternal drops what runs that are gone left on an external server:
// a database marked as made by a process known to be gone, and a migrated
// template no run uses (the last user of a template drops it; one that
// was killed cannot). A database without the mark — another tool's, or one
// whose creator was stopped between its CREATE and its COMMENT — is left
// alone, and named.
func (s *Server) sweepExternal(ctx context.Context, logf func(string, ...any)) error {
	pool, err := s.adminPool(ctx)
	if err != nil {
		return err
	}
	rows, err := pool.Query(ctx, `SELECT datname, coalesce(shobj_description(oid, 'pg_database'), '')
		FROM pg_database WHERE starts_with(datname, $1) ORDER BY datname`, dbPrefix)
	if err != nil {
		return fmt.Errorf("list the harness's databases: %w", err)
	}
	type found struct{ Name, Comment string }
	dbs, err := pgx.CollectRows(rows, pgx.RowToStructByPos[found])
	if err != nil {
		return fmt.Errorf("list the harness's databases: %w", err)
	}
	var errs []error
	for _, db := range dbs {
		if key, ok := templateKey(db.Name); ok {
			errs = append(errs, s.dropUnusedTemplate(ctx, db.Name, key, logf))
			continue
		}
		by, marked := strings.CutPrefix(db.Comment, ownerMark)
		o, ok := owner.Parse(by)
		switch {
		case strings.HasPrefix(db.Comment, keptMark):
		case !marked || !ok:
			logf("pgenv: left %s on the external server: nothing says which run made it", db.Name)
		case o.Gone():
			logf("pgenv: dropping %s, left by process %d, which is gone", db.Name, o.PID)
			errs = append(errs, s.dropDatabase(ctx, db.Name))
		}
	}
	return errors.Join(errs...)
}

// templateKey is the advisory lock key of a migrated template's name
// (Server.Template takes its locks with it, the sweep finds them by it),
// false for any other name.
func templateKey(name string) (int32, bool) {
	hash, ok := strings.CutPrefix(name, dbPrefix+"tpl_")
	if !ok || len(hash) != 16 || strings.Trim(hash, "0123456789abcdef") != "" {
		return 0, false
	}
	return int32(binary.BigEndian.Uint32([]byte(hash[:4]))), true
}

// dropUnusedTemplate drops the template name when no run uses it: under
// its build lock no run can start to, and its use lock, taken at once,
// says no run holds it.
func (s *Server) dropUnusedTemplate(ctx context.Context, name string, key int32, logf func(string, ...any)) error {
	conn, err := pgx.Connect(ctx, s.admin.String())
	if err != nil {
		return redact.Error(err, s.admin.String())
	}
	defer conn.Close(context.WithoutCancel(ctx)) // ends the session: releases its locks
	var building, used bool
	if err := conn.QueryRow(ctx, "SELECT pg_try_advisory_lock($1, $3), pg_try_advisory_lock($2, $3)", lockBuild, lockUse, key).Scan(&building, &used); err != nil {
		return err
	}
	if !building || !used {
		return nil // a run builds it or clones from it
	}
	logf("pgenv: dropping the template %s, which no run uses (left by a run that was stopped)", name)
	if _, err := conn.Exec(ctx, "ALTER DATABASE "+pgx.Identifier{name}.Sanitize()+" WITH IS_TEMPLATE false"); err != nil {
		return fmt.Errorf("sweep template %s: %w", name, err)
	}
	return s.dropDatabase(ctx, name)
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
