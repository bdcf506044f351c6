package main

import (
	"context"
	"errors"

	"github.com/appydex/smoke/harness/report"
)

// runCommand is `smoke run`: a database migrated from nothing, the model,
// the migrations and it compared, then the login flow and the admin
// panel's sign-in against the API on it.
func runCommand(ctx context.Context, o *options) (*report.Report, error) {
	rep := o.newReport("run")
	br := startBrowser(ctx, o)
	defer br.close()
	t := newTarget(o, br)
	defer t.close(context.WithoutCancel(ctx))
	if _, err := t.up(ctx, rep, "postgres"); err != nil {
		return rep, err
	}
	db, err := t.migrated(ctx, rep)
	if err != nil || db == nil {
		rep.Finish(t.name() + "'s migrations do not apply to an empty database")
		return rep, err
	}
	// The API starts (seeding its accounts, hashing their passwords) while
	// the schema is checked: neither needs the other.
	started := make(chan starting, 1)
	go func() { started <- t.start(ctx, newest, db) }()
	_, checkErr := checkOwn(ctx, rep, t, "schema check", newest, db)
	svc, err := (<-started).report(rep, "api")
	if svc != nil {
		defer svc.stop(context.WithoutCancel(ctx))
	}
	if err := errors.Join(checkErr, err); err != nil {
		return rep, err
	}
	if svc == nil {
		rep.Finish(t.name() + " did not start")
		return rep, nil
	}
	if _, _, err := flowStep(ctx, rep, svc.flow(db.URL)); err != nil {
		return rep, err
	}
	if _, err := panelStep(ctx, br, rep, "browser", svc); err != nil {
		return rep, err
	}
	rep.Finish(t.name() + "'s model, its migrations and a freshly migrated database agree, and login, refresh, reuse detection and logout work against it")
	if !rep.Passed {
		rep.Verdict = "a check failed: see the steps marked FAIL"
	}
	return rep, nil
}
