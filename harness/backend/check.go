package backend

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"

	"github.com/jackc/pgx/v5"

	"github.com/appydex/smoke/harness/docker"
	"github.com/appydex/smoke/harness/drift"
	"github.com/appydex/smoke/harness/pgenv"
	"github.com/appydex/smoke/schema"
)

// Snapshots are the backend's model and its migrations as PostgreSQL
// prints them: image's create_model command run in one empty database, its
// migrate command in another, each read back and dropped.
//
// The two run at once: each is a container start and the backend's own
// start-up, which is most of the time.
func (s *Stack) Snapshots(ctx context.Context, image string) (model, migrations *schema.Snapshot, err error) {
	var modelErr, migrationsErr error
	both(func() { model, modelErr = s.scratch(ctx, "create_model", image, s.Desc.Commands.CreateModel, "model") },
		func() {
			migrations, migrationsErr = s.scratch(ctx, "migrate", image, s.Desc.Commands.Migrate, "migrations")
		})
	if err := errors.Join(modelErr, migrationsErr); err != nil {
		return nil, nil, err
	}
	return model, migrations, nil
}

// both runs f and g at once and returns when both have.
func both(f, g func()) {
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		f()
	}()
	g()
	wg.Wait()
}

func (s *Stack) scratch(ctx context.Context, what, image string, cmd []string, source string) (*schema.Snapshot, error) {
	db, err := s.filled(ctx, what, image, cmd)
	if err != nil {
		return nil, err
	}
	defer db.Drop(context.WithoutCancel(ctx))
	return read(ctx, db, source)
}

// filled is a new database with image's cmd run in it; the caller drops it.
func (s *Stack) filled(ctx context.Context, what, image string, cmd []string) (*pgenv.Database, error) {
	db, err := s.Database(ctx)
	if err != nil {
		return nil, err
	}
	if _, err := s.Run(ctx, what, image, cmd, db, nil); err != nil {
		db.Drop(context.WithoutCancel(ctx))
		return nil, err
	}
	return db, nil
}

// ModelDatabase is a new database holding the backend's model: image's
// create_model command run in it. The caller drops it.
func (s *Stack) ModelDatabase(ctx context.Context, image string) (*pgenv.Database, error) {
	return s.filled(ctx, "create_model", image, s.Desc.Commands.CreateModel)
}

// Model is the backend's model as PostgreSQL prints it: image's
// create_model command in an empty database, read back and dropped.
func (s *Stack) Model(ctx context.Context, image string) (*schema.Snapshot, error) {
	return s.scratch(ctx, "create_model", image, s.Desc.Commands.CreateModel, "model")
}

func read(ctx context.Context, db *pgenv.Database, source string) (*schema.Snapshot, error) {
	conn, err := pgx.Connect(ctx, db.URL)
	if err != nil {
		return nil, err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	return schema.Read(ctx, conn, "public", source)
}

// Migrated runs image's migrate command in a new database and returns it
// with its snapshot: the migrations as PostgreSQL prints them, and a
// template for the run's own database (Server.Copy).
func (s *Stack) Migrated(ctx context.Context, image string) (*pgenv.Database, *schema.Snapshot, error) {
	db, err := s.Database(ctx)
	if err != nil {
		return nil, nil, err
	}
	if _, err := s.Run(ctx, "migrate", image, s.Desc.Commands.Migrate, db, nil); err != nil {
		return db, nil, err
	}
	snap, err := read(ctx, db, "migrations")
	return db, snap, err
}

// WithoutColumn is a copy of template without column ("table.column"):
// a database that a backend's model and its migrations disagree with, as
// the incident's was. The stack drops it.
func (s *Stack) WithoutColumn(ctx context.Context, template *pgenv.Database, column string) (*pgenv.Database, error) {
	db, err := s.Server.Copy(ctx, template)
	if err != nil {
		return nil, err
	}
	conn, err := pgx.Connect(ctx, db.URL)
	if err != nil {
		return nil, err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	table, col, _ := strings.Cut(column, ".")
	if _, err := conn.Exec(ctx, "ALTER TABLE "+pgx.Identifier{table}.Sanitize()+" DROP COLUMN "+pgx.Identifier{col}.Sanitize()+" CASCADE"); err != nil {
		return nil, fmt.Errorf("drop %s: %w", column, err)
	}
	return db, nil
}

// MigrationsDatabase is a new database with the backend's migrations
// applied: image's migrate command run in it. The caller drops it.
func (s *Stack) MigrationsDatabase(ctx context.Context, image string) (*pgenv.Database, error) {
	return s.filled(ctx, "migrate", image, s.Desc.Commands.Migrate)
}

// Revisions are a database's migration revisions and the image's heads.
type Revisions struct {
	Current []string `json:"current"` // what the database records; empty: none
	Heads   []string `json:"heads"`   // the newest revisions the image's migrations know
	// Applied says the revision table holds one row per migration applied
	// (database.records: applied, as Active Record keeps it): Current is
	// every migration applied, Heads every migration the image has.
	Applied bool `json:"applied,omitempty"`
	// CurrentOutput is what the current command printed, as a person
	// running it would see it: "2f6d5f68b472 (head)".
	CurrentOutput string `json:"current_output"`
}

// revisionLine is a line of alembic's or appydex-migrate's output naming a
// revision first: "2f6d5f68b472 (head)", "4 (head)".
var revisionLine = regexp.MustCompile(`^([0-9A-Za-z_]+)(\s|$)`)

func parseRevisions(stdout string) []string {
	var out []string
	for _, line := range strings.Split(stdout, "\n") {
		if m := revisionLine.FindStringSubmatch(strings.TrimSpace(line)); m != nil {
			out = append(out, m[1])
		}
	}
	slices.Sort(out)
	return out
}

// Revisions runs image's current command against db, and its heads command.
func (s *Stack) Revisions(ctx context.Context, image string, db *pgenv.Database) (Revisions, error) {
	var current docker.Output
	var heads []string
	var currentErr, headsErr error
	both(func() { current, currentErr = s.Run(ctx, "current", image, s.Desc.Commands.Current, db, nil) },
		func() { heads, headsErr = s.Heads(ctx, image, db) })
	if err := errors.Join(currentErr, headsErr); err != nil {
		return Revisions{}, err
	}
	return Revisions{Current: parseRevisions(current.Stdout), Heads: heads, Applied: s.Desc.OneRowPerMigration(), CurrentOutput: strings.TrimSpace(current.Stdout)}, nil
}

// Current runs image's current command against db: the revisions it
// records, as the command prints them (Heads left empty).
func (s *Stack) Current(ctx context.Context, image string, db *pgenv.Database) (Revisions, error) {
	out, err := s.Run(ctx, "current", image, s.Desc.Commands.Current, db, nil)
	if err != nil {
		return Revisions{}, err
	}
	return Revisions{Current: parseRevisions(out.Stdout), Applied: s.Desc.OneRowPerMigration(), CurrentOutput: strings.TrimSpace(out.Stdout)}, nil
}

// Heads runs image's heads command: the newest revisions its migrations
// know. db only fills the command's environment.
func (s *Stack) Heads(ctx context.Context, image string, db *pgenv.Database) ([]string, error) {
	out, err := s.Run(ctx, "heads", image, s.Desc.Commands.Heads, db, nil)
	if err != nil {
		return nil, err
	}
	heads := parseRevisions(out.Stdout)
	if len(heads) == 0 {
		return nil, fmt.Errorf("heads (%s, in %s) printed no revision: %q", strings.Join(s.Desc.Commands.Heads, " "), image, out.Stdout)
	}
	return heads, nil
}

// LiveRevision reads the revision a deployment's database records, from
// database.revision_table, over conn (read-only: nothing the backend runs
// touches a deployment's database). A missing table is no revision.
func (d *Description) LiveRevision(ctx context.Context, conn *pgx.Conn) ([]string, error) {
	if d.Database.RevisionTable == "" {
		return nil, fmt.Errorf("%s names no database.revision_table: the harness cannot read the deployment's revision", d.File)
	}
	table, column, _ := strings.Cut(d.Database.RevisionTable, ".")
	var exists bool
	if err := conn.QueryRow(ctx, "SELECT to_regclass($1) IS NOT NULL", table).Scan(&exists); err != nil {
		return nil, fmt.Errorf("read %s: %w", d.Database.RevisionTable, err)
	}
	if !exists {
		return nil, nil
	}
	rows, err := conn.Query(ctx, fmt.Sprintf("SELECT %s::text FROM %s ORDER BY 1", pgx.Identifier{column}.Sanitize(), pgx.Identifier{table}.Sanitize()))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", d.Database.RevisionTable, err)
	}
	return pgx.CollectRows(rows, pgx.RowTo[string])
}

// The rules of a backend's revisions, beside harness/drift's for
// golang-migrate's version (docs/drift.md's severity table).
var (
	ruleNoRevision            = schema.NewRule("revision.none", schema.Error, "the backend's revision table records no revision", "its next migrate runs every migration again, against tables that exist")
	ruleNotAtHeads            = schema.NewRule("revision.not-at-heads", schema.Error, "the revisions recorded are not the image's heads: older, or an extra row beside them", "the application, written for the heads' schema, meets another; the next upgrade starts from the wrong revision")
	ruleModelWithoutMigration = schema.NewRule("revision.model-without-migration", schema.Error, "the database is at the image's heads, and the model has what no migration creates", "the login incident's root cause: the application writes what no migration will ever make")
	ruleUnapplied             = schema.NewRule("revision.unapplied", schema.Error, "a migration the image has is not recorded as applied (one row per migration applied: database.records: applied)", "the application meets a schema without what that migration makes; when it is older than one that is applied, a look at the newest version alone says all is applied")
	ruleAppliedUnknown        = schema.NewRule("revision.applied-unknown", schema.Warning, "the database records a migration the image does not have (one row per migration applied)", "the database was migrated by other code (a newer image, a branch): this image's migrations neither know nor undo it; what it changed is judged by the schema comparison, by its own effect")
	ruleClaimsHeads           = schema.NewRule("revision.claims-heads", schema.Error, "the database is at the image's heads, and its schema differs from what the migrations produce by an error", "the version says all is applied, so nothing will apply what is missing")
)

// KindModelWithoutMigration: the database is at the image's head, yet the
// model has what no migration creates — the incident's root cause.
const KindModelWithoutMigration = "the model changed without a migration"

// Findings turns the revisions into findings, given the comparisons of
// drift.Compare (model vs migrations first; then migrations vs live).
func (r Revisions) Findings(comparisons []drift.Comparison, migrateCmd []string) []schema.Finding {
	var out []schema.Finding
	add := func(rule schema.Rule, f schema.Finding) {
		rule.Judge(&f)
		f.ObjectType, f.Object, f.WantSource, f.GotSource = "migration", "revision", "migrations", "live"
		out = append(out, f)
	}
	heads := strings.Join(r.Heads, ", ")
	if len(r.Current) == 0 {
		add(ruleNoRevision, schema.Finding{Kind: drift.KindNotRecorded, Want: heads, Got: "no revision",
			Detail: "the database records no revision: it was not migrated with this image's migrations"})
		return out
	}
	if r.Applied {
		if !r.appliedFindings(add, migrateCmd) {
			return out
		}
	} else if !r.headFindings(add, migrateCmd) {
		return out
	}
	at, only := r.At(), r.headsPhrase()
	if unmigrated := drift.Unmigrated(comparisons); len(unmigrated) > 0 {
		add(ruleModelWithoutMigration, schema.Finding{Kind: KindModelWithoutMigration, Want: "a migration for " + strings.Join(unmigrated, ", "), Got: at,
			Detail: fmt.Sprintf("the database is at %s, %s, and the model has %s, which no migration creates: the model changed without a migration",
				at, only, strings.Join(unmigrated, ", ")),
			Fix: "-- write the migration that creates " + strings.Join(unmigrated, ", ")})
		return out
	}
	if len(comparisons) > 1 && schema.Worst(comparisons[1].Findings) == schema.Error {
		add(ruleClaimsHeads, schema.Finding{Kind: drift.KindClaimsHeadDiff, Want: "the schema the migrations produce", Got: at,
			Detail: fmt.Sprintf("the database is at %s (%s), yet its schema differs from what the migrations produce (the findings below)", at, only)})
	}
	return out
}

// headFindings judges a revision table that holds the newest revision of
// each branch (alembic's, golang-migrate's). It says whether the
// database is at the image's heads.
func (r Revisions) headFindings(add func(schema.Rule, schema.Finding), migrateCmd []string) bool {
	heads, at := strings.Join(r.Heads, ", "), strings.Join(r.Current, ", ")
	if extra := without(r.Current, r.Heads); len(extra) > 0 && len(without(r.Heads, r.Current)) == 0 {
		// Every head is recorded, and more: a row the tool keeps for a
		// head it no longer has (alembic keeps one a branch).
		add(ruleNotAtHeads, schema.Finding{Kind: drift.KindSeveralVersions, Want: heads, Got: at,
			Detail: fmt.Sprintf("the revision table holds %s beside the image's heads (%s): the tool takes each row for a branch's head, and the next upgrade starts from it too",
				strings.Join(extra, ", "), heads),
			Fix: "-- delete the rows of " + strings.Join(extra, ", ") + " from the revision table, then: " + strings.Join(migrateCmd, " ")})
		return false
	}
	if !slices.Equal(r.Current, r.Heads) {
		add(ruleNotAtHeads, schema.Finding{Kind: drift.KindBehind, Want: heads, Got: at,
			Detail: fmt.Sprintf("the database is at %s; the image's heads are %s", at, heads),
			Fix:    strings.Join(migrateCmd, " ")})
		return false
	}
	return true
}

// appliedFindings judges a revision table that holds one row per
// migration applied (Active Record's schema_migrations): every migration
// the image has must be applied, whatever its place; one the image does
// not have is said, as a warning. It says whether every migration the
// image has is applied.
func (r Revisions) appliedFindings(add func(schema.Rule, schema.Finding), migrateCmd []string) bool {
	if unknown := without(r.Current, r.Heads); len(unknown) > 0 {
		add(ruleAppliedUnknown, schema.Finding{Kind: drift.KindAhead, Want: "only the image's migrations", Got: strings.Join(unknown, ", "),
			Detail: fmt.Sprintf("the database records %s (%s), which the image does not have: it was migrated by other code",
				migrations(len(unknown)), strings.Join(unknown, ", "))})
	}
	pending := without(r.Heads, r.Current)
	if len(pending) == 0 {
		return true
	}
	newest := slices.Max(r.Current)
	var late []string
	for _, v := range pending {
		if v < newest {
			late = append(late, v)
		}
	}
	detail := fmt.Sprintf("%s of the image's %d not applied: %s", migrations(len(pending)), len(r.Heads), strings.Join(pending, ", "))
	switch len(late) {
	case 0:
	case 1:
		detail += fmt.Sprintf("; %s is older than %s, the newest applied, so a look at the newest version alone says all is applied", late[0], newest)
	default:
		detail += fmt.Sprintf("; %s are older than %s, the newest applied, so a look at the newest version alone says all is applied", strings.Join(late, ", "), newest)
	}
	add(ruleUnapplied, schema.Finding{Kind: drift.KindBehind, Want: "every migration of the image applied", Got: strings.Join(pending, ", ") + " not applied",
		Detail: detail, Fix: strings.Join(migrateCmd, " ")})
	return false
}

// At says where the database is, in a report's words: its revisions, or,
// with one row per migration applied, the newest and how many.
func (r Revisions) At() string {
	switch {
	case len(r.Current) == 0:
		return "no revision"
	case r.Applied:
		return fmt.Sprintf("%s (%s applied)", slices.Max(r.Current), migrations(len(r.Current)))
	}
	return strings.Join(r.Current, ", ")
}

// headsPhrase says what the image's migrations end at.
func (r Revisions) headsPhrase() string {
	switch {
	case r.Applied:
		return fmt.Sprintf("every migration the image has (%d)", len(r.Heads))
	case len(r.Heads) > 1:
		return "the image's heads are " + strings.Join(r.Heads, ", ")
	}
	return "the image's only head is " + strings.Join(r.Heads, ", ")
}

// Summary is a line that says where the database is against the image.
func (r Revisions) Summary() string {
	if r.Applied && len(r.Heads) > 0 {
		return fmt.Sprintf("the database is at %s; the image has %s, the newest %s", r.At(), migrations(len(r.Heads)), slices.Max(r.Heads))
	}
	return fmt.Sprintf("the database is at %s; the image's heads: %s", r.At(), strings.Join(r.Heads, ", "))
}

// migrations is "1 migration" or "n migrations".
func migrations(n int) string {
	if n == 1 {
		return "1 migration"
	}
	return fmt.Sprintf("%d migrations", n)
}

// without is a without what b holds.
func without(a, b []string) []string {
	return slices.DeleteFunc(slices.Clone(a), func(x string) bool { return slices.Contains(b, x) })
}
