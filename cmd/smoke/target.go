package main

import (
	"context"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/appydex/smoke/harness/flow"
	"github.com/appydex/smoke/harness/pgenv"
	"github.com/appydex/smoke/harness/report"
)

// target is the backend a command judges, with what run, repro and verify
// need of it: the reference API in this process (referenceTarget), or one
// a backend.yaml describes, in containers beside PostgreSQL
// (describedTarget). Each command is written once, against this.
//
// A target's steps are reported by the target; what a command decides
// from them (a check that failed, the incident's root cause) comes back as
// values, never read back from the report.
type target interface {
	// name says what is judged, in verdicts: "the reference API", "fastapi".
	name() string
	// up starts the PostgreSQL the target's databases live on, as the step
	// name; close removes it and what else the target started.
	up(ctx context.Context, rep *report.Report, name string) (*report.Step, error)
	close(ctx context.Context)
	// migrated gives a run a database of its own at the newest migration,
	// copied from a template the migrations made (the step "migrate"); nil,
	// nil when they do not apply (the step says why).
	migrated(ctx context.Context, rep *report.Report) (*pgenv.Database, error)
	// database is a new, empty database.
	database(ctx context.Context) (*pgenv.Database, error)
	// schemaDatabase is a new database holding the schema of the target's
	// model or of its migrations (of is "model" or "migrations"), for
	// smoke diff; the caller drops it.
	schemaDatabase(ctx context.Context, of string) (*pgenv.Database, error)
	// migrate migrates db to the migrations of v, as the step name; false
	// when they do not apply (the step says why).
	migrate(ctx context.Context, rep *report.Report, name string, v version, db *pgenv.Database) (bool, error)
	// check is the three-way check — the model and the migrations of v
	// against the database db — as the step name.
	check(ctx context.Context, rep *report.Report, name string, v version, db liveDB) (*checked, error)
	// start starts the API of v on db and returns once it answers, or
	// failed; its steps are reported afterwards (starting.report), so a
	// command may start it while it checks the schema.
	start(ctx context.Context, v version, db *pgenv.Database) starting
	// paths are the API's endpoints, for the flow against a deployment.
	paths() flow.Paths
	// incident says what the incident left in the API's log (a line holds
	// every part), or why there is no incident to reproduce.
	incident() (logLine []string, err error)
	// evidence is the target's own evidence of the incident, as a step:
	// what its deployment claimed while every login failed. True when it
	// shows it.
	evidence(ctx context.Context, rep *report.Report, svc service, db *pgenv.Database) (bool, error)
}

// version is which of the target's code a step runs: the newest, or the
// incident's (its migrations stopped before the missing column; for a
// described backend, its incident image).
type version int

const (
	newest version = iota
	atIncident
)

// liveDB is a database a check reads: a read-only connection, and — when
// the harness made the database — the database itself, which the target's
// own tools may run against. A deployment's database (verify) has no db:
// nothing the target runs touches it.
type liveDB struct {
	conn     *pgx.Conn
	db       *pgenv.Database
	appRoles []string // the roles the application connects as; nil: inferred
}

// checked is what a schema check found, as a command decides on it.
type checked struct {
	// passed: nothing the report's gate fails on.
	passed bool
	// claimsNewest: the database records the newest migration its files
	// (or image) know, clean.
	claimsNewest bool
	// unmigrated is what the model has that no migration creates: tables
	// and columns (constraints when that is all), as "refresh_tokens.token_hash".
	unmigrated []string
	step       *report.Step
}

// rootCause says whether the check found the incident's root cause: a
// database that claims the newest migration while the model has what no
// migration creates.
func (c *checked) rootCause() bool { return c.claimsNewest && len(c.unmigrated) > 0 }

// service is a running API.
type service interface {
	url() string
	// flow is the login flow against it, on its database at databaseURL
	// ("" leaves the row checks out): its accounts, its endpoints.
	flow(databaseURL string) flow.Config
	// log is what it logged so far.
	log(ctx context.Context) string
	stop(ctx context.Context) error
}

// starting is an API that was started: report adds its steps, named name,
// and returns it; nil (and a failed step) when it did not start, and an
// error only when the harness could not start it at all.
type starting interface {
	report(rep *report.Report, name string) (service, error)
}

// newTarget is the target o names: --backend's, or the reference API. br
// is the browser run whose panel calls the API (its origin is allowed by
// the API's CORS); nil when no panel of the harness's calls it.
func newTarget(o *options, br *browserRun) target {
	if o.backend != nil {
		return &describedTarget{o: o, desc: o.backend, br: br, heads: map[string][]string{}}
	}
	return &referenceTarget{o: o, br: br}
}

// logLines are the lines of logs that hold every part of want.
func logLines(logs string, want []string) []string {
	var out []string
	if len(want) == 0 {
		return nil
	}
	for _, l := range strings.Split(logs, "\n") {
		all := true
		for _, w := range want {
			all = all && strings.Contains(l, w)
		}
		if all {
			out = append(out, strings.TrimSpace(l))
		}
	}
	return out
}
