// Package pgtest gives each test a real PostgreSQL database of its own: one
// server per test binary, started on first use, with the project's
// migrations applied once into a template and a fresh clone per test.
//
// A package that uses it runs its tests through Main:
//
//	func TestMain(m *testing.M) { pgtest.Main(m) }
//
//	func TestSomething(t *testing.T) {
//		t.Parallel()
//		db := pgtest.Clone(t) // migrated, dropped when the test passes
//		db.Exec(t, "INSERT INTO users …")
//		db.Pool.QueryRow(ctx, "SELECT …") // a ready pool on the clone
//		…
//	}
//
// The server's source comes from SMOKE_PG_SOURCE and the other variables
// pgenv.ConfigFromEnv documents.
package pgtest

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"os/signal"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/appydex/smoke/harness/docker"
	"github.com/appydex/smoke/harness/migrator"
	"github.com/appydex/smoke/harness/pgenv"
	"github.com/appydex/smoke/migrations"
	"github.com/appydex/smoke/redact"
)

var shared struct {
	mu      sync.Mutex
	inMain  bool
	started bool
	srv     *pgenv.Server
	err     error
	// reuse is SMOKE_REUSE as this binary found it (Main reads it, then
	// takes it out of the environment).
	reuse    pgenv.ShareOptions
	reuseErr error
}

// Main runs the package's tests, then stops the server if one was started.
// An interrupt (Ctrl-C) or SIGTERM stops it too, before the binary exits.
func Main(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	pgenv.ServeIfKeeper() // this binary, started again as a shared server's keeper, keeps it
	if !flag.Parsed() {
		flag.Parse()
	}
	docker.Setup(os.Getenv, testing.Verbose())
	shared.mu.Lock()
	shared.inMain = true
	// SMOKE_REUSE=1 make test keeps the test binaries' server. It is theirs
	// alone: the smoke command a test runs, and the processes a test
	// starts, keep nothing unless the test says so.
	shared.reuse, shared.reuseErr = pgenv.ReuseFromEnv(os.Getenv)
	os.Unsetenv(pgenv.EnvReuse)
	shared.mu.Unlock()

	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	go func() {
		s := <-sig
		fmt.Fprintf(os.Stderr, "pgtest: %v: stopping PostgreSQL\n", s)
		if err := stop(); err != nil {
			fmt.Fprintf(os.Stderr, "pgtest: %v\n", err)
		}
		os.Exit(130)
	}()

	code := m.Run()
	signal.Stop(sig)
	if err := stop(); err != nil {
		fmt.Fprintf(os.Stderr, "pgtest: %v\n", err)
		if code == 0 {
			code = 1
		}
	}
	return code
}

func stop() error {
	shared.mu.Lock()
	defer shared.mu.Unlock()
	if shared.srv == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	err := shared.srv.Close(ctx)
	shared.srv = nil
	if err != nil {
		return fmt.Errorf("stop PostgreSQL: %w", err)
	}
	return nil
}

// Config is the configuration this test binary starts its server with: the
// variables pgenv.ConfigFromEnv reads (SMOKE_PG_SOURCE and the others), so
// that one setting reaches every package of go test ./... alike.
func Config() (pgenv.Config, error) {
	cfg, err := pgenv.ConfigFromEnv(os.Getenv)
	if err != nil {
		return cfg, err
	}
	if testing.Verbose() {
		cfg.Logf = func(format string, args ...any) { fmt.Fprintf(os.Stderr, format+"\n", args...) }
	}
	return cfg, nil
}

// Server returns this test binary's server, starting it on first use.
func Server(tb testing.TB) *pgenv.Server {
	tb.Helper()
	shared.mu.Lock()
	defer shared.mu.Unlock()
	if !shared.inMain {
		tb.Fatal("pgtest: this package's tests must run through pgtest.Main, which stops the server at the end: add\n\tfunc TestMain(m *testing.M) { pgtest.Main(m) }")
	}
	if !shared.started {
		shared.started = true
		shared.srv, shared.err = start()
	}
	if shared.err != nil {
		tb.Fatalf("pgtest: start PostgreSQL: %v", shared.err)
	}
	if shared.srv == nil {
		tb.Fatal("pgtest: the server was stopped")
	}
	return shared.srv
}

// start starts this binary's server: the one the packages of go test ./...
// share (pgenv.Attach), kept after the run with SMOKE_REUSE, or with
// SMOKE_PG_SHARE=0 a server of this binary's own.
func start() (*pgenv.Server, error) {
	cfg, err := Config()
	if err != nil {
		return nil, err
	}
	if shared.reuseErr != nil {
		return nil, shared.reuseErr
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if os.Getenv(pgenv.EnvShare) == "0" {
		return pgenv.Start(ctx, cfg)
	}
	return pgenv.Attach(ctx, cfg, shared.reuse)
}

// OwnServer starts a server for this test alone, stopped when it ends: for
// a test that changes what the server's other users would see (roles,
// ALTER SYSTEM, a paused server). It says so in the test's log.
func OwnServer(tb testing.TB, why string) *pgenv.Server {
	tb.Helper()
	cfg, err := Config()
	if err != nil {
		tb.Fatalf("pgtest: %v", err)
	}
	ctx := context.Background()
	srv, err := pgenv.Start(ctx, cfg)
	if err != nil {
		tb.Fatalf("pgtest: start a server of this test's own: %v", err)
	}
	tb.Cleanup(func() { srv.Close(context.WithoutCancel(ctx)) })
	tb.Logf("pgtest: %s has a server of its own: %s", tb.Name(), why)
	return srv
}

// TemplateOn returns the template of the project's migrations on srv (a
// server of OwnServer).
func TemplateOn(tb testing.TB, srv *pgenv.Server) *pgenv.Template {
	tb.Helper()
	tpl, err := srv.Template(context.Background(), migrations.FS, migrations.Dir)
	if err != nil {
		tb.Fatalf("pgtest: %v", err)
	}
	return tpl
}

// EmptyOn returns a new empty database on srv (a server of OwnServer),
// dropped like a clone.
func EmptyOn(tb testing.TB, srv *pgenv.Server) *DB {
	tb.Helper()
	db, err := srv.NewDatabase(context.Background())
	if err != nil {
		tb.Fatalf("pgtest: %v", err)
	}
	return handOut(tb, db)
}

// Template returns the template of the project's migrations.
func Template(tb testing.TB) *pgenv.Template {
	tb.Helper()
	return TemplateOf(tb, migrations.FS, migrations.Dir)
}

// TemplateOf returns the template of the migrations in fsys (dir names the
// folder in messages), building it once per test binary. Clones of it are
// made ahead in the background (EnvClonesAhead), so that a test gets one
// without waiting for CREATE DATABASE.
func TemplateOf(tb testing.TB, fsys fs.FS, dir string) *pgenv.Template {
	tb.Helper()
	tpl, err := Server(tb).Template(context.Background(), fsys, dir)
	if err != nil {
		tb.Fatalf("pgtest: %v", err)
	}
	ahead, err := clonesAhead()
	if err != nil {
		tb.Fatalf("pgtest: %v", err)
	}
	tpl.Prefetch(ahead)
	return tpl
}

// EnvClonesAhead sets how many clones of each template pgtest keeps made
// ahead (default DefaultClonesAhead; 0 makes each one when asked).
const EnvClonesAhead = "SMOKE_CLONES_AHEAD"

// DefaultClonesAhead is a few: enough for the parallel tests of a package
// on a small machine, few enough to cost little when a package needs one.
const DefaultClonesAhead = 3

func clonesAhead() (int, error) {
	v := os.Getenv(EnvClonesAhead)
	if v == "" {
		return DefaultClonesAhead, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 || n > 64 {
		return 0, fmt.Errorf("%s=%q: give a number of clones from 0 to 64", EnvClonesAhead, v)
	}
	return n, nil
}

// DB is a database of one test's own, and a ready connection pool to it.
type DB struct {
	Name string
	URL  string        // connection URL, password included
	Pool *pgxpool.Pool // closed when the test ends
}

// Exec runs sql — one statement or several — on the database, failing the
// test when PostgreSQL refuses it.
func (db *DB) Exec(tb testing.TB, sql string) {
	tb.Helper()
	if _, err := db.Pool.Exec(context.Background(), sql); err != nil {
		tb.Fatalf("pgtest: %s: %v\n%s", db.Name, err, sql)
	}
}

// Clone returns a new database holding the project's migrated schema.
func Clone(tb testing.TB) *DB {
	tb.Helper()
	return CloneOf(tb, Template(tb))
}

// CloneOf returns a new database copied from tpl. It is dropped when the test
// passes; when it fails, the database is kept and its URL logged.
func CloneOf(tb testing.TB, tpl *pgenv.Template) *DB {
	tb.Helper()
	db, err := tpl.Clone(context.Background())
	if err != nil {
		tb.Fatalf("pgtest: %v", err)
	}
	return handOut(tb, db)
}

// Empty returns a new empty database, dropped like a clone.
func Empty(tb testing.TB) *DB {
	tb.Helper()
	db, err := Server(tb).NewDatabase(context.Background())
	if err != nil {
		tb.Fatalf("pgtest: %v", err)
	}
	return handOut(tb, db)
}

// handOut opens db's pool and registers its end: the pool closes, then the
// database is dropped if the test passed, or kept and logged if it failed.
func handOut(tb testing.TB, db *pgenv.Database) *DB {
	tb.Helper()
	pool, err := pgxpool.New(context.Background(), db.URL)
	if err != nil {
		_ = db.Drop(context.Background())
		tb.Fatalf("pgtest: %v", redact.Error(err, db.URL))
	}
	tb.Cleanup(func() {
		pool.Close()
		if tb.Failed() {
			if err := db.Keep(); err != nil {
				tb.Logf("pgtest: %v: a later run may drop it", err)
			}
			tb.Logf("pgtest: kept database %s for inspection on %s%s", db.Name, redact.Conn(db.URL), keptURLFile(db))
			return
		}
		if err := db.Drop(context.Background()); err != nil {
			tb.Errorf("pgtest: %v", err)
		}
	})
	return &DB{Name: db.Name, URL: db.URL, Pool: pool}
}

// AtVersion returns a new database holding the project's migrations up to
// version only, e.g. migrations.IncidentHead: the incident's database.
func AtVersion(tb testing.TB, version uint) *DB {
	tb.Helper()
	db := Empty(tb)
	mg, err := migrator.New(db.URL, migrations.FS, migrations.Dir)
	if err != nil {
		tb.Fatalf("pgtest: %v", err)
	}
	defer mg.Close()
	if err := mg.To(context.Background(), version); err != nil {
		tb.Fatalf("pgtest: %v", err)
	}
	return db
}

// Pool opens a connection pool to any database at url — the server's
// maintenance database (Server(tb).AdminURL()), one a fixture made — and
// closes it when the test ends.
func Pool(tb testing.TB, url string) *pgxpool.Pool {
	tb.Helper()
	pool, err := pgxpool.New(context.Background(), url)
	if err != nil {
		tb.Fatalf("pgtest: %v", redact.Error(err, url))
	}
	tb.Cleanup(pool.Close)
	return pool
}

// keptURLFile writes the URL of a kept database, password and all, to a
// new file only its owner may read, and says where: a log must not show the
// password, and whoever inspects the database needs it. "" when it could
// not be written.
func keptURLFile(db *pgenv.Database) string {
	f, err := os.CreateTemp("", "appydex-smoke-kept-"+db.Name+"-*.url") // 0600, a name no one chose before
	if err != nil {
		return ""
	}
	_, werr := f.WriteString(db.URL + "\n")
	if err := errors.Join(werr, f.Close()); err != nil {
		os.Remove(f.Name())
		return ""
	}
	return fmt.Sprintf(`; connect with psql "$(cat %s)"`, f.Name())
}
