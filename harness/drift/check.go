package drift

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"sync"

	"github.com/jackc/pgx/v5"

	"github.com/appydex/smoke/harness/pgenv"
	"github.com/appydex/smoke/schema"
	"github.com/appydex/smoke/schema/model"
)

// Options says what Check compares.
type Options struct {
	// Server gives the scratch databases the model and the migrations are
	// turned into snapshots on.
	Server *pgenv.Server
	Model  model.Schema
	// Migrations holds the migration files; Dir names their folder.
	Migrations fs.FS
	Dir        string
	// Live, when set, is the database to check, on a read-only connection
	// (live.Connect). Without it only the model and the migrations are compared.
	Live *pgx.Conn
	// AppRoles are the roles the application connects as to Live; empty:
	// every role with LOGIN that owns, or may write, its tables.
	AppRoles []string
}

// Comparison is one pair of sources compared.
type Comparison struct {
	Want     string           `json:"want"`
	Got      string           `json:"got"`
	Findings []schema.Finding `json:"findings"`
}

// Report is the outcome of Check.
type Report struct {
	// State is the live database's migration state; nil without one.
	State *State `json:"migration_state,omitempty"`
	// StateFindings are the problems State shows.
	StateFindings []schema.Finding `json:"migration_findings"`
	// LiveFindings are what the application and its next migration would
	// meet that no comparison of schemas shows (Inspect): a table shadowed
	// on the search_path, an owner the next migration cannot act as, a
	// setting that makes every write fail.
	LiveFindings []schema.Finding `json:"live_findings,omitempty"`
	// Comparisons: model vs migrations, then, with a live database,
	// migrations vs live and model vs live.
	Comparisons []Comparison `json:"comparisons"`
	// Reused names the snapshots ("model", "migrations") an earlier run on
	// this kept server made of exactly these inputs, read back instead of
	// made again. The live database is read every time.
	Reused []string `json:"reused_snapshots,omitempty"`
}

// Findings lists every finding of the report: the migration state first.
func (r *Report) Findings() []schema.Finding {
	all := append(append([]schema.Finding(nil), r.StateFindings...), r.LiveFindings...)
	for _, c := range r.Comparisons {
		all = append(all, c.Findings...)
	}
	return all
}

// Check compares the model with the migrations (CI: a model changed without
// a migration) and, given a live database, both with it (before a deploy:
// a database that claims its newest migration but differs), and reads the
// live database's migration state.
//
// The model's and the migrations' snapshots are made at once, each in a
// scratch database of its own, while the live database is read. On a kept
// server an earlier run's snapshots of the same inputs are read back
// instead (Report.Reused).
func Check(ctx context.Context, opts Options) (*Report, error) {
	var fromModel, fromMigrations *schema.Snapshot
	var modelErr, migrationsErr error
	var wg sync.WaitGroup
	wg.Add(2)
	var modelReused, migrationsReused bool
	go func() {
		defer wg.Done()
		fromModel, modelReused, modelErr = modelSnapshot(ctx, opts.Server, opts.Model)
	}()
	go func() {
		defer wg.Done()
		fromMigrations, migrationsReused, migrationsErr = migrationsSnapshot(ctx, opts.Server, opts.Migrations, opts.Dir)
		if migrationsErr != nil {
			migrationsErr = fmt.Errorf("apply %s to a scratch database: %w", opts.Dir, migrationsErr)
		}
	}()
	r := &Report{StateFindings: []schema.Finding{}}
	var live *schema.Snapshot
	var liveErr error
	if opts.Live != nil { // one connection: read on this goroutine, one query at a time
		if live, liveErr = ReadLive(ctx, opts.Live); liveErr == nil {
			r.State, liveErr = ReadState(ctx, opts.Live, opts.Migrations, opts.Dir)
		}
	}
	wg.Wait()
	if err := errors.Join(modelErr, migrationsErr, liveErr); err != nil {
		return nil, err
	}
	if modelReused {
		r.Reused = append(r.Reused, "model")
	}
	if migrationsReused {
		r.Reused = append(r.Reused, "migrations")
	}
	if opts.Live == nil {
		r.Comparisons = Compare(fromModel, fromMigrations, nil)
		return r, nil
	}
	lr, err := CheckLive(ctx, opts.Live, LiveOptions{Model: fromModel, Migrations: fromMigrations, FS: opts.Migrations, Dir: opts.Dir,
		AppRoles: opts.AppRoles, live: live, state: r.State})
	if err != nil {
		return nil, err
	}
	lr.Reused = r.Reused
	lr.Comparisons = append([]Comparison{compare(fromModel, fromMigrations)}, lr.Comparisons...)
	return lr, nil
}

// LiveOptions says what CheckLive checks a live database against.
type LiveOptions struct {
	// Migrations is what the migrations produce; Model, when set, what the
	// model declares.
	Model, Migrations *schema.Snapshot
	// FS holds the migration files, Dir names their folder: the live
	// database's migration state is read against them, and their text
	// is context for judging.
	FS  fs.FS
	Dir string
	// AppRoles are as Options'.
	AppRoles []string

	live  *schema.Snapshot // read already (Check reads it beside the scratch databases)
	state *State
}

// CheckLive is the pre-deploy check of the live database behind conn (a
// read-only connection): its migration state, its schema against what the
// migrations produce (and the model, when given), each difference judged
// in its context, and what it holds beyond its schema (Inspect). The
// report's comparisons are migrations vs live, then model vs live.
func CheckLive(ctx context.Context, conn *pgx.Conn, o LiveOptions) (*Report, error) {
	var err error
	live, state := o.live, o.state
	if live == nil {
		if live, err = ReadLive(ctx, conn); err != nil {
			return nil, err
		}
	}
	if state == nil {
		if state, err = ReadState(ctx, conn, o.FS, o.Dir); err != nil {
			return nil, err
		}
	}
	r := &Report{State: state, Comparisons: []Comparison{compare(o.Migrations, live)}}
	if o.Model != nil {
		r.Comparisons = append(r.Comparisons, compare(o.Model, live))
	}
	text, err := ReadMigrationText(o.FS, o.Dir, state.Applied())
	if err != nil {
		return nil, err
	}
	if r.LiveFindings, err = Inspect(ctx, conn, Context{Expected: o.Migrations, Text: text, AppRoles: o.AppRoles}, r.Comparisons); err != nil {
		return nil, err
	}
	r.StateFindings = state.Findings(hasError(r.Comparisons[0].Findings))
	if r.StateFindings == nil {
		r.StateFindings = []schema.Finding{}
	}
	return r, nil
}

// TableNames are the names of a snapshot's tables in public: those the
// application names without a schema.
func TableNames(s *schema.Snapshot) []string {
	var out []string
	for _, t := range s.Tables {
		if t.Schema == "public" {
			out = append(out, t.Name)
		}
	}
	slices.Sort(out)
	return out
}

// Compare is the three-way comparison of snapshots: model vs migrations
// and, when live is not nil, migrations vs live and model vs live, in that
// order. Any backend's snapshots compare the same way.
func Compare(model, migrations, live *schema.Snapshot) []Comparison {
	out := []Comparison{compare(model, migrations)}
	if live != nil {
		out = append(out, compare(migrations, live), compare(model, live))
	}
	return out
}

func compare(want, got *schema.Snapshot) Comparison {
	findings := schema.Diff(want, got)
	if findings == nil {
		findings = []schema.Finding{}
	}
	return Comparison{Want: want.Source, Got: got.Source, Findings: findings}
}

// ReadLive reads a deployment's public schema over conn, leaving out the
// grants to the role it reads as: a deployment grants its checking role
// SELECT (so the flow may read refresh_tokens), and that is how the check
// reads, not a difference from the migrations.
func ReadLive(ctx context.Context, conn *pgx.Conn) (*schema.Snapshot, error) {
	return ReadLiveSchemas(ctx, conn, schema.Filter{Include: []string{"public"}}, "live")
}

// ReadLiveSchemas is ReadLive of the schemas filter picks, named source.
func ReadLiveSchemas(ctx context.Context, conn *pgx.Conn, filter schema.Filter, source string) (*schema.Snapshot, error) {
	snap, err := schema.ReadSchemas(ctx, conn, filter, source)
	if err != nil {
		return nil, err
	}
	var role string
	if err := conn.QueryRow(ctx, "SELECT pg_catalog.quote_ident(current_user)").Scan(&role); err != nil {
		return nil, fmt.Errorf("read the session's role: %w", err)
	}
	snap.WithoutGrantsTo(role)
	return snap, nil
}

// hasError reports whether findings hold an error: the migration state
// claims the newest migration falsely only then.
func hasError(findings []schema.Finding) bool {
	return schema.Worst(findings) == schema.Error
}

// Unmigrated is what the model has that no migration creates, by
// comparisons as Compare orders them (model vs migrations first): the
// tables and columns missing by an error, or — when those are all there —
// the other objects, each named exactly (unmigratedName). Nil when the
// migrations create all of the model.
func Unmigrated(comparisons []Comparison) []string {
	if len(comparisons) == 0 {
		return nil
	}
	var out []string
	for _, tablesAndColumns := range []bool{true, false} {
		for _, f := range comparisons[0].Findings {
			if f.Kind == schema.Missing && f.Severity == schema.Error && (f.ObjectType == schema.ObjectTable || f.ObjectType == schema.ObjectColumn) == tablesAndColumns {
				out = append(out, unmigratedName(f))
			}
		}
		if len(out) > 0 {
			return out
		}
	}
	return nil
}

// unmigratedName names what a finding says the migrations lack, for a
// root cause: a table or column by its name (refresh_tokens.token_hash);
// a part of an object by the part and its object (the label 'cancelled'
// of the enum service_type_request_status: a migration creates the enum,
// none the label); anything else by its kind and name (the index
// users_email_idx).
func unmigratedName(f schema.Finding) string {
	switch f.ObjectType {
	case schema.ObjectTable, schema.ObjectColumn:
		return f.Object
	case schema.ObjectEnumLabel:
		return fmt.Sprintf("the label %s of the enum %s", f.Want, f.Object)
	}
	return fmt.Sprintf("the %s %s", f.ObjectType, f.Object)
}
