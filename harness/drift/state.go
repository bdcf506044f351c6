package drift

import (
	"context"
	"fmt"
	"io/fs"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/appydex/smoke/harness/migrator"
	"github.com/appydex/smoke/schema"
)

// State is what a live database says about the migrations applied to it.
type State struct {
	// Recorded: golang-migrate's schema_migrations table holds a version.
	Recorded bool `json:"recorded"`
	// MigrateTable and AlembicTable: golang-migrate's schema_migrations,
	// alembic's alembic_version exist (with or without a row).
	MigrateTable bool `json:"schema_migrations_table"`
	AlembicTable bool `json:"alembic_version_table"`
	Version      uint `json:"version"`
	Dirty        bool `json:"dirty"`
	// Rows is how many rows schema_migrations holds: golang-migrate keeps
	// one, and reads one.
	Rows     int    `json:"schema_migrations_rows,omitempty"`
	Versions []uint `json:"schema_migrations_versions,omitempty"`
	// Head is the newest migration among the files, HeadFile its up file.
	Head     uint   `json:"head"`
	HeadFile string `json:"head_file"`
	// Alembic holds alembic_version's rows where that table exists (the
	// incident's backend migrated with alembic).
	Alembic []string `json:"alembic_version,omitempty"`
	// ChecksumsRecorded: the harness's checksum table exists (it migrated
	// this database); Edited lists files changed since they were applied.
	ChecksumsRecorded bool              `json:"checksums_recorded"`
	Edited            []migrator.Edited `json:"edited,omitempty"`

	files migrator.Files
}

// Kinds of migration-state findings.
const (
	KindNotRecorded     schema.Kind = "not recorded"
	KindDirty           schema.Kind = "dirty"
	KindBehind          schema.Kind = "pending migrations"
	KindAhead           schema.Kind = "unknown version"
	KindEdited          schema.Kind = "edited after it was applied"
	KindClaimsHeadDiff  schema.Kind = "claims the newest migration but the schema differs"
	KindSeveralVersions schema.Kind = "several versions"
)

// ReadState reads the migration state of the database behind conn and
// compares it with the migration files in fsys (dir names the folder).
func ReadState(ctx context.Context, conn *pgx.Conn, fsys fs.FS, dir string) (*State, error) {
	files, err := migrator.ReadFiles(fsys, dir)
	if err != nil {
		return nil, err
	}
	st := &State{Head: files.Head(), HeadFile: files.Path(files.List[len(files.List)-1].Up), files: files}

	var hasMigrate, hasAlembic bool
	err = conn.QueryRow(ctx, `SELECT to_regclass('schema_migrations') IS NOT NULL, to_regclass('alembic_version') IS NOT NULL`).
		Scan(&hasMigrate, &hasAlembic)
	if err != nil {
		return nil, fmt.Errorf("read the migration state: %w", err)
	}
	st.MigrateTable, st.AlembicTable = hasMigrate, hasAlembic
	if hasMigrate {
		// golang-migrate reads its version with LIMIT 1 and no order: the
		// first row the server returns. Read them all, that row first.
		rows, err := conn.Query(ctx, "SELECT version, dirty FROM schema_migrations")
		if err != nil {
			return nil, fmt.Errorf("read schema_migrations: %w", err)
		}
		var version int64
		var dirty bool
		_, err = pgx.ForEachRow(rows, []any{&version, &dirty}, func() error {
			if st.Rows == 0 {
				st.Recorded, st.Version, st.Dirty = true, uint(version), dirty
			}
			st.Rows++
			st.Versions = append(st.Versions, uint(version))
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("read schema_migrations: %w", err)
		}
	}
	if hasAlembic {
		rows, err := conn.Query(ctx, "SELECT version_num::text FROM alembic_version ORDER BY 1")
		if err != nil {
			return nil, fmt.Errorf("read alembic_version: %w", err)
		}
		if st.Alembic, err = pgx.CollectRows(rows, pgx.RowTo[string]); err != nil {
			return nil, fmt.Errorf("read alembic_version: %w", err)
		}
	}
	st.Edited, st.ChecksumsRecorded, err = migrator.EditedFiles(ctx, conn, files, fsys)
	if err != nil {
		return nil, err
	}
	return st, nil
}

// Applied is the version the database is at, as golang-migrate reads it;
// 0 where it records none.
func (st *State) Applied() uint {
	if !st.Recorded {
		return 0
	}
	return st.Version
}

// fileOf names the up file of version, or says there is none.
func (st *State) fileOf(version uint) string {
	for _, f := range st.files.List {
		if f.Version == version {
			return st.files.Path(f.Up)
		}
	}
	return "no such file"
}

func (st *State) describe(version uint) string {
	return fmt.Sprintf("version %d (%s)", version, st.fileOf(version))
}

// Findings turns the state into findings. schemaBreaks says the live
// schema differs from what the migrations produce by an error: with a
// version that claims the newest migration, that is the incident's shape.
func (st *State) Findings(schemaBreaks bool) []schema.Finding {
	var out []schema.Finding
	add := func(rule schema.Rule, f schema.Finding) {
		rule.Judge(&f)
		f.ObjectType, f.WantSource, f.GotSource = "migration", "migrations", "live"
		out = append(out, f)
	}
	head := st.describe(st.Head)
	if !st.MigrateTable && !st.AlembicTable {
		add(ruleNoVersionTable, schema.Finding{Object: "schema_migrations", Kind: KindNotRecorded, Want: head, Got: "no version table",
			Detail: "the database has neither golang-migrate's schema_migrations nor alembic's alembic_version: the next deploy would run every migration again, against tables that exist",
			Fix:    fmt.Sprintf("-- find the migration the schema matches, then record it: migrate -path %s -database URL force VERSION", st.files.Dir)})
		return out
	}
	if !st.Recorded {
		f := schema.Finding{Object: "schema_migrations", Kind: KindNotRecorded,
			Want: head, Got: "no version",
			Detail: "the database has no golang-migrate version: it was not migrated with these files, and the next migrate up would run them all again",
			Fix:    fmt.Sprintf("-- find the migration the schema matches, then record it: migrate -path %s -database URL force VERSION", st.files.Dir)}
		if len(st.Alembic) > 0 {
			f.Got = "alembic_version " + strings.Join(st.Alembic, ",")
			f.Detail = fmt.Sprintf("the database has no golang-migrate version (alembic_version says %s): it was not migrated with these files, and the next migrate up would run them all again",
				strings.Join(st.Alembic, ", "))
		}
		add(ruleNoVersion, f)
		return out
	}
	at := st.describe(st.Version)
	if st.Rows > 1 {
		var versions []string
		for _, v := range st.Versions {
			versions = append(versions, fmt.Sprint(v))
		}
		add(ruleSeveralVersions, schema.Finding{Object: "schema_migrations", Kind: KindSeveralVersions, Want: "one row", Got: fmt.Sprintf("%d rows: versions %s", st.Rows, strings.Join(versions, ", ")),
			Detail: fmt.Sprintf("schema_migrations holds %d rows (versions %s); golang-migrate reads whichever comes first — now %s",
				st.Rows, strings.Join(versions, ", "), at),
			Fix: fmt.Sprintf("-- find the version the schema matches, then: DELETE FROM schema_migrations; and migrate -path %s -database URL force VERSION", st.files.Dir)})
	}
	if st.Dirty {
		add(ruleDirty, schema.Finding{Object: "schema_migrations", Kind: KindDirty, Want: "clean", Got: "dirty at " + at,
			Detail: at + " failed part way and is marked dirty",
			Fix:    fmt.Sprintf("-- undo what %s applied, then: migrate -path %s -database URL force %d", st.fileOf(st.Version), st.files.Dir, st.previous(st.Version))})
	}
	switch {
	case st.Version > st.Head:
		add(ruleAhead, schema.Finding{Object: "schema_migrations", Kind: KindAhead, Want: head, Got: fmt.Sprintf("version %d", st.Version),
			Detail: fmt.Sprintf("the database says version %d, newer than every file here (the newest is %s): it was migrated with files this checkout lacks", st.Version, head)})
	case st.Version < st.Head:
		add(ruleBehind, schema.Finding{Object: "schema_migrations", Kind: KindBehind, Want: head, Got: at,
			Detail: fmt.Sprintf("the database is at %s; not applied: %s", at, strings.Join(st.pending(), ", ")),
			Fix:    fmt.Sprintf("migrate -path %s -database URL up", st.files.Dir)})
	case !st.Dirty && schemaBreaks:
		add(ruleClaimsHead, schema.Finding{Object: "schema_migrations", Kind: KindClaimsHeadDiff, Want: "the schema the migrations produce", Got: at,
			Detail: fmt.Sprintf("the database says %s, the newest migration, yet its schema differs from what the migrations produce (the errors below)", at)})
	}
	for _, e := range st.Edited {
		add(ruleEdited, schema.Finding{Object: e.File, Kind: KindEdited, Want: "sha256 " + e.Current, Got: "sha256 " + e.Recorded,
			Detail: fmt.Sprintf("applied with sha256 %s, but the file now has sha256 %s: it changed after it ran, so the database need not hold what the file says",
				e.Recorded[:12], e.Current[:12]),
			Fix: "-- restore the file as it was applied, and put the change in a new migration"})
	}
	return out
}

// pending lists the up files above the database's version.
func (st *State) pending() []string {
	var out []string
	for _, f := range st.files.List {
		if f.Version > st.Version {
			out = append(out, st.files.Path(f.Up))
		}
	}
	return out
}

func (st *State) previous(version uint) int {
	prev := -1
	for _, f := range st.files.List {
		if f.Version < version {
			prev = int(f.Version)
		}
	}
	return prev
}
