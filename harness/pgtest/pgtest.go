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
//		conn, _ := pgx.Connect(ctx, db.URL)
//		…
//	}
//
// The server's source comes from SMOKE_PG_SOURCE (or -pg-source) and the
// other variables pgenv.ConfigFromEnv documents.
package pgtest

import (
	"context"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	tclog "github.com/testcontainers/testcontainers-go/log"

	"github.com/appydex/smoke/harness/migrator"
	"github.com/appydex/smoke/harness/pgenv"
	"github.com/appydex/smoke/migrations"
	"github.com/appydex/smoke/redact"
)

var sourceFlag = flag.String("pg-source", "", "where PostgreSQL comes from: auto, container, local or external (default: $SMOKE_PG_SOURCE, else auto)")

var shared struct {
	mu      sync.Mutex
	inMain  bool
	started bool
	srv     *pgenv.Server
	err     error
}

// Main runs the package's tests, then stops the server if one was started.
// An interrupt (Ctrl-C) or SIGTERM stops it too, before the binary exits.
func Main(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	// No registry answers on this project's machines, so Ryuk (the reaper
	// container) cannot be pulled; pgenv labels, removes and sweeps its
	// containers itself. testcontainers-go reads this once, on first use.
	// Set TESTCONTAINERS_RYUK_DISABLED=false to use Ryuk anyway.
	if os.Getenv("TESTCONTAINERS_RYUK_DISABLED") == "" {
		os.Setenv("TESTCONTAINERS_RYUK_DISABLED", "true")
	}
	// testcontainers-go's banner and progress lines, only with -v.
	if !flag.Parsed() {
		flag.Parse()
	}
	if !testing.Verbose() {
		tclog.SetDefault(tclog.NewNoopLogger())
	}
	shared.mu.Lock()
	shared.inMain = true
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

// Config is the configuration this test binary starts its server with.
func Config() (pgenv.Config, error) {
	cfg, err := pgenv.ConfigFromEnv(os.Getenv)
	if err != nil {
		return cfg, err
	}
	if *sourceFlag != "" {
		if cfg.Source, err = pgenv.ParseSource(*sourceFlag); err != nil {
			return cfg, fmt.Errorf("-pg-source: %w", err)
		}
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
		cfg, err := Config()
		if err == nil {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
			shared.srv, err = pgenv.Start(ctx, cfg)
			cancel()
		}
		shared.err = err
	}
	if shared.err != nil {
		tb.Fatalf("pgtest: start PostgreSQL: %v", shared.err)
	}
	if shared.srv == nil {
		tb.Fatal("pgtest: the server was stopped")
	}
	return shared.srv
}

// Template returns the template of the project's migrations.
func Template(tb testing.TB) *pgenv.Template {
	tb.Helper()
	return TemplateOf(tb, migrations.FS, "migrations")
}

// TemplateOf returns the template of the migrations in fsys (dir names the
// folder in messages), building it once per test binary.
func TemplateOf(tb testing.TB, fsys fs.FS, dir string) *pgenv.Template {
	tb.Helper()
	tpl, err := Server(tb).Template(context.Background(), fsys, dir)
	if err != nil {
		tb.Fatalf("pgtest: %v", err)
	}
	return tpl
}

// Clone returns a new database holding the project's migrated schema.
func Clone(tb testing.TB) *pgenv.Database {
	tb.Helper()
	return CloneOf(tb, Template(tb))
}

// CloneOf returns a new database copied from tpl. It is dropped when the test
// passes; when it fails, the database is kept and its URL logged.
func CloneOf(tb testing.TB, tpl *pgenv.Template) *pgenv.Database {
	tb.Helper()
	db, err := tpl.Clone(context.Background())
	if err != nil {
		tb.Fatalf("pgtest: %v", err)
	}
	cleanup(tb, db)
	return db
}

// Empty returns a new empty database, dropped like a clone.
func Empty(tb testing.TB) *pgenv.Database {
	tb.Helper()
	db, err := Server(tb).NewDatabase(context.Background())
	if err != nil {
		tb.Fatalf("pgtest: %v", err)
	}
	cleanup(tb, db)
	return db
}

func cleanup(tb testing.TB, db *pgenv.Database) {
	tb.Cleanup(func() {
		if tb.Failed() {
			db.Keep()
			url := db.URL
			if shared.srv != nil && shared.srv.Source() == pgenv.External {
				url = redact.URL(url) // the password is the user's own
			}
			tb.Logf("pgtest: kept database %s for inspection: %s", db.Name, url)
			return
		}
		if err := db.Drop(context.Background()); err != nil {
			tb.Errorf("pgtest: %v", err)
		}
	})
}

// AtVersion returns a new database holding the project's migrations up to
// version only, e.g. migrations.IncidentHead: the incident's database.
func AtVersion(tb testing.TB, version uint) *pgenv.Database {
	tb.Helper()
	db := Empty(tb)
	mg, err := migrator.New(db.URL, migrations.FS, "migrations")
	if err != nil {
		tb.Fatalf("pgtest: %v", err)
	}
	defer mg.Close()
	if err := mg.To(context.Background(), version); err != nil {
		tb.Fatalf("pgtest: %v", err)
	}
	return db
}

// Exec runs sql — one statement or several — on the database at url.
func Exec(tb testing.TB, url, sql string) {
	tb.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		tb.Fatalf("pgtest: %v", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.PgConn().Exec(ctx, sql).ReadAll(); err != nil {
		tb.Fatalf("pgtest: %v\n%s", err, sql)
	}
}
