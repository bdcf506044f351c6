package main

import (
	"context"
	"errors"

	"github.com/appydex/smoke/harness/report"
	"github.com/appydex/smoke/harness/target"
)

// runCommand is `smoke run`: a database migrated from nothing, the model,
// the migrations and it compared, then the login flow and the admin
// panel's sign-in against the API on it.
func runCommand(ctx context.Context, o *options) (*report.Report, error) {
	rep := o.newReport("run")
	br := startBrowser(ctx, o)
	defer br.close()
	t := target.New(o.backend, o.targetEnv(br.panelOrigin))
	defer o.release(ctx, t)
	if _, err := t.Up(ctx, rep, "postgres"); err != nil {
		return rep, err
	}
	db, err := t.Migrated(ctx, rep)
	if err != nil || db == nil {
		rep.Finish(t.Name() + "'s migrations do not apply to an empty database")
		return rep, err
	}
	// The API starts (seeding its accounts, hashing their passwords) while
	// the schema is checked: neither needs the other.
	started := make(chan target.Starting, 1)
	go func() { started <- t.Start(ctx, target.Newest, db) }()
	_, checkErr := target.CheckOwn(ctx, rep, t, "schema check", target.Newest, db)
	svc, err := (<-started).Report(rep, "api")
	if svc != nil {
		defer svc.Stop(context.WithoutCancel(ctx))
	}
	if err := errors.Join(checkErr, err); err != nil {
		return rep, err
	}
	if svc == nil {
		rep.Finish(t.Name() + " did not start")
		return rep, nil
	}
	// The browser loads the panel's sign-in page while the flow runs.
	br.preload(ctx, svc)
	if _, _, err := flowStep(ctx, rep, svc.Flow(db.URL)); err != nil {
		return rep, err
	}
	if ep, ok := t.(target.ErrorPather); ok {
		if err := ep.ErrorPath(ctx, rep); err != nil {
			return rep, err
		}
	}
	if _, err := panelStep(ctx, br, rep, "browser", svc); err != nil {
		return rep, err
	}
	rep.Finish(t.Name() + "'s model, its migrations and a freshly migrated database agree, and login, refresh, reuse detection and logout work against it")
	if !rep.Passed {
		rep.Verdict = "a check failed: see the steps marked FAIL"
	}
	return rep, nil
}
