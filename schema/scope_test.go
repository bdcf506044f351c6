package schema_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/appydex/smoke/harness/pgtest"
	"github.com/appydex/smoke/schema"
)

// A project keeps some tables out of its models on purpose, as alembic's
// include_object does; left out by name or pattern, they go with what is
// theirs alone — owned sequences, the enums and domains only they use, the
// views built on them — and a model-versus-migrations comparison says what
// the project itself would: here, only the primary key the migrations
// never made.
func TestLeaveOutTakesTheTablesThatAreNotOursWithWhatIsTheirs(t *testing.T) {
	models, migrated := pgtest.Empty(t), pgtest.Empty(t)
	ours := `CREATE TYPE status AS ENUM ('open', 'closed');
		CREATE TABLE users (id serial PRIMARY KEY, email text NOT NULL);
		CREATE TABLE orders (id int, status status NOT NULL);`
	models.Exec(t, ours+`ALTER TABLE orders ADD PRIMARY KEY (id);`)
	migrated.Exec(t, ours+`
		CREATE TYPE event_kind AS ENUM ('a', 'b');
		CREATE DOMAIN code AS text CHECK (VALUE <> '');
		CREATE TABLE legacy_events (id bigserial PRIMARY KEY, kind event_kind, status status, code code, user_id int REFERENCES users);
		CREATE INDEX ON legacy_events (kind);
		CREATE VIEW legacy_summary AS SELECT kind, count(*) FROM legacy_events GROUP BY kind;
		CREATE VIEW legacy_counts AS SELECT * FROM legacy_summary;
		CREATE SCHEMA audit;
		CREATE TABLE audit.log (id int, at timestamptz);`)
	want, got := readAll(t, models, "model"), readAll(t, migrated, "migrations")
	require.Greater(t, len(schema.Diff(want, got)), 5, "before: every table that is not ours, and what is theirs")

	scope := schema.Scope{ExcludeTables: []string{"legacy_*", "audit.*"}, By: "the test"}
	require.NoError(t, scope.Check())
	assert.Equal(t, schema.LeftOut{}, want.LeaveOut(scope), "the models have none of them")
	left := got.LeaveOut(scope)
	assert.Equal(t, schema.LeftOut{
		Tables:    []string{"audit.log", "legacy_events"},
		Sequences: []string{"legacy_events_id_seq"},
		Types:     []string{"event_kind", "domain code"},
		Views:     []string{"legacy_counts", "legacy_summary"},
	}, left, "the enum status is ours too: it stays")
	assert.Equal(t, "2 tables (with 1 sequence, 2 types and 2 views of theirs)", left.String())
	assert.Equal(t,
		"warning column orders.id: nullability differs: model has NOT NULL, migrations has NULL; fix: ALTER TABLE orders ALTER COLUMN id SET NOT NULL;\n"+
			"error   primary key orders.orders_pkey: missing in migrations (model has PRIMARY KEY (id)); fix: ALTER TABLE orders ADD CONSTRAINT orders_pkey PRIMARY KEY (id);\n",
		schema.Lines(schema.Diff(want, got)), "what is ours is still compared, and a key the migrations never made still found; the schema audit held only what is left out")
}

// --table keeps only the tables it names; a pattern PostgreSQL's names
// cannot hold is refused, naming it.
func TestScopeOfOnlySomeTables(t *testing.T) {
	db := pgtest.Empty(t)
	db.Exec(t, `CREATE TABLE auth_users (id int); CREATE TABLE auth_sessions (id int); CREATE TABLE billing (id serial)`)
	snap := readAll(t, db, "db")
	left := snap.LeaveOut(schema.Scope{Tables: []string{"auth_*"}})
	assert.Equal(t, []string{"billing"}, left.Tables)
	assert.Equal(t, []string{"billing_id_seq"}, left.Sequences)
	assert.ElementsMatch(t, []string{"auth_users", "auth_sessions"}, keys(snap.Tables))

	err := schema.Scope{ExcludeTables: []string{"legacy_["}, By: "--exclude-table"}.Check()
	require.Error(t, err)
	assert.Contains(t, err.Error(), `"legacy_["`)
	assert.Contains(t, err.Error(), "--exclude-table")
}
