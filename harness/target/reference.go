package target

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"strings"
	"time"

	"github.com/appydex/smoke/app/apiserver"
	"github.com/appydex/smoke/app/tables"
	"github.com/appydex/smoke/harness/drift"
	"github.com/appydex/smoke/harness/flow"
	"github.com/appydex/smoke/harness/migrator"
	"github.com/appydex/smoke/harness/pgenv"
	"github.com/appydex/smoke/harness/reference"
	"github.com/appydex/smoke/harness/report"
	"github.com/appydex/smoke/migrations"
)

// migrationsDir names the embedded migrations in messages.
const migrationsDir = migrations.Dir

// Reference is the reference API as a target: run in this process on a
// database of the harness's PostgreSQL (env.PG, kept with env.Reuse), with
// this checkout's migrations and model (app/tables).
func Reference(env Env) Target { return &referenceTarget{env: env} }

type referenceTarget struct {
	env Env
	srv *pgenv.Server
}

func (t *referenceTarget) Name() string { return "the reference API" }

func (t *referenceTarget) Up(ctx context.Context, rep *report.Report, name string) (step *report.Step, err error) {
	step, t.srv, err = startPostgres(ctx, &t.env, rep, name)
	return step, err
}

func (t *referenceTarget) Close(ctx context.Context) error {
	if t.srv == nil {
		return nil
	}
	if err := t.srv.Close(ctx); err != nil {
		return fmt.Errorf("the harness's PostgreSQL: %w", err)
	}
	return nil
}

// files are the migrations of v: at the incident, those up to its head
// (000003_add_service_type_requests_table).
func (t *referenceTarget) files(v Version) fs.FS {
	if v == AtIncident {
		return migrator.Until(migrations.FS, migrations.IncidentHead)
	}
	return migrations.FS
}

func (t *referenceTarget) Migrated(ctx context.Context, rep *report.Report) (*pgenv.Database, error) {
	step := rep.Start("migrate")
	tpl, err := t.srv.Template(ctx, migrations.FS, migrationsDir)
	if err != nil {
		step.Fail("the migrations do not apply")
		step.Line("%v", err)
		return nil, nil
	}
	files, err := migrator.ReadFiles(migrations.FS, migrationsDir)
	if err != nil {
		return nil, err
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
		return nil, err
	}
	step.Pass("a database of its own for this run")
	return db, nil
}

func (t *referenceTarget) Database(ctx context.Context) (*pgenv.Database, error) {
	return t.srv.NewDatabase(ctx)
}

func (t *referenceTarget) SchemaDatabase(ctx context.Context, of string) (*pgenv.Database, error) {
	if of == "model" {
		return drift.ModelDatabase(ctx, t.srv, tables.Schema)
	}
	return drift.MigrationsDatabase(ctx, t.srv, migrations.FS, migrationsDir)
}

func (t *referenceTarget) Migrate(ctx context.Context, rep *report.Report, name string, v Version, db *pgenv.Database) (bool, error) {
	step := rep.Start(name)
	mg, err := migrator.New(db.URL, t.files(v), migrationsDir)
	if err != nil {
		return false, err
	}
	defer mg.Close()
	before, _, err := mg.Version()
	if err != nil {
		return false, err
	}
	err = mg.Up(ctx)
	after, dirty, verr := mg.Version()
	if err := errors.Join(err, verr); err != nil {
		step.Fail("the migrations do not apply")
		step.Line("%v", err)
		return false, nil
	}
	var applied []string
	for _, f := range mg.Files().List {
		if f.Version > before && f.Version <= after {
			applied = append(applied, f.Up)
		}
	}
	step.Pass("applied %s: schema_migrations says %d, dirty %t", strings.Join(applied, ", "), after, dirty)
	return true, nil
}

func (t *referenceTarget) Check(ctx context.Context, rep *report.Report, name string, v Version, db LiveDB) (*Checked, error) {
	step := rep.Start(name)
	check, err := drift.Check(ctx, drift.Options{Server: t.srv, Model: tables.Schema, Migrations: t.files(v), Dir: migrationsDir,
		Live: db.Conn, AppRoles: db.AppRoles})
	if err != nil {
		step.Fail("could not compare")
		return nil, fmt.Errorf("check the schema: %w", err)
	}
	passed := reportCheck(step, rep.Gate(), describeState(check.State), append(check.StateFindings, check.LiveFindings...), check.Comparisons)
	if len(check.Reused) > 0 {
		step.Line("%s: as an earlier run on this kept server read them (the same files, server and smoke build); the database read now",
			strings.Join(check.Reused, " and "))
	}
	st := check.State
	return &Checked{Passed: passed, ClaimsNewest: st.Recorded && !st.Dirty && st.Version == st.Head,
		Unmigrated: drift.Unmigrated(check.Comparisons), Step: step}, nil
}

func (t *referenceTarget) Start(ctx context.Context, _ Version, db *pgenv.Database) Starting {
	s := &referenceStart{logs: &apiserver.LogBuffer{}, at: time.Now()}
	var origins []string
	origin, err := t.env.panelOrigin()
	if origin != "" {
		origins = []string{origin}
	}
	if s.err = err; err == nil {
		s.api, s.err = reference.Start(ctx, reference.Config{DatabaseURL: db.URL, Log: s.logs, CORSOrigins: origins, PasswordParams: t.env.Passwords})
	}
	s.end = time.Now()
	return s
}

func (t *referenceTarget) Paths() flow.Paths { return flow.DefaultPaths() }

func (t *referenceTarget) Incident() ([]string, error) {
	return []string{`"level":"ERROR"`, `column \"token_hash\" of relation \"refresh_tokens\" does not exist`}, nil
}

// evidence is the reference API's readiness at the incident: a probe that
// answered 200 there would have sent traffic to an API whose every login
// fails.
func (t *referenceTarget) Evidence(ctx context.Context, rep *report.Report, svc Service, _ *pgenv.Database) (bool, error) {
	step := rep.Start("readiness")
	status, body, err := get(ctx, svc.URL()+t.Paths().Readyz)
	if err != nil {
		return false, err
	}
	step.Line("GET %s → %d %s", t.Paths().Readyz, status, body)
	if status == http.StatusServiceUnavailable && strings.Contains(body, "SCHEMA_DRIFT") && strings.Contains(body, "refresh_tokens.token_hash") {
		step.Pass("503 SCHEMA_DRIFT naming refresh_tokens.token_hash: not ready, so no traffic")
		return true, nil
	}
	step.Fail("/readyz answered %d without naming refresh_tokens.token_hash: readiness does not cover the schema", status)
	return false, nil
}

// referenceStart is the reference API, started (or not), with its log.
type referenceStart struct {
	api     *reference.API
	logs    *apiserver.LogBuffer
	err     error
	at, end time.Time
}

func (s *referenceStart) Report(rep *report.Report, name string) (Service, error) {
	step := rep.Record(name, s.at, s.end)
	if s.err != nil {
		step.Fail("the reference API did not start")
		return nil, fmt.Errorf("start the reference API: %w", s.err)
	}
	step.Pass("the reference API on %s, development admin and a disabled account seeded", s.api.URL)
	return referenceService{s.api, s.logs}, nil
}

// referenceService is the reference API running in this process.
type referenceService struct {
	api  *reference.API
	logs *apiserver.LogBuffer
}

func (s referenceService) URL() string                         { return s.api.URL }
func (s referenceService) Flow(databaseURL string) flow.Config { return s.api.Flow(databaseURL) }
func (s referenceService) Log(context.Context) string          { return s.logs.String() }

func (s referenceService) Stop(context.Context) error {
	s.api.Stop()
	return nil
}

// get asks url and returns the answer's status and its body, trimmed.
func get(ctx context.Context, url string) (int, string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, "", err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, "", fmt.Errorf("GET %s: %w", req.URL.Path, err)
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	return resp.StatusCode, strings.TrimSpace(string(out)), err
}
