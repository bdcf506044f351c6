package drift

import "github.com/appydex/smoke/schema"

// The rules of a live database's migration state, of what it holds beyond
// its schema, and of the differences whose effect depends on context — the
// migration files, the roles the application connects as. Each is a row of
// docs/drift.md's severity table, beside package schema's.
var (
	ruleNoVersionTable  = schema.NewRule("migration.no-version-table", schema.Error, "the database has neither golang-migrate's schema_migrations nor alembic's alembic_version", "the next deploy runs every migration again, against tables that exist: it fails")
	ruleNoVersion       = schema.NewRule("migration.no-version", schema.Error, "schema_migrations holds no version (the database was migrated by another tool, or all the way down)", "the next `migrate up` runs every migration again, against tables that exist: it fails")
	ruleSeveralVersions = schema.NewRule("migration.several-versions", schema.Error, "schema_migrations holds more than one row", "golang-migrate reads one row, whichever the server returns first: the next migration starts from a version chosen by chance")
	ruleDirty           = schema.NewRule("migration.dirty", schema.Error, "the version is marked dirty: a migration failed part way", "golang-migrate refuses to run the next migration until someone forces a version")
	ruleBehind          = schema.NewRule("migration.behind", schema.Error, "the database is at an older version than the newest file", "the application, written for the newest schema, meets an older one")
	ruleAhead           = schema.NewRule("migration.ahead", schema.Error, "the database is at a version no file here has", "it was migrated with files this checkout lacks: the application meets a schema it was not written for, and the next down migration cannot run")
	ruleClaimsHead      = schema.NewRule("migration.claims-head", schema.Error, "the database claims the newest migration, and its schema differs from what the migrations produce by an error", "the login incident's shape: the version says all is applied, so nothing will apply what is missing")
	ruleEdited          = schema.NewRule("migration.edited", schema.Warning, "a migration file changed after it was applied (its recorded checksum differs)", "databases migrated later get what the file says now, this one what it said then; where that shows in the schema, the comparison names it by its own rule")

	ruleOffSearchPath = schema.NewRule("search-path.no-public", schema.Error, "a search_path a session of the database can get (a role's, the database's) leaves out public", "the application's unqualified queries find none of its tables")
	ruleShadowed      = schema.NewRule("search-path.shadowed", schema.Error, "a relation in a schema before public on a search_path has the name of one of the application's tables", "the application's unqualified queries use it, not the table the migrations made")

	ruleRenamedNamed = schema.NewRule("name.named-by-a-migration", schema.Error, "a constraint or index defined the same under another name, where a migration file that can still run (a pending up file, a down file) names it as the migrations made it", "that migration fails against this database: the name it uses does not exist")
	rulePinned       = schema.NewRule("view.pins-next-migration", schema.Error, "a view or materialized view the migrations do not make, in any schema, built on a column or table that a migration that would run next (a pending up file; the down file of the database's version) drops or retypes", "that migration fails: cannot drop or alter it because other objects depend on it")
	rulePrivilegeApp = schema.NewRule("privilege.missing-for-the-application", schema.Error, "a privilege the migrations grant is absent, and a role the application connects as lacks it", "the application's queries that need it fail: permission denied")
	rulePrivilegeOwn = schema.NewRule("privilege.the-applications", schema.Notice, "a privilege to read credentials granted to a role the application connects as", "it is the application's own access")

	ruleOwnerOther  = schema.NewRule("owner.cannot-act", schema.Error, "an object of the migrations' owned by a role that the role running them — the owner of most of the application's tables — is not a member of (a superuser's power is not counted on: the next migration may run as the application's own role, and a managed server has no superuser)", "the next migration cannot ALTER or DROP it (must be owner), and a role that used it as its owner's loses it")
	ruleOwnerMember = schema.NewRule("owner.can-act", schema.Notice, "an object of the migrations' owned by another role, which the role running them is a member of", "the next migration can still ALTER and DROP it")

	ruleReadOnly          = schema.NewRule("setting.read-only", schema.Error, "default_transaction_read_only (or transaction_read_only) on, for the database or a role the application connects as", "every write of the application's, and every migration, fails: cannot execute INSERT in a read-only transaction")
	ruleReplicationRole   = schema.NewRule("setting.replication-role", schema.Error, "session_replication_role = replica for the database or a role the application connects as", "ordinary triggers and the triggers behind foreign keys do not fire: the application's writes skip their checks and ON DELETE actions")
	ruleRowSecurityOff    = schema.NewRule("setting.row-security-off", schema.Error, "row_security = off for a role the application connects as, with row level security on for a table of the application's", "its queries on those tables fail: query would be affected by row-level security policy")
	ruleIsolation         = schema.NewRule("setting.isolation", schema.Warning, "default_transaction_isolation repeatable read or serializable, for the database or a role the application connects as", "concurrent writes fail with serialization errors the application, written for read committed, may not retry")
	ruleTimeoutShort      = schema.NewRule("setting.timeout-short", schema.Warning, "statement_timeout, lock_timeout or idle_in_transaction_session_timeout under one second, for the database or a role the application connects as", "ordinary statements and waits fail at that bound; a migration's longer steps certainly")
	ruleTimeout           = schema.NewRule("setting.timeout", schema.Notice, "statement_timeout, lock_timeout or idle_in_transaction_session_timeout of a second or more", "a bound on runaway work: the application's statements end far inside it (a long migration step may not: run migrations as a role without it)")
	ruleSettingOverridden = schema.NewRule("setting.overridden", schema.Notice, "a setting of the database (or of every role) that would stop writes, which every role the application connects as sets otherwise (a read-only database, its application's role set to write)", "the application's sessions get their roles' own value; only other sessions, a person's psql, get the database's")
	ruleNoConnections     = schema.NewRule("role.cannot-connect", schema.Error, "a role the application connects as cannot sign in — NOLOGIN, CONNECTION LIMIT 0, a password past VALID UNTIL — or the database takes no connections (CONNECTION LIMIT 0)", "the application, or its migrations, cannot connect")
)
