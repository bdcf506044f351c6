// Package target is the backend a smoke command judges, with what the
// command needs of it: a PostgreSQL for its databases, a database at its
// newest migrations or at the incident's, the three-way schema check, its
// API started, the flow's configuration, and the incident's evidence.
//
// There are two targets: the reference API in this process (Reference),
// and a backend a backend.yaml describes, in containers beside PostgreSQL
// (Described). `smoke run`, `repro`, `verify` and `diff` are written once,
// against Target.
//
// A target reports its steps into the command's report; what a command
// decides from them (a check that failed, the incident's root cause) comes
// back as values, never read back from the report.
package target

import (
	"context"
	"errors"
	"io"

	"github.com/jackc/pgx/v5"

	"github.com/appydex/smoke/app/auth"
	"github.com/appydex/smoke/harness/backend"
	"github.com/appydex/smoke/harness/flow"
	"github.com/appydex/smoke/harness/live"
	"github.com/appydex/smoke/harness/pgenv"
	"github.com/appydex/smoke/harness/report"
)

// Target is a backend, as a command judges it.
type Target interface {
	// Name says what is judged, in verdicts: "the reference API", "fastapi".
	Name() string
	// Up starts the PostgreSQL the target's databases live on, as the step
	// name; Close removes it and what else the target started, and says
	// what it could not remove.
	Up(ctx context.Context, rep *report.Report, name string) (*report.Step, error)
	Close(ctx context.Context) error
	// Migrated gives a run a database of its own at the newest migration,
	// copied from a template the migrations made (the step "migrate"); nil,
	// nil when they do not apply (the step says why).
	Migrated(ctx context.Context, rep *report.Report) (*pgenv.Database, error)
	// Database is a new, empty database.
	Database(ctx context.Context) (*pgenv.Database, error)
	// SchemaDatabase is a new database holding the schema of the target's
	// model or of its migrations (of is "model" or "migrations"), for
	// smoke diff; the caller drops it.
	SchemaDatabase(ctx context.Context, of string) (*pgenv.Database, error)
	// Migrate migrates db to the migrations of v, as the step name; false
	// when they do not apply (the step says why).
	Migrate(ctx context.Context, rep *report.Report, name string, v Version, db *pgenv.Database) (bool, error)
	// Check is the three-way check — the model and the migrations of v
	// against the database db — as the step name.
	Check(ctx context.Context, rep *report.Report, name string, v Version, db LiveDB) (*Checked, error)
	// Start starts the API of v on db and returns once it answers, or
	// failed; its steps are reported afterwards (Starting.Report), so a
	// command may start it while it checks the schema.
	Start(ctx context.Context, v Version, db *pgenv.Database) Starting
	// Paths are the API's endpoints, for the flow against a deployment.
	Paths() flow.Paths
	// Incident says what the incident left in the API's log (a line holds
	// every part), or why there is no incident to reproduce
	// (ErrNoIncident).
	Incident() (logLine []string, err error)
	// Evidence is the target's own evidence of the incident, as a step:
	// what its deployment claimed while every login failed. True when it
	// shows it.
	Evidence(ctx context.Context, rep *report.Report, svc Service, db *pgenv.Database) (bool, error)
}

// ErrNoIncident is why a target has no incident to reproduce: its
// description names no incident image.
var ErrNoIncident = errors.New("nothing to reproduce")

// Env is what a target takes from the command that runs it.
type Env struct {
	// PG is where the harness's own PostgreSQL comes from; Reuse keeps it
	// for the next run. A described backend's PostgreSQL is a container
	// on its network, from PG's image; Reuse does not apply to it.
	PG    pgenv.Config
	Reuse pgenv.ShareOptions
	// Verbose adds the server's details to the PostgreSQL step.
	Verbose bool
	// Progress shows that a slow step is under way; the returned func is
	// called when it ends. nil: nothing is shown.
	Progress func(what string) (end func())
	// BuildOutput takes what a described backend's build command prints
	// while it builds, line by line, to show how far along
	// it is; nil: nowhere (a failed build's message still has its end).
	BuildOutput io.Writer
	// NoBuild, when not "", is why a described backend's build command is
	// not run before the run (--no-build): its images are used as they
	// are. "": it runs, and rebuilds what changed.
	NoBuild string
	// PanelOrigin is the origin of the admin panel that calls the API from
	// a browser, which the API must allow (CORS); nil or "": none.
	PanelOrigin func() (string, error)
	// Passwords are the argon2id costs the reference API hashes its
	// passwords with; zero is production's (auth.OWASP). Tests set them
	// cheap: a test setting, never a command's.
	Passwords auth.Argon2Params
}

// begin is Progress, or nothing.
func (e *Env) begin(what string) (end func()) {
	if e.Progress == nil {
		return func() {}
	}
	return e.Progress(what)
}

// panelOrigin is PanelOrigin's answer, or "" when there is no panel.
func (e *Env) panelOrigin() (string, error) {
	if e.PanelOrigin == nil {
		return "", nil
	}
	return e.PanelOrigin()
}

// New is the target desc describes, or the reference API when desc is nil.
func New(desc *backend.Description, env Env) Target {
	if desc != nil {
		return Described(desc, env)
	}
	return Reference(env)
}

// Version is which of the target's code a step runs: the newest, or the
// incident's (its migrations stopped before the missing column; for a
// described backend, its incident image).
type Version int

const (
	Newest Version = iota
	AtIncident
)

// LiveDB is a database a check reads: a read-only connection, and — when
// the harness made the database — the database itself, which the target's
// own tools may run against. A deployment's database (verify) has no DB:
// nothing the target runs touches it.
type LiveDB struct {
	Conn     *pgx.Conn
	DB       *pgenv.Database
	AppRoles []string // the roles the application connects as; nil: inferred
}

// Checked is what a schema check found, as a command decides on it.
type Checked struct {
	// Passed: nothing the report's gate fails on.
	Passed bool
	// ClaimsNewest: the database records the newest migration its files
	// (or image) know, clean.
	ClaimsNewest bool
	// Unmigrated is what the model has that no migration creates: tables
	// and columns (constraints when that is all), as "refresh_tokens.token_hash".
	Unmigrated []string
	// Step is the check's step, for a command to finish otherwise (repro
	// marks its findings as what the incident is).
	Step *report.Step
}

// RootCause says whether the check found the incident's root cause: a
// database that claims the newest migration while the model has what no
// migration creates.
func (c *Checked) RootCause() bool { return c.ClaimsNewest && len(c.Unmigrated) > 0 }

// CheckOwn checks a database the harness made, db, over a read-only
// connection of its own: t's check of v, as the step name.
func CheckOwn(ctx context.Context, rep *report.Report, t Target, name string, v Version, db *pgenv.Database) (*Checked, error) {
	conn, err := live.Connect(ctx, db.URL)
	if err != nil {
		return nil, err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	return t.Check(ctx, rep, name, v, LiveDB{Conn: conn, DB: db})
}

// Service is a running API.
type Service interface {
	URL() string
	// Flow is the login flow against it, on its database at databaseURL
	// ("" leaves the row checks out): its accounts, its endpoints.
	Flow(databaseURL string) flow.Config
	// Log is what it logged so far.
	Log(ctx context.Context) string
	Stop(ctx context.Context) error
}

// ErrorPather is a target whose error path a run proves beside its flow
// (the described backends'): its 500s must be the bare envelope.
type ErrorPather interface {
	ErrorPath(ctx context.Context, rep *report.Report) error
}

// Starting is an API that was started: Report adds its steps, named name,
// and returns it; nil (and a failed step) when it did not start, and an
// error only when the harness could not start it at all.
type Starting interface {
	Report(rep *report.Report, name string) (Service, error)
}
