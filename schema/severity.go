package schema

// The rules of the comparison of two snapshots. The expected side (want:
// the model, the migrations, TO) is what the application and its
// migrations were written against; the compared side (got: a live
// database, FROM) is what they meet. Each rule says what a difference of
// its kind does there:
//
//   - error: the application's reads or writes fail or change meaning, or
//     the next migration (up or down) fails;
//   - warning: a real risk a person should see (who can read credentials;
//     a declared index missing);
//   - notice: harmless to the application and to the migrations.
//
// Where the effect depends on more than the two snapshots (is a renamed
// constraint named by a migration file? is a grantee the application's
// role?), harness/drift looks at that context and judges the finding again
// by a rule of its own.
var (
	ruleSchemaMissing    = NewRule("schema.missing", Error, "a schema the expected side has is absent", "the application's objects in it cannot exist: every query that names them fails")
	ruleSchemaUnexpected = NewRule("schema.unexpected", Notice, "a schema only the compared database has (a reporting or monitoring schema)", "the application names nothing in it (a relation in it that shadows one of the application's on the search_path is a finding of its own)")

	ruleExtensionMissing    = NewRule("extension.missing", Error, "an extension the expected side installs is absent", "what the application or its migrations call of it (gen_random_uuid, crypt, a type) fails")
	ruleExtensionUnexpected = NewRule("extension.unexpected", Notice, "an extension only the compared database has (pg_stat_statements)", "its objects are its own: the application names none of them")
	ruleExtensionVersion    = NewRule("extension.version", Notice, "an extension at another version", "the objects the application uses keep their names and signatures across an extension's versions")
	ruleExtensionSchema     = NewRule("extension.schema", Warning, "an extension installed in another schema", "the application's unqualified calls of its functions find them only while that schema is on the search_path")

	ruleCollationMissing    = NewRule("collation.missing", Error, "a collation the expected side has is absent", "the columns and queries that name it fail")
	ruleCollationUnexpected = NewRule("collation.unexpected", Notice, "a collation only the compared database has", "nothing the application declares uses it")
	ruleCollationUsed       = NewRule("collation.differs-used", Error, "a collation that columns, indexes or views use sorts or compares differently", "ORDER BY, uniqueness and equality on those columns change meaning")
	ruleCollationUnused     = NewRule("collation.differs-unused", Notice, "a collation nothing uses is defined differently", "nothing sorts or compares by it")

	ruleEnumMissing        = NewRule("enum.missing", Error, "an enum type the expected side has is absent", "the columns of that type cannot exist, and casts to it fail")
	ruleEnumUnexpected     = NewRule("enum.unexpected", Notice, "an enum type only the compared database has", "no column the application declares is of that type (a column that is has a finding of its own)")
	ruleEnumLabelMissing   = NewRule("enum.label-missing", Error, "a label the expected type has is absent (missing, renamed, or removed by a retype)", "the application's writes of that label fail: invalid input value for enum")
	ruleEnumLabelsDiffer   = NewRule("enum.labels-differ", Warning, "the compared type has every expected label, plus others or in another order", "the application's writes work; its reads may meet a label it does not know, and ORDER BY on the column sorts differently")
	ruleSequenceMissing    = NewRule("sequence.missing", Error, "a sequence the expected side has is absent", "the defaults that call nextval on it fail: every INSERT that leaves the column out fails")
	ruleSequenceUnexpected = NewRule("sequence.unexpected", Notice, "a sequence only the compared database has", "nothing the application declares draws from it")
	ruleSequenceLimit      = NewRule("sequence.limit", Warning, "a sequence that runs out sooner: a lower MAXVALUE (higher MINVALUE descending), a narrower type, or CYCLE", "the INSERTs that draw from it fail once it reaches its bound (or, cycling, repeat keys) — not yet, but for certain")
	ruleSequenceOptions    = NewRule("sequence.options", Notice, "a sequence's start, increment or cache", "it still hands out unique values; only their steps differ")
	ruleSequenceOwnedBy    = NewRule("sequence.owned-by", Notice, "the column a sequence is OWNED BY", "it only decides what a DROP of that column takes with it")
	ruleTableMissing       = NewRule("table.missing", Error, "a table the expected side has is absent", "every query on it fails: relation does not exist")
	ruleTableUnexpected    = NewRule("table.unexpected", Notice, "a table only the compared database has", "the application names none of its columns (a table that shadows one of the application's on the search_path is a finding of its own)")
	ruleTablePartitioning  = NewRule("table.partitioning", Error, "a table partitioned, or by another key, in one and not the other; a partition of another parent or bound; other inheritance", "which rows a table holds and where its writes go changes; the next migration's ALTER of it meets a table of another kind")
	ruleTableRowSecurity   = NewRule("table.row-security", Error, "row level security enabled or forced in one and not the other", "which rows the application's queries see and may write changes")
	ruleTableUnlogged      = NewRule("table.unlogged", Warning, "a table unlogged in the compared database, logged in the expected", "a crash or failover empties it, and replicas never see its rows")
	ruleTableLogged        = NewRule("table.logged", Notice, "a table logged in the compared database, unlogged in the expected", "its writes cost a little more WAL; nothing the application sees changes")
	ruleReplicaIdentity    = NewRule("table.replica-identity", Notice, "a table's REPLICA IDENTITY (DEFAULT, FULL, USING INDEX, NOTHING) where no publication needs it to identify rows", "it only decides what logical replication logs of an UPDATE or DELETE")
	ruleUpdatesRefused     = NewRule("table.updates-refused", Error, "a table published for UPDATE or DELETE whose replica identity cannot identify its rows (NOTHING; DEFAULT without a primary key; a column list or row filter that leaves its key out) — found on the table where its replica identity is what differs, on the publication where the publication is", "PostgreSQL refuses every UPDATE and DELETE on the table: cannot update table because it does not have a replica identity and publishes updates")

	ruleColumnMissing           = NewRule("column.missing", Error, "a column the expected side has is absent", "every query that names it fails — the login incident")
	ruleColumnUnexpected        = NewRule("column.unexpected", Notice, "a column only the compared database has, nullable or with a default", "the application's INSERTs leave it to its default; its reads name the columns they want")
	ruleColumnRequired          = NewRule("column.unexpected-required", Error, "a column only the compared database has, NOT NULL with no default", "every INSERT the application writes leaves it null, and fails")
	ruleColumnType              = NewRule("column.type", Error, "a column's type or collation", "writes that fit the expected type may not fit, and reads and comparisons change meaning")
	ruleColumnGenerated         = NewRule("column.generated", Error, "a column generated in one and not the other, or by another expression", "writes to it fail, or it holds other values")
	ruleColumnIdentity          = NewRule("column.identity", Error, "a column an identity in one and not the other, or ALWAYS against BY DEFAULT", "INSERTs that leave it out fail, or INSERTs that give it are refused")
	ruleColumnInheritance       = NewRule("column.inheritance", Notice, "a column declared by the table in one and only inherited in the other", "it has the same type and holds the same values either way")
	ruleDefaultRemoved          = NewRule("column.default-removed", Error, "a default the expected side declares is absent", "INSERTs that leave the column out, as the declared default lets them, store NULL — or fail on NOT NULL")
	ruleDefaultDiffers          = NewRule("column.default-differs", Error, "a column's default is another expression", "INSERTs that leave the column out store another value")
	ruleDefaultAdded            = NewRule("column.default-added", Warning, "a default only the compared database has", "INSERTs that leave the column out store the default instead of NULL; an application that names every column it writes does not notice")
	ruleNotNullAdded            = NewRule("column.not-null-added", Error, "a column NOT NULL in the compared database, nullable in the expected", "the application's writes of NULL, which the declared schema allows, fail")
	ruleNotNullDropped          = NewRule("column.not-null-dropped", Warning, "a column nullable in the compared database, NOT NULL in the expected", "the application's writes work; a NULL written by anything else reaches reads that assume none")
	ruleColumnStoragePlain      = NewRule("column.storage-plain", Error, "a column set to STORAGE PLAIN whose values can take more than about 2 kB (text, bytea, json, arrays; varchar(n) over 500)", "its values can neither be compressed nor moved out of line: a row over about 8 kB cannot be written (row is too big)")
	ruleColumnStorage           = NewRule("column.storage", Notice, "a column's STORAGE (EXTERNAL, MAIN, EXTENDED; PLAIN for values that stay short)", "it decides where long values are kept and whether they are compressed, not whether they can be written")
	ruleColumnCompression       = NewRule("column.compression", Notice, "a column's COMPRESSION method", "values are written and read the same; only how they are compressed differs")
	ruleConstraintMissing       = NewRule("constraint.missing", Error, "a primary key, unique, foreign key, check or exclusion constraint the expected side has is absent", "writes it would refuse are kept, and ON CONFLICT on a missing key fails")
	ruleConstraintUnexpected    = NewRule("constraint.unexpected", Warning, "a constraint only the compared database has", "it may refuse writes the declared schema accepts")
	ruleConstraintDiffers       = NewRule("constraint.differs", Error, "a constraint of the same name defined otherwise (columns, action, deferrability)", "it refuses other writes, or does something else on DELETE and UPDATE")
	ruleConstraintColumnOrder   = NewRule("constraint.column-order", Notice, "a primary key or unique constraint on the same columns in another order", "it refuses the same rows, and ON CONFLICT names its columns in any order; only which queries its index serves best differs")
	ruleConstraintRenamed       = NewRule("constraint.renamed", Notice, "a constraint defined the same under another name, which no migration file that can still run names", "it refuses the same writes; only an error message names it")
	ruleConstraintNotValid      = NewRule("constraint.not-valid", Warning, "a constraint NOT VALID in the compared database, validated in the expected", "new writes are checked; rows written before were never, and may break it")
	ruleConstraintValidatedHere = NewRule("constraint.validated-here", Notice, "a constraint validated in the compared database, NOT VALID in the expected", "it checks the same writes; only the rows written before were checked too")
	ruleConstraintUnenforced    = NewRule("constraint.unenforced", Error, "a constraint whose triggers are disabled (ALTER TABLE … DISABLE TRIGGER ALL, as an interrupted restore leaves it)", "a foreign key is not checked and its ON DELETE actions do not run: deleting a user leaves its refresh tokens live")

	ruleConstraintEnforcedHere = NewRule("constraint.enforced-here", Warning, "a constraint enforced in the compared database whose triggers the expected side disables", "it may refuse writes the declared schema accepts")

	ruleIndexMissingUnique    = NewRule("index.missing-unique", Error, "a unique index the expected side has is absent", "duplicates it would refuse are kept, and ON CONFLICT on it fails")
	ruleIndexMissing          = NewRule("index.missing", Warning, "an index the expected side declares is absent", "the queries it serves scan instead: slower, not wrong")
	ruleIndexUnexpectedUnique = NewRule("index.unexpected-unique", Warning, "a unique index only the compared database has", "it may refuse writes the declared schema accepts")
	ruleIndexUnexpected       = NewRule("index.unexpected", Notice, "an index only the compared database has (a DBA's, for a slow query)", "it costs writes a little and breaks nothing")
	ruleIndexDiffersUnique    = NewRule("index.differs-unique", Error, "an index of the same name defined otherwise, unique in either", "which writes it refuses changes")
	ruleIndexDiffers          = NewRule("index.differs", Warning, "an index of the same name on other columns, or otherwise defined", "the queries it was declared for may scan instead")
	ruleIndexRenamed          = NewRule("index.renamed", Notice, "an index defined the same under another name, which no migration file that can still run names", "queries use it the same")
	ruleIndexNotAttached      = NewRule("index.not-attached", Warning, "a partition's index on its own where the expected side has it attached to the parent's partitioned index", "queries on the partition use it the same, but the parent's index stays invalid until every partition's is attached: a unique one cannot serve ON CONFLICT, and the next migration's change to it misses this one")
	ruleIndexAttachedHere     = NewRule("index.attached-here", Notice, "a partition's index attached to the parent's where the expected side keeps it on its own", "queries use it the same; it goes when the parent's index is dropped")
	ruleIndexInvalid          = NewRule("index.invalid", Warning, "an index left invalid by a failed CREATE INDEX CONCURRENTLY", "queries do not use it, and a unique one still checks writes")

	ruleTriggerMissing      = NewRule("trigger.missing", Error, "a trigger the expected side has is absent", "what it does on the application's writes (a timestamp, a check, an audit row) is not done")
	ruleTriggerBefore       = NewRule("trigger.unexpected-before", Error, "a BEFORE or INSTEAD OF trigger only the compared database has", "it can change or drop the rows the application writes")
	ruleTriggerAfter        = NewRule("trigger.unexpected-after", Warning, "an AFTER trigger only the compared database has (an audit trigger)", "it runs with the application's writes, and an error in it fails them")
	ruleTriggerInert        = NewRule("trigger.unexpected-inert", Notice, "a trigger only the compared database has, disabled or firing only for replication", "it does not fire on the application's writes")
	ruleTriggerDiffers      = NewRule("trigger.differs", Error, "a trigger of the same name defined otherwise", "it fires on other writes, or runs something else")
	ruleTriggerDisabled     = NewRule("trigger.disabled", Error, "a trigger the expected side fires that does not fire (DISABLE TRIGGER; ENABLE REPLICA)", "what it does on the application's writes is not done")
	ruleTriggerEnabledOther = NewRule("trigger.enabled-differs", Warning, "a trigger that fires where the expected side's does not, or fires ALWAYS", "it runs on writes the declared schema does not run it on")
	rulePolicyMissing       = NewRule("policy.missing", Error, "a row level security policy the expected side has is absent", "rows the application should see or write are refused, or others are let through")
	rulePolicyDiffers       = NewRule("policy.differs", Error, "a policy of the same name defined otherwise", "which rows the application sees and may write changes")
	rulePolicyUnexpected    = NewRule("policy.unexpected", Error, "a policy only the compared database has, on a table with row level security on", "which rows the application sees and may write changes")
	rulePolicyInert         = NewRule("policy.unexpected-inert", Notice, "a policy only the compared database has, on a table with row level security off", "a policy does nothing while row level security is off")

	ruleViewMissing        = NewRule("view.missing", Error, "a view or materialized view the expected side has is absent", "the application's reads of it fail")
	ruleViewUnexpected     = NewRule("view.unexpected", Notice, "a view or materialized view only the compared database has (a reporting view)", "it reads the application's tables; nothing the application does uses it")
	ruleViewOptions        = NewRule("view.options", Warning, "a view's security_barrier, security_invoker or CHECK OPTION", "whose privileges and row level security its reads go by, what a leaky function in a query on it can see, or which writes through it are refused, changes")
	ruleStorageParameters  = NewRule("table.storage-parameters", Notice, "a table's or materialized view's storage parameters (fillfactor, autovacuum settings, its TOAST table's)", "they decide how rows are kept and when they are vacuumed, not what can be written or read")
	ruleViewDiffers        = NewRule("view.differs", Error, "a view of the same name defined otherwise", "the application's reads of it return something else")
	ruleFunctionMissing    = NewRule("function.missing", Error, "a function or procedure the expected side has is absent", "the defaults, triggers and queries that call it fail")
	ruleFunctionUnexpected = NewRule("function.unexpected", Notice, "a function or procedure only the compared database has", "nothing the application declares calls it")
	ruleFunctionDiffers    = NewRule("function.differs", Error, "a function of the same signature with another body or result", "what calls it gets something else")

	rulePrivilegeMissing       = NewRule("privilege.missing", Warning, "a privilege the expected side grants is absent", "the grantee loses it: if the application connects as that role, its queries fail")
	rulePrivilegeExtra         = NewRule("privilege.extra", Notice, "a privilege only the compared database grants, to a role, on something the application does not keep credentials in", "the application's own access is unchanged")
	ruleDefaultPrivileges      = NewRule("privilege.defaults", Notice, "what ALTER DEFAULT PRIVILEGES grants on the objects a role makes later", "it changes no object there is; a table a later migration makes may be granted otherwise (and the roles that make them differ between a scratch database and a deployment, so it is said, not judged)")
	ruleStatistics             = NewRule("statistics.differs", Notice, "an extended statistics object (CREATE STATISTICS) in one and not the other, or defined otherwise", "it informs the planner's estimates; queries return the same rows")
	rulePrivilegeGrantOption   = NewRule("privilege.grant-option", Notice, "the same privileges, with WITH GRANT OPTION in one and not the other", "the grantee's own access is the same; only whether it may grant them on differs")
	rulePrivilegeCredentials   = NewRule("privilege.credentials-readable", Warning, "a privilege to read a table, or a column, that holds credentials — a password, secret, token, hash or key, by its column's name — granted only in the compared database", "a role other than the application's can read what lets one sign in as its users")
	rulePublicationMissing     = NewRule("publication.missing", Warning, "a publication the expected side has is absent", "the subscribers of it stop receiving the application's changes")
	rulePublicationUnexpected  = NewRule("publication.unexpected", Notice, "a publication only the compared database has (change data capture)", "it reads the application's changes; the writes go on (unless a table it publishes cannot identify its rows: table.updates-refused)")
	rulePublicationDiffers     = NewRule("publication.differs", Notice, "a publication that publishes other tables or actions", "the application's writes go on (unless a table it publishes cannot identify its rows: table.updates-refused); its subscribers receive other changes")
	ruleEventTriggerMissing    = NewRule("event-trigger.missing", Error, "an event trigger the expected side has is absent", "what it does on DDL is not done")
	ruleEventTriggerOff        = NewRule("event-trigger.disabled", Error, "an event trigger the expected side fires that is disabled, or fires only for replication sessions", "what it does on DDL is not done")
	ruleEventTriggerRaises     = NewRule("event-trigger.unexpected-refuses", Error, "an enabled event trigger only the compared database has, whose function can raise an error (RAISE EXCEPTION, ASSERT, or a body that cannot be read), on every command or on those nearly every migration runs (CREATE TABLE, ALTER TABLE, CREATE INDEX, …)", "the next migration's DDL runs through it, and it can refuse it: the migration fails")
	ruleEventTriggerRaisesSome = NewRule("event-trigger.unexpected-refuses-some", Warning, "an enabled event trigger only the compared database has, whose function can raise an error, limited to commands migrations seldom run (WHEN TAG IN ('DROP TABLE'), a guard against accidents)", "a migration that runs one of those commands fails; the others go through")
	ruleEventTrigger           = NewRule("event-trigger.unexpected", Warning, "an enabled event trigger only the compared database has, whose function raises no error", "it runs with every DDL statement of the next migration")
	ruleEventTriggerDisabled   = NewRule("event-trigger.unexpected-disabled", Notice, "a disabled event trigger only the compared database has", "it does not run")
	ruleEventTriggerDiffers    = NewRule("event-trigger.differs", Warning, "an event trigger of the same name defined otherwise", "it runs something else, or on other DDL")

	ruleRuleUnexpected = NewRule("rule.unexpected", Error, "a rule (CREATE RULE) only the compared database has, on a table", "it rewrites the statements the application runs on that table: its writes or reads change meaning")
	ruleRuleMissing    = NewRule("rule.missing", Error, "a rule the expected side has is absent, or defined otherwise", "the application's statements on the table are no longer rewritten as they were written to be")
	ruleTypeMissing    = NewRule("type.missing", Error, "a domain, composite or range type, aggregate or foreign table the expected side has is absent", "the columns and queries that use it fail")
	ruleTypeDiffers    = NewRule("type.differs", Error, "a domain, composite or range type or aggregate defined otherwise", "the values it accepts or the results it gives change")
	ruleTypeUnexpected = NewRule("type.unexpected", Notice, "a domain, composite or range type, aggregate or foreign table only the compared database has", "nothing the application declares uses it")
	ruleNotCompared    = NewRule("not-compared", Notice, "an object of a kind this engine does not compare (a base type), in both", "said so it is never silently skipped: compare it by hand")
)
