package target

import (
	"context"
	"fmt"
	"strings"

	"github.com/appydex/smoke/harness/drift"
	"github.com/appydex/smoke/harness/pgenv"
	"github.com/appydex/smoke/harness/report"
	"github.com/appydex/smoke/schema"
)

// startPostgres is the step that gets the harness its PostgreSQL: a kept
// one attached to (or started and kept) when env.Reuse says so.
func startPostgres(ctx context.Context, env *Env, rep *report.Report, name string) (*report.Step, *pgenv.Server, error) {
	step := rep.Start(name)
	var srv *pgenv.Server
	var err error
	if env.Reuse.Keep {
		end := env.begin(fmt.Sprintf("attaching to the kept PostgreSQL, or starting it (%s source)", env.PG.Chosen()))
		srv, err = pgenv.Attach(ctx, env.PG, env.Reuse)
		end()
	} else {
		end := env.begin(fmt.Sprintf("starting PostgreSQL (%s source)", env.PG.Chosen()))
		srv, err = pgenv.Start(ctx, env.PG)
		end()
	}
	if err != nil {
		step.Fail("no PostgreSQL")
		return step, nil, fmt.Errorf("start PostgreSQL: %w", err)
	}
	version := pgenv.MajorMinor(srv.Version())
	if srv.Shared() {
		step.Pass("PostgreSQL %s (%s source), kept for the next run until unused for %s (smoke down stops it)", version, srv.Source(), env.Reuse.Idle)
	} else {
		step.Pass("PostgreSQL %s (%s source)", version, srv.Source())
	}
	if env.Verbose {
		step.Line("%s", srv)
	}
	return step, srv, nil
}

// reportCheck reports a three-way check in step: the migration state, each
// comparison, every finding; it fails the step on what gate fails, and
// says whether it passed.
func reportCheck(step *report.Step, gate schema.Gate, state string, stateFindings []schema.Finding, comparisons []drift.Comparison) bool {
	step.Line("migration state: %s", state)
	findings := append([]schema.Finding(nil), stateFindings...)
	for i, c := range comparisons {
		counts := schema.Count(c.Findings)
		if earlier := sameAs(comparisons[:i], c); earlier != nil {
			// The model and the migrations agree: what the database shows
			// against one it shows against the other. Said once.
			step.Line("%s vs %s: as %s vs %s", c.Want, c.Got, earlier.Want, earlier.Got)
			continue
		}
		findings = append(findings, c.Findings...)
		switch {
		case len(c.Findings) == 0:
			step.Line("%s vs %s: the same schema", c.Want, c.Got)
		case gate.Failing(c.Findings) == 0:
			step.Line("%s vs %s: the same, but for %s that fail nothing", c.Want, c.Got, counts)
		default:
			step.Line("%s vs %s: %s", c.Want, c.Got, counts)
		}
	}
	step.Findings = findings
	counts := schema.Count(findings)
	if failing := gate.Failing(findings); failing > 0 {
		failed := schema.Counts{Errors: counts.Errors}
		if gate.Strict {
			failed.Warnings = counts.Warnings
		}
		step.Fail("%s among the model, the migrations and the database", failed)
		return false
	}
	if counts.Total() > 0 {
		step.Pass("the model, the migrations and the database agree, but for %s that fail nothing", counts)
	} else {
		step.Pass("the model, the migrations and the database agree")
	}
	return true
}

// sameAs returns the earlier comparison of the same database that found
// exactly what c found (its expected side named otherwise); nil when none
// did, or when c found nothing.
func sameAs(earlier []drift.Comparison, c drift.Comparison) *drift.Comparison {
	if len(c.Findings) == 0 {
		return nil
	}
	key := func(f schema.Finding) string {
		return strings.Join([]string{string(f.ObjectType), f.Object, string(f.Kind), f.Rule, f.Want, f.Got, f.Detail, f.Fix}, "\x00")
	}
	for i := range earlier {
		e := &earlier[i]
		if e.Got != c.Got || len(e.Findings) != len(c.Findings) {
			continue
		}
		same := true
		for j := range c.Findings {
			same = same && key(e.Findings[j]) == key(c.Findings[j])
		}
		if same {
			return e
		}
	}
	return nil
}

// describeState says what the live database reports of its migrations.
func describeState(st *drift.State) string {
	var parts []string
	if st.Recorded {
		clean := "clean"
		if st.Dirty {
			clean = "dirty"
		}
		parts = append(parts, fmt.Sprintf("schema_migrations says version %d, %s (the newest file is %d)", st.Version, clean, st.Head))
	} else {
		parts = append(parts, fmt.Sprintf("no golang-migrate version (the newest file is %d)", st.Head))
	}
	if len(st.Alembic) > 0 {
		parts = append(parts, "alembic_version "+strings.Join(st.Alembic, ","))
	}
	switch {
	case !st.ChecksumsRecorded:
		parts = append(parts, "no checksums recorded")
	case len(st.Edited) == 0:
		parts = append(parts, "no applied file edited since")
	default:
		parts = append(parts, fmt.Sprintf("%d applied file(s) edited since", len(st.Edited)))
	}
	return strings.Join(parts, "; ")
}
