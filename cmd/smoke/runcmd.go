package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/appydex/smoke/app/tables"
	"github.com/appydex/smoke/harness/drift"
	"github.com/appydex/smoke/harness/migrator"
	"github.com/appydex/smoke/harness/pgenv"
	"github.com/appydex/smoke/harness/schema"
	"github.com/appydex/smoke/migrations"
	tclog "github.com/testcontainers/testcontainers-go/log"
)

// runSmoke is `smoke run`: today it provisions PostgreSQL, migrates a
// template, clones it, and compares the model, the migrations and the clone
// (schema and migration state); the login flow joins it when it lands.
func runSmoke(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg, err := pgenv.ConfigFromEnv(getenv)
	if err != nil {
		return usageError{err.Error()}
	}
	fs := flag.NewFlagSet("smoke run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	source := fs.String("pg-source", getenv(pgenv.EnvSource), "where PostgreSQL comes from: auto, container, local or external ($"+pgenv.EnvSource+"; default auto, or external when a database URL is given)")
	fs.StringVar(&cfg.Image, "pg-image", cfg.Image, "container image (default "+pgenv.DefaultImage+"; $"+pgenv.EnvImage+")")
	fs.StringVar(&cfg.URL, "database-url", cfg.URL, "server for the external source ($"+pgenv.EnvURL+")")
	verbose := fs.Bool("v", false, "print the harness's progress lines")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return usageError{err.Error()} // flag has printed the usage
	}
	usageErr := func(msg string) error {
		fs.Usage()
		return usageError{msg}
	}
	if fs.NArg() > 0 {
		return usageErr(fmt.Sprintf("smoke run takes no arguments, got %q", fs.Args()))
	}
	if *source == "" && cfg.URL != "" {
		cfg.Source = pgenv.External
	} else if cfg.Source, err = pgenv.ParseSource(*source); err != nil {
		return usageErr(err.Error())
	}
	if *verbose {
		cfg.Logf = func(format string, a ...any) { fmt.Fprintf(stderr, format+"\n", a...) }
	} else {
		tclog.SetDefault(tclog.NewNoopLogger()) // testcontainers-go's banner
	}
	// The reaper's image cannot be pulled where no registry answers; pgenv
	// removes its own containers. testcontainers-go reads this once.
	if getenv("TESTCONTAINERS_RYUK_DISABLED") == "" {
		os.Setenv("TESTCONTAINERS_RYUK_DISABLED", "true")
	}

	r := &report{w: stdout}
	start := time.Now()
	srv, err := pgenv.Start(ctx, cfg)
	if err != nil {
		return fmt.Errorf("start PostgreSQL: %w", err)
	}
	defer srv.Close(context.WithoutCancel(ctx))
	r.step(start, "postgres", "%s", srv)

	start = time.Now()
	tpl, err := srv.Template(ctx, migrations.FS, "migrations")
	if err != nil {
		return checkFailed{fmt.Sprintf("apply migrations: %v", err)}
	}
	files, err := migrator.ReadFiles(migrations.FS, "migrations")
	if err != nil {
		return err
	}
	r.step(start, "migrate", "%d migrations applied into template %s", len(files.List), tpl.Name())

	start = time.Now()
	db, err := tpl.Clone(ctx)
	if err != nil {
		return fmt.Errorf("clone the template: %w", err)
	}
	r.step(start, "clone", "database %s", db.Name)

	start = time.Now()
	live, err := drift.ConnectLive(ctx, db.URL)
	if err != nil {
		return err
	}
	defer live.Close(context.WithoutCancel(ctx))
	report, err := drift.Check(ctx, drift.Options{Server: srv, Model: tables.Schema, Migrations: migrations.FS, Dir: "migrations", Live: live})
	if err != nil {
		return fmt.Errorf("check the schema: %w", err)
	}
	st := report.State
	if findings := report.Findings(); len(findings) > 0 {
		fmt.Fprint(stdout, schema.Lines(findings))
		return checkFailed{fmt.Sprintf("the schema check found %d difference(s)", len(findings))}
	}
	r.step(start, "schema", "model = migrations = the clone; schema_migrations says %d (%s), clean", st.Version, st.HeadFile)
	fmt.Fprintln(stdout, "PASS")
	return nil
}

// report prints one line per step: its name, how long it took, what it found.
type report struct{ w io.Writer }

func (r *report) step(start time.Time, name, format string, args ...any) {
	fmt.Fprintf(r.w, "ok  %-8s %6.0fms  %s\n", name, float64(time.Since(start).Microseconds())/1000, fmt.Sprintf(format, args...))
}
