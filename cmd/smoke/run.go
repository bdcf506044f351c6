package main

import (
	"context"

	"github.com/appydex/smoke/app/apiserver"
	"github.com/appydex/smoke/app/tables"
	"github.com/appydex/smoke/harness/drift"
	"github.com/appydex/smoke/harness/migrator"
	"github.com/appydex/smoke/harness/report"
	"github.com/appydex/smoke/migrations"
)

// runCommand is `smoke run`: the whole harness on its embedded default.
func runCommand(ctx context.Context, o *options) (*report.Report, error) {
	if o.backend != nil {
		return backendRun(ctx, o)
	}
	rep := report.New("run")
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
	step.Pass("%d migrations applied to a template database", len(files.List))

	step = rep.Start("clone")
	db, err := tpl.Clone(ctx)
	if err != nil {
		step.Fail("no clone")
		return rep, err
	}
	step.Pass("a database of its own for this run")

	live, err := drift.ConnectLive(ctx, db.URL)
	if err != nil {
		return rep, err
	}
	defer live.Close(context.WithoutCancel(ctx))
	if _, err := schemaStep(ctx, rep, "schema check", drift.Options{Server: srv, Model: tables.Schema, Migrations: migrations.FS, Dir: "migrations", Live: live}); err != nil {
		return rep, err
	}

	logs := &apiserver.LogBuffer{}
	api, err := startAPI(ctx, rep, db.URL, logs)
	if err != nil {
		return rep, err
	}
	defer api.Stop()
	if _, err := flowStep(ctx, rep, api.Flow(db.URL)); err != nil {
		return rep, err
	}

	rep.Finish("the model, the migrations and a freshly migrated database agree, and login, refresh, reuse detection and logout work against it")
	if !rep.Passed {
		rep.Verdict = "a check failed: see the steps marked FAIL"
	}
	return rep, nil
}
