package main

import (
	"context"
	"fmt"
	"time"

	"github.com/appydex/smoke/app/apiserver"
	"github.com/appydex/smoke/app/tables"
	"github.com/appydex/smoke/harness/drift"
	"github.com/appydex/smoke/harness/live"
	"github.com/appydex/smoke/harness/migrator"
	"github.com/appydex/smoke/harness/reference"
	"github.com/appydex/smoke/harness/report"
	"github.com/appydex/smoke/migrations"
)

// apiStart is how starting the reference API went.
type apiStart struct {
	api        *reference.API
	err        error
	start, end time.Time
}

// runCommand is `smoke run`: the whole harness on its embedded default.
func runCommand(ctx context.Context, o *options) (*report.Report, error) {
	if o.backend != nil {
		return backendRun(ctx, o)
	}
	rep := o.newReport("run")
	br := startBrowser(ctx, o)
	defer br.close()
	origins, err := br.origins()
	if err != nil {
		return rep, err
	}
	srv, err := startPostgres(ctx, o, rep, "postgres")
	if err != nil {
		return rep, err
	}
	defer srv.Close(context.WithoutCancel(ctx))

	step := rep.Start("migrate")
	tpl, err := srv.Template(ctx, migrations.FS, "migrations")
	if err != nil {
		step.Fail("the migrations do not apply")
		step.Line("%v", err)
		rep.Finish("the migrations do not apply to an empty database")
		return rep, nil
	}
	files, err := migrator.ReadFiles(migrations.FS, "migrations")
	if err != nil {
		return rep, err
	}
	if tpl.Built() {
		step.Pass("%d migrations applied to a template database", len(files.List))
	} else {
		step.Pass("%d migrations: their template database was already built on this server", len(files.List))
	}

	step = rep.Start("clone")
	db, err := tpl.Clone(ctx)
	if err != nil {
		step.Fail("no clone")
		return rep, err
	}
	step.Pass("a database of its own for this run")

	// The API starts (seeding its accounts, hashing their passwords) while
	// the schema is checked: neither needs the other.
	logs := &apiserver.LogBuffer{}
	started := make(chan apiStart, 1)
	go func() {
		start := time.Now()
		api, err := reference.Start(ctx, reference.Config{DatabaseURL: db.URL, Log: logs, CORSOrigins: origins})
		started <- apiStart{api, err, start, time.Now()}
	}()
	schemaErr := func() error {
		live, err := live.Connect(ctx, db.URL)
		if err != nil {
			return err
		}
		defer live.Close(context.WithoutCancel(ctx))
		_, err = schemaStep(ctx, rep, "schema check", drift.Options{Server: srv, Model: tables.Schema, Migrations: migrations.FS, Dir: "migrations", Live: live})
		return err
	}()
	a := <-started
	if a.api != nil {
		defer a.api.Stop()
	}
	if schemaErr != nil {
		return rep, schemaErr
	}
	step = rep.Record("api", a.start, a.end)
	if a.err != nil {
		step.Fail("the reference API did not start")
		return rep, fmt.Errorf("start the reference API: %w", a.err)
	}
	api := a.api
	step.Pass("the reference API on %s, development admin and a disabled account seeded", api.URL)
	if _, err := flowStep(ctx, rep, api.Flow(db.URL)); err != nil {
		return rep, err
	}
	if err := panelStep(ctx, br, rep, "browser", api.URL, adminSignIn); err != nil {
		return rep, err
	}

	rep.Finish("the model, the migrations and a freshly migrated database agree, and login, refresh, reuse detection and logout work against it")
	if !rep.Passed {
		rep.Verdict = "a check failed: see the steps marked FAIL"
	}
	return rep, nil
}
