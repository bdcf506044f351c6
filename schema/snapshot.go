// Package schema reads what a PostgreSQL schema holds from pg_catalog — a
// Snapshot, printed by PostgreSQL itself (format_type, pg_get_expr,
// pg_get_constraintdef, pg_get_indexdef) — and compares two snapshots,
// naming every difference and the SQL that mends it.
//
// Because PostgreSQL prints both sides, spellings never differ:
// varchar(255) and character varying(255) are one type here.
package schema

// Snapshot is what one schema of one database holds.
type Snapshot struct {
	// Source says where the snapshot came from, for findings: "model",
	// "migrations", "live".
	Source string `json:"source"`
	// Schema is the PostgreSQL schema read, e.g. public.
	Schema    string               `json:"schema"`
	Tables    map[string]*Table    `json:"tables"`
	Enums     map[string][]string  `json:"enums"`     // labels in sort order
	Sequences map[string]*Sequence `json:"sequences"` // standalone and owned by columns
	// Unsupported lists objects the snapshot does not understand (views,
	// triggers, functions, …), each as "view v": they are reported as
	// findings, never skipped silently.
	Unsupported []string `json:"unsupported,omitempty"`
}

// Table is one table with everything that hangs off it.
type Table struct {
	Name        string             `json:"name"`
	Columns     map[string]*Column `json:"columns"`
	Constraints []*Constraint      `json:"constraints"`
	Indexes     []*Index           `json:"indexes"` // those that back no constraint
}

// Column is one column as PostgreSQL describes it.
type Column struct {
	Name      string `json:"name"`
	Position  int    `json:"position"`
	Type      string `json:"type"` // format_type: "character varying(255)"
	NotNull   bool   `json:"not_null"`
	Default   string `json:"default,omitempty"`   // pg_get_expr of the default
	Identity  string `json:"identity,omitempty"`  // "ALWAYS", "BY DEFAULT" or ""
	Generated string `json:"generated,omitempty"` // the expression of a stored generated column
}

// Constraint is a primary key, unique, foreign key, check or exclusion
// constraint.
type Constraint struct {
	Name      string   `json:"name"`
	Kind      string   `json:"kind"`       // "primary key", "unique", "foreign key", "check", "exclusion"
	Def       string   `json:"definition"` // pg_get_constraintdef, without NOT VALID
	Validated bool     `json:"validated"`  // false: added NOT VALID and never validated
	Columns   []string `json:"columns"`
}

// Index is an index that backs no constraint.
type Index struct {
	Name   string `json:"name"`
	Def    string `json:"definition"` // pg_get_indexdef with the name left out: "CREATE INDEX ON public.t USING btree (c)"
	Valid  bool   `json:"valid"`      // false: a CREATE INDEX CONCURRENTLY failed part way
	Unique bool   `json:"unique"`
}

// Sequence is a sequence of the schema.
type Sequence struct {
	Name    string `json:"name"`
	Type    string `json:"type"`               // bigint, integer, smallint
	OwnedBy string `json:"owned_by,omitempty"` // table.column of a serial or identity column
}

// Bookkeeping tables of migration tools: never part of the compared schema.
var Bookkeeping = []string{"schema_migrations", "schema_migration_checksums", "alembic_version"}
