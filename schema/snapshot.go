// Package schema reads what the schemas of a PostgreSQL database hold from
// pg_catalog — a Snapshot, printed by PostgreSQL itself (format_type,
// pg_get_expr, pg_get_constraintdef, pg_get_indexdef, pg_get_viewdef,
// pg_get_functiondef, pg_get_triggerdef) — and compares two snapshots,
// naming every difference and the SQL that mends it, in an order that
// applies in one transaction.
//
// Because PostgreSQL prints both sides, spellings never differ:
// varchar(255) and character varying(255) are one type here.
//
// Objects are named as a person reads them: bare in public ("users"),
// schema-qualified elsewhere ("goodschema.t"). Those are the keys of the
// maps below.
package schema

import "github.com/appydex/smoke/schema/pgident"

// Snapshot is what the schemas read of one database hold.
type Snapshot struct {
	// Source says where the snapshot came from, for findings: "model",
	// "migrations", "live", or a database's name.
	Source     string                `json:"source"`
	Schemas    map[string]*Namespace `json:"schemas"`
	Tables     map[string]*Table     `json:"tables"`
	Views      map[string]*View      `json:"views,omitempty"`     // views and materialized views
	Functions  map[string]*Function  `json:"functions,omitempty"` // functions and procedures, keyed name(identity arguments)
	Enums      map[string]*Enum      `json:"enums"`
	Sequences  map[string]*Sequence  `json:"sequences"` // standalone and owned by columns; not identities'
	Extensions map[string]*Extension `json:"extensions,omitempty"`
	Collations map[string]*Collation `json:"collations,omitempty"`
	// Publications and EventTriggers are the database's, whatever schemas
	// are read (a publication's tables are those of the schemas read).
	Publications  map[string]*Publication  `json:"publications,omitempty"`
	EventTriggers map[string]*EventTrigger `json:"event_triggers,omitempty"`
	// DefaultPrivileges are what ALTER DEFAULT PRIVILEGES grants on the
	// objects a role makes later, keyed as the statement says it:
	// "FOR ROLE migrator IN SCHEMA public ON TABLES" → grantee →
	// "SELECT". Only those IN SCHEMA of a schema read: the database's own
	// replace the built-in defaults, and are not compared.
	DefaultPrivileges map[string]map[string]string `json:"default_privileges,omitempty"`
	// Others are objects of kinds compared only by a summary of their
	// definition (domains, composite and range types, aggregates, rules,
	// foreign tables), keyed "domain d": a difference in them is a
	// finding, and where no summary could be read, so is their presence —
	// never skipped silently.
	Others map[string]*Other `json:"others,omitempty"`
}

// Other is an object of a kind the engine compares only by a summary.
type Other struct {
	// Kind is what it is: "domain", "composite type", "range type",
	// "base type", "aggregate", "rule", "foreign table", "trigger",
	// "constraint".
	Kind ObjectType `json:"kind"`
	// Def summarises its definition; "" where the engine reads none (it
	// is then reported as not compared).
	Def string `json:"def,omitempty"`
	// Create and Drop are the SQL that make and drop it, where the engine
	// can write them.
	Create string `json:"create,omitempty"`
	Drop   string `json:"drop,omitempty"`
}

// Namespace is a schema itself.
type Namespace struct {
	Name       string            `json:"name"`
	Privileges map[string]string `json:"privileges,omitempty"` // grantee → "CREATE, USAGE"
}

// Table is one table — plain, partitioned, or a partition — with
// everything that hangs off it.
type Table struct {
	Schema string `json:"schema"`
	Name   string `json:"name"` // bare
	// Partitioned: PARTITION BY PartitionKey ("RANGE (logdate)").
	Partitioned  bool   `json:"partitioned,omitempty"`
	PartitionKey string `json:"partition_key,omitempty"`
	// PartitionOf is the parent of a partition, FOR VALUES PartitionBound.
	PartitionOf    string   `json:"partition_of,omitempty"`
	PartitionBound string   `json:"partition_bound,omitempty"`
	Inherits       []string `json:"inherits,omitempty"` // parents (INHERITS), in order
	Unlogged       bool     `json:"unlogged,omitempty"`
	RowSecurity    bool     `json:"row_security,omitempty"`
	ForceSecurity  bool     `json:"force_row_security,omitempty"`
	// ReplicaIdentity is "" (DEFAULT: the primary key), "NOTHING", "FULL"
	// or "USING INDEX name": what logical replication logs to identify a
	// row an UPDATE or DELETE changes.
	ReplicaIdentity string `json:"replica_identity,omitempty"`
	// Options are its storage parameters (WITH (fillfactor=70)), its TOAST
	// table's as "toast.name=value", sorted.
	Options []string `json:"options,omitempty"`

	Columns     map[string]*Column  `json:"columns"`
	Constraints []*Constraint       `json:"constraints"`
	Indexes     []*Index            `json:"indexes"` // those that back no constraint
	Triggers    map[string]*Trigger `json:"triggers,omitempty"`
	Policies    map[string]*Policy  `json:"policies,omitempty"`
	// Privileges are the table's grants, grantee → "INSERT, SELECT";
	// ColumnPrivileges a column's, column → grantee → privileges.
	Privileges       map[string]string            `json:"privileges,omitempty"`
	ColumnPrivileges map[string]map[string]string `json:"column_privileges,omitempty"`
}

// Column is one column as PostgreSQL describes it.
type Column struct {
	Name     string `json:"name"`
	Position int    `json:"position"`
	Type     string `json:"type"` // format_type, and COLLATE when not the type's own: "text COLLATE \"C\""
	NotNull  bool   `json:"not_null"`
	Default  string `json:"default,omitempty"`  // pg_get_expr of the default
	Identity string `json:"identity,omitempty"` // "ALWAYS", "BY DEFAULT" or ""
	// IdentitySequence is an identity's sequence: its options (a MAXVALUE
	// reached stops every insert) and its name.
	IdentitySequence *Sequence `json:"identity_sequence,omitempty"`
	Generated        string    `json:"generated,omitempty"` // the expression of a stored generated column
	// Inherited: the column comes from a parent (INHERITS, PARTITION OF)
	// and is not declared by the table itself: its changes are the parent's.
	Inherited bool `json:"inherited,omitempty"`
	// Storage is the column's STORAGE where it is not its type's own
	// ("PLAIN", "EXTERNAL", "MAIN", "EXTENDED"), and TypeStorage then the
	// type's, which the column goes back to. Compression is its
	// COMPRESSION method where one is set ("pglz", "lz4").
	Storage     string `json:"storage,omitempty"`
	TypeStorage string `json:"type_storage,omitempty"`
	Compression string `json:"compression,omitempty"`
}

// Constraint is a primary key, unique, foreign key, check or exclusion
// constraint.
type Constraint struct {
	Name      string     `json:"name"`
	Kind      ObjectType `json:"kind"`       // "primary key", "unique", "foreign key", "check", "exclusion"
	Def       string     `json:"definition"` // pg_get_constraintdef, without NOT VALID
	Validated bool       `json:"validated"`  // false: added NOT VALID and never validated
	Columns   []string   `json:"columns"`
	// References is the table a foreign key points at.
	References string `json:"references,omitempty"`
	// Inherited: the constraint comes from a parent, not the table itself.
	Inherited bool `json:"inherited,omitempty"`
	// Unenforced names the tables on which the constraint's own triggers
	// (a foreign key's checks and actions) are disabled: ALTER TABLE …
	// DISABLE TRIGGER ALL turns them off with the table's others.
	Unenforced []string `json:"unenforced_on,omitempty"`
}

// Index is an index that backs no constraint.
type Index struct {
	Name   string `json:"name"`
	Def    string `json:"definition"` // pg_get_indexdef with the name left out: "CREATE INDEX ON public.t USING btree (c)"
	Valid  bool   `json:"valid"`      // false: a CREATE INDEX CONCURRENTLY failed part way
	Unique bool   `json:"unique"`
	// Inherited: a partition's index attached to its parent's, AttachedTo
	// (as Snapshot.Tables keys a table: schema-qualified outside public).
	Inherited  bool   `json:"inherited,omitempty"`
	AttachedTo string `json:"attached_to,omitempty"`
}

// Trigger is a trigger on a table or a view.
type Trigger struct {
	Name     string `json:"name"`
	Def      string `json:"definition"` // pg_get_triggerdef: the CREATE TRIGGER statement
	Function string `json:"function"`   // the function it runs, as Snapshot.Functions keys it
	// Timing is "BEFORE", "AFTER" or "INSTEAD OF".
	Timing string `json:"timing,omitempty"`
	// Enabled is "" when it fires as triggers do (ENABLE), else
	// "disabled", "replica" (fires only in replication sessions) or
	// "always".
	Enabled string `json:"enabled,omitempty"`
}

// Publication is a logical replication publication (CREATE PUBLICATION):
// what change data capture reads.
type Publication struct {
	Name      string `json:"name"`
	AllTables bool   `json:"all_tables,omitempty"`
	// Publishes lists the actions published: "insert, update, delete, truncate".
	Publishes string `json:"publishes"`
	ViaRoot   bool   `json:"via_root,omitempty"`
	// Schemas are those published whole (FOR TABLES IN SCHEMA), Tables
	// those named, among the schemas read.
	Schemas []string         `json:"schemas,omitempty"`
	Tables  []PublishedTable `json:"tables,omitempty"`
}

// PublishedTable is a table a publication names, with its column list and
// row filter where it has them.
type PublishedTable struct {
	Table   string   `json:"table"`
	Columns []string `json:"columns,omitempty"`
	Where   string   `json:"where,omitempty"`
}

// EventTrigger is an event trigger (CREATE EVENT TRIGGER): a function that
// runs on DDL, and so with every migration.
type EventTrigger struct {
	Name  string `json:"name"`
	Event string `json:"event"` // ddl_command_start, ddl_command_end, sql_drop, table_rewrite
	// Tags are the command tags it is limited to (WHEN TAG IN), "" for all.
	Tags     string `json:"tags,omitempty"`
	Function string `json:"function"` // as Snapshot.Functions keys it
	// Enabled is as Trigger's.
	Enabled string `json:"enabled,omitempty"`
	// Refuses: its function can raise an error — RAISE EXCEPTION (or a
	// RAISE of no level), ASSERT — or is in a language the check cannot
	// read: it can refuse the DDL it runs on.
	Refuses bool `json:"refuses,omitempty"`
}

// Policy is a row level security policy.
type Policy struct {
	Name       string `json:"name"`
	Permissive bool   `json:"permissive"`
	Command    string `json:"command"` // ALL, SELECT, INSERT, UPDATE, DELETE
	Roles      string `json:"roles"`   // "public", or role names
	Using      string `json:"using,omitempty"`
	WithCheck  string `json:"with_check,omitempty"`
}

// View is a view or a materialized view.
type View struct {
	Schema       string              `json:"schema"`
	Name         string              `json:"name"`
	Materialized bool                `json:"materialized,omitempty"`
	Def          string              `json:"definition"` // pg_get_viewdef
	Indexes      []*Index            `json:"indexes,omitempty"`
	Triggers     map[string]*Trigger `json:"triggers,omitempty"`
	Privileges   map[string]string   `json:"privileges,omitempty"`
	// Options are its reloptions: a view's security_barrier,
	// security_invoker and check_option, a materialized view's storage
	// parameters; sorted.
	Options []string `json:"options,omitempty"`
	// DependsOn names the relations, functions and types the view is
	// built on (pg_depend): it is dropped and made again around their
	// changes.
	DependsOn []string `json:"depends_on,omitempty"`
}

// Function is a function or a procedure.
type Function struct {
	Schema     string            `json:"schema"`
	Name       string            `json:"name"`
	Arguments  string            `json:"arguments"` // identity arguments: "i integer, t text[]"
	Kind       ObjectType        `json:"kind"`      // "function" or "procedure"
	Result     string            `json:"result,omitempty"`
	Def        string            `json:"definition"` // pg_get_functiondef: CREATE OR REPLACE …
	Privileges map[string]string `json:"privileges,omitempty"`
	DependsOn  []string          `json:"depends_on,omitempty"`
}

// Enum is an enum type.
type Enum struct {
	Schema string   `json:"schema"`
	Name   string   `json:"name"`
	Labels []string `json:"labels"` // in sort order
}

// Sequence is a sequence of the schema.
type Sequence struct {
	Schema    string `json:"schema"`
	Name      string `json:"name"`
	Type      string `json:"type"` // bigint, integer, smallint
	Start     int64  `json:"start"`
	Increment int64  `json:"increment"`
	Min       int64  `json:"min"`
	Max       int64  `json:"max"`
	Cache     int64  `json:"cache"`
	Cycle     bool   `json:"cycle,omitempty"`
	OwnedBy   string `json:"owned_by,omitempty"` // table.column of a serial column
	// Privileges are its grants, grantee → "SELECT, USAGE".
	Privileges map[string]string `json:"privileges,omitempty"`
}

// Extension is an installed extension: database-wide, named bare.
type Extension struct {
	Name    string `json:"name"`
	Schema  string `json:"schema"`
	Version string `json:"version"`
	// UpdatesTo are the versions this server can update it to from
	// Version (its update scripts); nil when not known. A fact of the
	// server, not of the schema: never compared.
	UpdatesTo []string `json:"updates_to,omitempty"`
}

// Collation is a collation of the schema.
type Collation struct {
	Schema   string `json:"schema"`
	Name     string `json:"name"`
	Provider string `json:"provider"` // libc, icu
	Locale   string `json:"locale"`   // collcollate (libc) or colliculocale (icu)
	Ctype    string `json:"ctype,omitempty"`
	// Deterministic is false for a nondeterministic collation.
	Deterministic bool `json:"deterministic"`
}

// Bookkeeping tables of migration tools: never part of the compared schema.
var Bookkeeping = []string{"schema_migrations", "schema_migration_checksums", "alembic_version"}

// Qualify names an object as the snapshot's maps do: bare in public,
// schema.name elsewhere.
func Qualify(schema, name string) string {
	if schema == "public" || schema == "" {
		return name
	}
	return schema + "." + name
}

// sqlName writes an object's name in SQL: quoted as needed, qualified
// outside public.
func sqlName(schema, name string) string {
	if schema == "public" || schema == "" {
		return pgident.Quote(name)
	}
	return pgident.Quote(schema) + "." + pgident.Quote(name)
}

// WithoutGrantsTo leaves out of s every privilege granted to role (as
// the catalog names it: quote_ident). A deployment grants the role a check
// reads as what it needs to read; those grants are how the check reads,
// not part of the schema the model and the migrations describe.
func (s *Snapshot) WithoutGrantsTo(role string) {
	drop := func(m map[string]string) map[string]string {
		delete(m, role)
		if len(m) == 0 {
			return nil
		}
		return m
	}
	for _, n := range s.Schemas {
		n.Privileges = drop(n.Privileges)
	}
	for _, t := range s.Tables {
		t.Privileges = drop(t.Privileges)
		for col, m := range t.ColumnPrivileges {
			if m = drop(m); m == nil {
				delete(t.ColumnPrivileges, col)
			}
		}
		if len(t.ColumnPrivileges) == 0 {
			t.ColumnPrivileges = nil
		}
	}
	for _, v := range s.Views {
		v.Privileges = drop(v.Privileges)
	}
	for _, f := range s.Functions {
		f.Privileges = drop(f.Privileges)
	}
	for _, q := range s.Sequences {
		q.Privileges = drop(q.Privileges)
	}
	for key, m := range s.DefaultPrivileges {
		if drop(m) == nil {
			delete(s.DefaultPrivileges, key)
		}
	}
}
