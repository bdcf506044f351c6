package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/appydex/smoke/harness/backend"
	"github.com/appydex/smoke/harness/browser"
	"github.com/appydex/smoke/harness/docker"
	"github.com/appydex/smoke/harness/drift"
	"github.com/appydex/smoke/harness/live"
	"github.com/appydex/smoke/harness/pgenv"
	"github.com/appydex/smoke/harness/report"
	"github.com/appydex/smoke/redact"
	"github.com/appydex/smoke/schema"
)

// upStack is the step that starts a backend's world: its images (built if
// missing), a Docker network, PostgreSQL on it under the backend's alias.
// With br, the backend is told the admin panel's origin ({admin_origin}).
func upStack(ctx context.Context, o *options, rep *report.Report, br *browserRun) (*backend.Stack, error) {
	step := rep.Start("postgres")
	end := o.progress.begin(fmt.Sprintf("starting PostgreSQL for %s, on a Docker network as %s", o.backend.Name, o.backend.Database.Alias))
	stack, err := backend.Up(ctx, o.backend, o.pg)
	end()
	if err != nil {
		step.Fail("no PostgreSQL for the backend")
		return nil, fmt.Errorf("start %s's PostgreSQL: %w", o.backend.Name, err)
	}
	step.Pass("PostgreSQL %s (container), reachable by %s as %s", majorMinor(stack.Server.Version()), o.backend.Name, o.backend.Database.Alias)
	if br != nil {
		if stack.AdminOrigin, err = br.panelOrigin(); err != nil {
			return nil, errors.Join(err, stack.Close(context.WithoutCancel(ctx)))
		}
	}
	return stack, nil
}

// accountSignIn is the browser's sign-in as the description's admin.
func accountSignIn(desc *backend.Description) browser.SignIn {
	a := desc.Accounts.Admin
	return browser.SignIn{Login: a.Email, Password: a.Password, OTP: a.OTP}
}

// commandStep runs one of the backend's commands as a step; a command that
// fails fails the step with its output, and is returned as an error only
// when it could not run at all.
func commandStep(ctx context.Context, rep *report.Report, stack *backend.Stack, name, what, image string, cmd []string, db *pgenv.Database, extra backend.Vars) (bool, error) {
	step := rep.Start(name)
	out, err := stack.Run(ctx, what, image, cmd, db, extra)
	return recordCommand(step, what, image, cmd, out, err)
}

// recordCommand finishes step with how a command went.
func recordCommand(step *report.Step, what, image string, cmd []string, out docker.Output, err error) (bool, error) {
	var cmdErr *backend.CommandError
	switch {
	case errors.As(err, &cmdErr):
		step.Fail("%s exited %d", strings.Join(cmdErr.Argv, " "), cmdErr.ExitCode)
		for _, l := range strings.Split(cmdErr.Output, "\n") {
			step.Line("%s", l)
		}
		return false, nil
	case err != nil:
		step.Fail("%s could not run", what)
		return false, err
	}
	step.Pass("%s (%s)", strings.Join(cmd, " "), image)
	if s := strings.TrimSpace(out.Stdout); s != "" && len(s) < 400 {
		for _, l := range strings.Split(s, "\n") {
			step.Line("%s", l)
		}
	}
	return true, nil
}

// backendSchemaStep is the three-way check for a backend: its model (the
// create_model command in a scratch database), its migrations (the migrate
// command in another, unless migrations is already that snapshot) and
// live, plus the revision live records — which revisions finds, meanwhile
// — against the image's heads.
//
// inspect judges the comparisons against live in their context and finds
// what live holds beyond its schema (drift.Inspect); those findings are
// reported with the migration state.
func backendSchemaStep(ctx context.Context, rep *report.Report, stack *backend.Stack, name, image string, migrations, live *schema.Snapshot,
	inspect inspector, revisions func() (backend.Revisions, error)) (backend.Revisions, []drift.Comparison, []schema.Finding, error) {
	step := rep.Start(name)
	var model *schema.Snapshot
	var revs backend.Revisions
	var snapErr, revErr error
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		revs, revErr = revisions()
	}()
	if migrations == nil {
		model, migrations, snapErr = stack.Snapshots(ctx, image)
	} else {
		model, snapErr = stack.Model(ctx, image)
	}
	wg.Wait()
	if err := errors.Join(snapErr, revErr); err != nil {
		step.Fail("could not build the model's and the migrations' schemas, or read the revisions")
		var cmdErr *backend.CommandError
		if errors.As(err, &cmdErr) {
			for _, l := range strings.Split(cmdErr.Error(), "\n") {
				step.Line("%s", l)
			}
			return revs, nil, nil, nil
		}
		return revs, nil, nil, err
	}
	comparisons := drift.Compare(model, migrations, live)
	liveFindings, err := inspect(ctx, migrations, comparisons)
	if err != nil {
		step.Fail("could not inspect the database")
		return revs, nil, nil, err
	}
	state := revs.Findings(comparisons, stack.Desc.Commands.Migrate)
	current := strings.Join(revs.Current, ", ")
	if current == "" {
		current = "no revision"
	}
	reportCheck(step, rep.Gate(), fmt.Sprintf("the database is at %s; the image's heads: %s", current, strings.Join(revs.Heads, ", ")), append(state, liveFindings...), comparisons)
	return revs, comparisons, state, nil
}

// inspector is drift.Inspect of one live database: it judges comparisons
// against it in their context, and returns what it holds beyond its schema.
type inspector func(ctx context.Context, expected *schema.Snapshot, comparisons []drift.Comparison) ([]schema.Finding, error)

// inspectConn inspects the database behind conn; appRoles are the roles
// the application connects as (none: inferred). A backend's migration
// files are in its image: no text of them is read.
func inspectConn(conn *pgx.Conn, appRoles []string) inspector {
	return func(ctx context.Context, expected *schema.Snapshot, comparisons []drift.Comparison) ([]schema.Finding, error) {
		return drift.Inspect(ctx, conn, drift.Context{Expected: expected, AppRoles: appRoles}, comparisons)
	}
}

// inspectURL inspects the database at url, over a read-only connection.
func inspectURL(url string) inspector {
	return func(ctx context.Context, expected *schema.Snapshot, comparisons []drift.Comparison) ([]schema.Finding, error) {
		conn, err := live.Connect(ctx, url)
		if err != nil {
			return nil, err
		}
		defer conn.Close(context.WithoutCancel(ctx))
		return inspectConn(conn, nil)(ctx, expected, comparisons)
	}
}

// liveSnapshot reads db's schema over a read-only connection.
func liveSnapshot(ctx context.Context, url string) (*schema.Snapshot, error) {
	conn, err := live.Connect(ctx, url)
	if err != nil {
		return nil, err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	return drift.ReadLive(ctx, conn)
}

// backendRun is `smoke run --backend`: the backend's image migrates a fresh
// database with its own tool, its model and migrations are compared with
// it, and the flow runs against the backend in a container beside it.
func backendRun(ctx context.Context, o *options) (*report.Report, error) {
	rep := o.newReport("run")
	desc := o.backend
	br := startBrowser(ctx, o)
	defer br.close()
	stack, err := upStack(ctx, o, rep, br)
	if err != nil {
		return rep, err
	}
	defer stack.Close(context.WithoutCancel(ctx))
	// The migrations, once: the database they make is the migrations'
	// snapshot and the template of the run's own.
	step := rep.Start("migrate")
	template, migrations, err := stack.Migrated(ctx, desc.Image)
	if ok, err := recordCommand(step, "migrate", desc.Image, desc.Commands.Migrate, docker.Output{}, err); err != nil || !ok {
		rep.Finish(desc.Name + "'s migrations do not apply to an empty database")
		return rep, err
	}
	step.Line("into a template database; the run's database is a copy of it")
	db, err := stack.Server.Copy(ctx, template)
	if err != nil {
		return rep, err
	}
	live, err := liveSnapshot(ctx, db.URL)
	if err != nil {
		return rep, err
	}
	// The backend is seeded and started while the schema is checked: both
	// are mostly containers starting.
	started := make(chan *startup, 1)
	go func() { started <- startBackend(ctx, stack, desc.Image, db) }()
	_, _, _, schemaErr := backendSchemaStep(ctx, rep, stack, "schema check", desc.Image, migrations, live, inspectURL(db.URL),
		func() (backend.Revisions, error) { return stack.Revisions(ctx, desc.Image, db) })
	svc, err := (<-started).report(rep, stack, "backend")
	if err == nil {
		err = schemaErr
	}
	if err != nil || svc == nil {
		rep.Finish(desc.Name + " did not start")
		return rep, err
	}
	if _, err := flowStep(ctx, rep, desc.Flow(svc.URL, db.URL)); err != nil {
		return rep, err
	}
	if err := panelStep(ctx, br, rep, "browser", svc.URL, accountSignIn(desc)); err != nil {
		return rep, err
	}
	rep.Finish(fmt.Sprintf("%s's model, its migrations and a freshly migrated database agree, and login, refresh, reuse detection and logout work against it", desc.Name))
	if !rep.Passed {
		rep.Verdict = "a check failed: see the steps marked FAIL"
	}
	return rep, nil
}

// startup is seeding the development accounts and starting the backend,
// timed, to be reported as two steps when it is done.
type startup struct {
	image                          string
	seed                           docker.Output
	seedErr, svcErr                error
	seedAt, seedEnd, svcAt, svcEnd time.Time
	svc                            *backend.Service
}

// startBackend seeds db and starts the backend from image on it, both at
// once: the backend needs no accounts to start, only the flow does.
func startBackend(ctx context.Context, s *backend.Stack, image string, db *pgenv.Database) *startup {
	st := &startup{image: image, seedAt: time.Now(), svcAt: time.Now()}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		st.seed, st.seedErr = s.Run(ctx, "seed", image, s.Desc.Commands.Seed, db, nil)
		st.seedEnd = time.Now()
	}()
	st.svc, st.svcErr = s.Start(ctx, image, db)
	st.svcEnd = time.Now()
	wg.Wait()
	return st
}

// report adds the seed and the backend steps. A seed that fails, or a
// backend that never becomes healthy, fails its step (nil service, nil
// error); an error means a command could not run at all.
func (st *startup) report(rep *report.Report, stack *backend.Stack, name string) (*backend.Service, error) {
	ok, err := recordCommand(rep.Record("seed", st.seedAt, st.seedEnd), "seed", st.image, stack.Desc.Commands.Seed, st.seed, st.seedErr)
	if !ok || err != nil {
		return nil, err
	}
	step := rep.Record(name, st.svcAt, st.svcEnd)
	if st.svcErr != nil {
		step.Fail("%s did not become healthy", st.image)
		for _, l := range strings.Split(st.svcErr.Error(), "\n") {
			step.Line("%s", l)
		}
		return nil, nil
	}
	step.Pass("%s (%s) on %s", stack.Desc.Name, st.image, st.svc.URL)
	return st.svc, nil
}

// startService seeds db and starts the backend from image, as steps.
func startService(ctx context.Context, rep *report.Report, stack *backend.Stack, name, image string, db *pgenv.Database) (*backend.Service, error) {
	return startBackend(ctx, stack, image, db).report(rep, stack, name)
}

// backendRepro is `smoke repro --backend`: the incident's image on a
// database its own migrations made, a login that fails as users saw it,
// the revision it claims, the root cause, then the report's Option 1 — the
// fixed image's migrations — and the whole flow.
func backendRepro(ctx context.Context, o *options) (*report.Report, error) {
	rep := o.newReport("repro")
	desc := o.backend
	if desc.Incident.Image == "" {
		return rep, usageError{fmt.Sprintf("%s names no incident image (incident.image): nothing to reproduce", desc.File)}
	}
	br := startBrowser(ctx, o)
	defer br.close()
	stack, err := upStack(ctx, o, rep, br)
	if err != nil {
		return rep, err
	}
	defer stack.Close(context.WithoutCancel(ctx))
	db, err := stack.Database(ctx)
	if err != nil {
		return rep, err
	}
	incident := desc.Incident.Image
	if ok, err := commandStep(ctx, rep, stack, "incident database", "migrate", incident, desc.Commands.Migrate, db, nil); err != nil || !ok {
		rep.Finish("the incident did NOT reproduce: its migrations do not apply")
		return rep, err
	}
	svc, err := startService(ctx, rep, stack, "incident backend", incident, db)
	if err != nil || svc == nil {
		rep.Finish("the incident did NOT reproduce: the incident's backend did not start")
		return rep, err
	}

	// 1. The login answers what users saw, and the log says why.
	step := rep.Start("login fails")
	admin := desc.Accounts.Admin
	status, body, err := postLoginAs(ctx, svc.URL, admin.Email, admin.Password, admin.OTP)
	if err != nil {
		return rep, err
	}
	step.Line("$ curl -X POST %s/api/v1/auth/login -d '{\"email_or_phone\":\"%s\",\"password\":\"…\",\"otp\":\"%s\"}'", svc.URL, admin.Email, admin.OTP)
	step.Line("HTTP/1.1 %d %s", status, http.StatusText(status))
	step.Line("%s", body)
	var logLines []string
	for _, l := range strings.Split(svc.Logs(ctx), "\n") {
		if desc.Incident.Log != "" && strings.Contains(l, desc.Incident.Log) {
			logLines = append(logLines, strings.TrimSpace(l))
		}
	}
	for _, l := range logLines {
		step.Line("backend log: %s", redact.Secrets(l))
	}
	loginReproduced := status == 500 && body == incidentBody && len(logLines) > 0
	if loginReproduced {
		step.Pass("500 INTERNAL_ERROR, and the backend's log names the cause")
	} else {
		step.Fail("login answered %d, not the incident's 500 with %q in the backend's log", status, desc.Incident.Log)
	}

	// 1b. The admin panel, as the report's reproduction used it.
	panelReproduced, err := incidentStep(ctx, br, rep, "browser at the incident", svc.URL, accountSignIn(desc))
	if err != nil {
		return rep, err
	}

	// 2. The revision the database claims, as `alembic current` printed it.
	step = rep.Start("current revision")
	revisions, err := stack.Revisions(ctx, incident, db)
	if err != nil {
		return rep, err
	}
	step.Line("$ %s", strings.Join(desc.Commands.Current, " "))
	step.Line("%s", revisions.CurrentOutput)
	claimsHead := len(revisions.Current) > 0 && strings.Join(revisions.Current, ",") == strings.Join(revisions.Heads, ",")
	if claimsHead {
		step.Pass("the database is at %s, the newest revision the incident's image knows", strings.Join(revisions.Current, ", "))
	} else {
		step.Fail("the database is at %s, the image's heads are %s: not the incident's shape", strings.Join(revisions.Current, ", "), strings.Join(revisions.Heads, ", "))
	}

	// 3. The root cause: the model changed without a migration.
	live, err := liveSnapshot(ctx, db.URL)
	if err != nil {
		return rep, err
	}
	_, _, state, err := backendSchemaStep(ctx, rep, stack, "incident schema check", incident, nil, live, inspectURL(db.URL),
		func() (backend.Revisions, error) { return revisions, nil })
	if err != nil {
		return rep, err
	}
	rootCause := false
	for _, f := range state {
		rootCause = rootCause || f.Kind == backend.KindModelWithoutMigration
	}
	rep.Steps[len(rep.Steps)-1].Reproduced = true
	if rootCause {
		rep.Steps[len(rep.Steps)-1].Status = report.Pass // the finding is the reproduction
		rep.Steps[len(rep.Steps)-1].Summary = "the root cause: the model changed without a migration"
	}

	// 4. The fix, the report's Option 1: the fixed image's migrations, then
	// the service restarted from that image.
	if ok, err := commandStep(ctx, rep, stack, "fix", "migrate", desc.Image, desc.Commands.Migrate, db, nil); err != nil || !ok {
		rep.Finish("the incident reproduced, but the fix did NOT apply")
		return rep, err
	}
	if err := svc.Close(ctx); err != nil {
		return rep, err
	}
	if live, err = liveSnapshot(ctx, db.URL); err != nil {
		return rep, err
	}
	_, comparisons, state, err := backendSchemaStep(ctx, rep, stack, "schema after the fix", desc.Image, nil, live, inspectURL(db.URL),
		func() (backend.Revisions, error) { return stack.Revisions(ctx, desc.Image, db) })
	if err != nil {
		return rep, err
	}
	agree := rep.Gate().Failing(state) == 0
	for _, c := range comparisons {
		agree = agree && rep.Gate().Failing(c.Findings) == 0
	}
	fixed, err := startService(ctx, rep, stack, "fixed backend", desc.Image, db)
	if err != nil {
		return rep, err
	}
	flowPassed := false
	if fixed != nil {
		res, err := flowStep(ctx, rep, desc.Flow(fixed.URL, db.URL))
		if err != nil {
			return rep, err
		}
		flowPassed = res.Passed
		if err := panelStep(ctx, br, rep, "browser after the fix", fixed.URL, accountSignIn(desc)); err != nil {
			return rep, err
		}
		if last := rep.Steps[len(rep.Steps)-1]; last.Name == "browser after the fix" && last.Status == report.Fail {
			flowPassed = false
		}
	}
	switch {
	case !(loginReproduced && claimsHead && rootCause && panelReproduced):
		rep.Finish("the incident did NOT reproduce: see the steps marked FAIL")
	case agree && flowPassed:
		rep.Finish(fmt.Sprintf("the incident reproduced in %s — login answered 500, the database at the image's only head, the model ahead of every migration — and after the fixed image's migrations, login, refresh and reuse detection work", desc.Name))
	default:
		rep.Finish("the incident reproduced, but the fix did NOT verify: see the steps marked FAIL")
	}
	return rep, nil
}

// backendVerify is `smoke verify --backend`: the deployment's database,
// read-only, against the backend image's model and migrations (built in a
// throwaway PostgreSQL), and the revision it records against the image's
// heads; the flow against --api-url.
func backendVerify(ctx context.Context, o *options, live *pgx.Conn, rep *report.Report) error {
	desc := o.backend
	stack, err := upStack(ctx, o, rep, nil)
	if err != nil {
		return err
	}
	defer stack.Close(context.WithoutCancel(ctx))
	scratch, err := stack.Database(ctx)
	if err != nil {
		return err
	}
	current, err := desc.LiveRevision(ctx, live)
	if err != nil {
		return err
	}
	snapshot, err := drift.ReadLive(ctx, live)
	if err != nil {
		return err
	}
	_, _, _, err = backendSchemaStep(ctx, rep, stack, "schema check", desc.Image, nil, snapshot, inspectConn(live, o.appRoles), func() (backend.Revisions, error) {
		heads, err := stack.Heads(ctx, desc.Image, scratch)
		return backend.Revisions{Current: current, Heads: heads}, err
	})
	return err
}
