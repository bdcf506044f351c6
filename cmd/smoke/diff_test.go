package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/appydex/smoke/harness/pgtest"
	"github.com/appydex/smoke/schema"
)

func diff(t *testing.T, args ...string) (int, string, string) {
	return smoke(t, nil, append([]string{"diff"}, args...)...)
}

// The question users ask first — what differs between two databases — and
// the SQL that settles it, applied as the usage says: in one transaction.
func TestDiffOfTwoDatabasesAndTheSQLThatMendsIt(t *testing.T) {
	t.Parallel()
	from, to := pgtest.Clone(t), pgtest.Clone(t)
	code, out, errOut := diff(t, from.URL, to.URL)
	require.Equal(t, exitOK, code, "two clones of one template: %s%s", out, errOut)
	assert.Contains(t, out, "are the same")

	from.Exec(t, `ALTER TABLE refresh_tokens DROP COLUMN token_hash;
		CREATE SCHEMA reporting; CREATE VIEW reporting.active AS SELECT id FROM public.users WHERE is_active`)
	code, out, errOut = diff(t, from.URL, to.URL)
	require.Equal(t, exitFailed, code, "%s%s", out, errOut)
	assert.Contains(t, out, "error   column refresh_tokens.token_hash: missing in FROM (TO has character varying(255)); fix: ALTER TABLE refresh_tokens ADD COLUMN token_hash character varying(255);")
	assert.Contains(t, out, "notice  schema reporting: unexpected in FROM, which TO does not have; fix: DROP SCHEMA reporting;")
	assert.Contains(t, out, "notice  view reporting.active: unexpected in FROM")
	assert.Regexp(t, `smoke diff: FROM \(127\.0\.0\.1:\d+/smoke_\w+\) differs from TO \(127\.0\.0\.1:\d+/smoke_\w+\): `+
		`5 differences \(3 errors, 2 notices\); --sql prints the SQL that turns FROM into TO\n$`, out)

	code, sql, errOut := diff(t, "--sql", from.URL, to.URL)
	require.Equal(t, exitFailed, code, errOut)
	assert.True(t, strings.HasPrefix(sql, "-- turns "), sql)
	assert.Less(t, strings.Index(sql, "DROP VIEW reporting.active"), strings.Index(sql, "DROP SCHEMA reporting"), "a dependent goes before what holds it:\n%s", sql)
	_, err := from.Pool.Exec(t.Context(), sql) // one simple query: one transaction
	require.NoError(t, err, sql)

	code, out, errOut = diff(t, from.URL, to.URL)
	assert.Equal(t, exitOK, code, "after the SQL: %s%s", out, errOut)
	code, sql, _ = diff(t, "--sql", from.URL, to.URL)
	assert.Equal(t, exitOK, code)
	assert.Contains(t, sql, "nothing to do")
}

// The exit code follows the severities: what fails nothing (notices, and
// warnings unless --strict) exits 0, and says so; an error exits 1.
func TestDiffExitsByWhatTheDifferencesDo(t *testing.T) {
	t.Parallel()
	from, to := pgtest.Clone(t), pgtest.Clone(t)
	from.Exec(t, `CREATE INDEX users_created_at_idx ON users (created_at)`) // a DBA's index: a notice
	code, out, errOut := diff(t, from.URL, to.URL)
	require.Equal(t, exitOK, code, "%s%s", out, errOut)
	assert.Contains(t, out, "notice  index users.users_created_at_idx: unexpected in FROM")
	assert.Contains(t, out, "why index.unexpected: ")
	assert.Regexp(t, `differs, by nothing that fails, from TO \(.*\): 1 difference \(1 notice\)`, out)
	code, _, _ = diff(t, "--exact", from.URL, to.URL)
	assert.Equal(t, exitFailed, code, "--exact fails on any difference")
	code, sql, _ := diff(t, "--sql", from.URL, to.URL)
	assert.Equal(t, exitFailed, code, "--sql exits 1 when it printed SQL to run")
	assert.Contains(t, sql, "DROP INDEX users_created_at_idx;")

	from.Exec(t, `DROP INDEX refresh_tokens_family_id_idx`) // a declared index gone: a warning
	code, out, errOut = diff(t, from.URL, to.URL)
	require.Equal(t, exitOK, code, "a warning fails only --strict: %s%s", out, errOut)
	code, out, errOut = diff(t, "--strict", "--json", from.URL, to.URL)
	require.Equal(t, exitFailed, code, "%s%s", out, errOut)
	var got diffJSON
	require.NoError(t, json.Unmarshal([]byte(out), &got), out)
	assert.Equal(t, schema.Counts{Warnings: 1, Notices: 1}, got.Counts)
	assert.False(t, got.Passed)
	assert.True(t, got.Strict)
	for _, f := range got.Findings {
		assert.NotEmpty(t, f.Rule, "%s", f)
		assert.NotEmpty(t, f.Reason, "%s", f)
	}

	from.Exec(t, `ALTER TABLE users ALTER COLUMN phone TYPE text`) // an error
	code, out, errOut = diff(t, from.URL, to.URL)
	assert.Equal(t, exitFailed, code, "%s%s", out, errOut)
}

// Against this checkout's migrations, a database's differences are judged
// in their context, as verify judges them: a constraint renamed where a
// migration file that can still run names it (000004's down file drops it
// by name) is an error; one only the applied up file names, a notice.
func TestDiffAgainstTheMigrationsJudgesRenamesByTheFiles(t *testing.T) {
	t.Parallel()
	db := pgtest.Clone(t)
	db.Exec(t, `ALTER TABLE users RENAME CONSTRAINT users_email_key TO users_email_unique`)
	code, out, errOut := diff(t, db.URL, "migrations")
	require.Equal(t, exitOK, code, "%s%s", out, errOut)
	assert.Contains(t, out, "notice  unique users.users_email_key: name differs")

	db.Exec(t, `ALTER TABLE refresh_tokens RENAME CONSTRAINT refresh_tokens_token_hash_key TO refresh_tokens_hash_unique`)
	code, out, errOut = diff(t, db.URL, "migrations")
	require.Equal(t, exitFailed, code, "%s%s", out, errOut)
	assert.Contains(t, out, "error   unique refresh_tokens.refresh_tokens_token_hash_key: name differs: defined the same, but named refresh_tokens_hash_unique here; "+
		"migrations/000004_add_refresh_tokens_token_hash.down.sql names it refresh_tokens_token_hash_key")
	assert.Contains(t, out, "why name.named-by-a-migration: ")
}

func TestDiffJSONAndSchemaFilters(t *testing.T) {
	t.Parallel()
	from, to := pgtest.Clone(t), pgtest.Clone(t)
	from.Exec(t, `CREATE SCHEMA scratch; CREATE TABLE scratch.notes (id int);
		ALTER TABLE users ALTER COLUMN phone TYPE text`)

	code, out, errOut := diff(t, "--json", from.URL, to.URL)
	require.Equal(t, exitFailed, code, errOut)
	var got diffJSON
	require.NoError(t, json.Unmarshal([]byte(out), &got), out)
	assert.False(t, got.Same)
	var objects []string
	for _, f := range got.Findings {
		objects = append(objects, string(f.ObjectType)+" "+f.Object)
	}
	assert.ElementsMatch(t, []string{"schema scratch", "table scratch.notes", "column users.phone"}, objects)
	assert.Contains(t, got.SQL, "DROP SCHEMA scratch;")
	assert.Regexp(t, `^FROM \(127\.0\.0\.1:\d+/smoke_\w+\)$`, got.From)

	code, out, _ = diff(t, "--json", "--schema", "public", from.URL, to.URL)
	require.Equal(t, exitFailed, code)
	require.NoError(t, json.Unmarshal([]byte(out), &got))
	require.Len(t, got.Findings, 1, out)
	assert.Equal(t, "users.phone", got.Findings[0].Object)

	code, out, _ = diff(t, from.URL, to.URL, "--exclude-schema", "scratch", "--exclude-schema", "nothing_by_this_name")
	require.Equal(t, exitFailed, code, "flags after the arguments count too")
	assert.NotContains(t, out, "scratch")
	assert.Contains(t, out, "users.phone")

	code, out, _ = diff(t, "--schema", "scratch", from.URL, to.URL)
	assert.Equal(t, exitProblem, code, "TO has no schema scratch: %s", out)
}

// migrations and model are schemas in a scratch database: the migrations
// agree with a clone of their own template and with the model.
func TestDiffAgainstTheMigrationsAndTheModel(t *testing.T) {
	t.Parallel()
	db := pgtest.Clone(t)
	args := append(onTestServer(t), "migrations", db.URL)
	code, out, errOut := diff(t, args...)
	require.Equal(t, exitOK, code, "%s%s", out, errOut)
	assert.Contains(t, out, "smoke diff: migrations and TO (127.0.0.1:")

	code, out, errOut = diff(t, append(onTestServer(t), "model", "migrations")...)
	require.Equal(t, exitOK, code, "%s%s", out, errOut)

	db.Exec(t, "ALTER TABLE refresh_tokens DROP COLUMN token_hash")
	code, out, _ = diff(t, append(onTestServer(t), db.URL, "model")...)
	require.Equal(t, exitFailed, code)
	assert.Contains(t, out, "column refresh_tokens.token_hash: missing in FROM")
	assert.Contains(t, out, "(model has character varying(255))")
}

func TestDiffUsageAndConnectionErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		args []string
		says string
	}{
		{[]string{"postgres://x@127.0.0.1/a"}, "diff needs two schemas, FROM and TO; got 1 argument(s)"},
		{[]string{"staging", "migrations"}, `FROM ("staging") is not a database URL (postgres://user@host:5432/db, or host=… dbname=…), migrations or model`},
		{[]string{"--sql", "--json", "model", "migrations"}, "--sql and --json: choose one"},
		{[]string{"--pg-source", "elsewhere", "model", "migrations"}, "elsewhere"},
	} {
		code, _, errOut := diff(t, tc.args...)
		assert.Equal(t, exitProblem, code, tc.args)
		assert.Contains(t, errOut, tc.says, tc.args)
	}

	// A database that does not answer: exit 2, and the password is not
	// shown.
	dead := "postgres://app:hunter2-secret@127.0.0.1:1/appydex?sslmode=disable"
	code, out, errOut := diff(t, dead, pgtest.Clone(t).URL)
	assert.Equal(t, exitProblem, code)
	assert.Contains(t, errOut, "127.0.0.1:1")
	assert.NotContains(t, out+errOut, "hunter2")
}

// diff only reads: it connects with default_transaction_read_only, so even
// a catalog read cannot write.
func TestDiffLeavesBothDatabasesAsTheyWere(t *testing.T) {
	t.Parallel()
	from, to := pgtest.Clone(t), pgtest.Clone(t)
	from.Exec(t, "ALTER TABLE users DROP COLUMN phone")
	before := snapshotOf(t, from.URL)
	code, _, _ := diff(t, "--sql", from.URL, to.URL)
	require.Equal(t, exitFailed, code)
	assert.Empty(t, schema.Lines(schema.Diff(before, snapshotOf(t, from.URL))), "printing the SQL applies none of it")
}

func snapshotOf(t *testing.T, url string) *schema.Snapshot {
	snap, err := schema.ReadSchemas(t.Context(), pgtest.Pool(t, url), schema.Filter{}, "db")
	require.NoError(t, err)
	return snap
}

// Where PostgreSQL forbids one transaction — a new enum label used by the
// same script — --sql says so first, and prints each transaction labelled
// and framed, to run in order; run so, it mends FROM.
func TestDiffSQLInTransactionsWhereOneIsForbidden(t *testing.T) {
	t.Parallel()
	from, to := pgtest.Empty(t), pgtest.Empty(t)
	from.Exec(t, `CREATE TYPE state AS ENUM ('open', 'closed');
		CREATE TABLE tickets (id int PRIMARY KEY, state state NOT NULL DEFAULT 'open')`)
	to.Exec(t, `CREATE TYPE state AS ENUM ('new', 'open', 'closed');
		CREATE TABLE tickets (id int PRIMARY KEY, state state NOT NULL DEFAULT 'new')`)

	code, sql, errOut := diff(t, "--sql", from.URL, to.URL)
	require.Equal(t, exitFailed, code, errOut)
	first, _, _ := strings.Cut(sql, "\n")
	assert.Contains(t, first, "2 transactions, in order — not one", "the first line says it:\n%s", sql)
	assert.NotContains(t, sql, "--single-transaction -v", "the usage must not suggest one transaction:\n%s", sql)
	labels, rest, ok := strings.Cut(sql, "-- transaction 2 of 2")
	require.True(t, ok, sql)
	assert.Contains(t, labels, "-- transaction 1 of 2: up to the enum labels added")
	assert.Contains(t, labels, "ADD VALUE 'new'")
	assert.Contains(t, rest, "SET DEFAULT 'new'")
	assert.Equal(t, 2, strings.Count(sql, "BEGIN;\n"), sql)
	assert.Equal(t, 2, strings.Count(sql, "COMMIT;\n"), sql)

	_, out, _ := diff(t, "--json", from.URL, to.URL)
	var got diffJSON
	require.NoError(t, json.Unmarshal([]byte(out), &got), out)
	require.Len(t, got.Transactions, 2, out)
	assert.Equal(t, got.SQL, append(got.Transactions[0].Statements, got.Transactions[1].Statements...), "sql is the transactions, one after the other")

	_, err := from.Pool.Exec(t.Context(), sql) // as psql runs the file: each BEGIN … COMMIT its own
	require.NoError(t, err, sql)
	code, out, errOut = diff(t, "--exact", from.URL, to.URL)
	assert.Equal(t, exitOK, code, "after the SQL: %s%s", out, errOut)
}

// Tables that are not the application's are left out by name or pattern,
// with what is theirs alone, and the summary says how many.
func TestDiffLeavesOutTheTablesItIsToldAreNotOurs(t *testing.T) {
	t.Parallel()
	from, to := pgtest.Empty(t), pgtest.Empty(t)
	to.Exec(t, `CREATE TABLE users (id int PRIMARY KEY)`)
	from.Exec(t, `CREATE TABLE users (id int PRIMARY KEY);
		CREATE TABLE legacy_jobs (id serial PRIMARY KEY); CREATE TABLE legacy_runs (id int)`)
	code, out, errOut := diff(t, from.URL, to.URL)
	require.Equal(t, exitOK, code, "%s%s", out, errOut)
	assert.Contains(t, out, "table legacy_jobs: unexpected in FROM")

	code, out, errOut = diff(t, "--exclude-table", "legacy_*", "--exact", from.URL, to.URL)
	require.Equal(t, exitOK, code, "%s%s", out, errOut)
	assert.Contains(t, out, "smoke diff: 2 tables (with 1 sequence of theirs) left out by --exclude-table: not compared\n")
	assert.Contains(t, out, "are the same")
	code, out, _ = diff(t, "--table", "users", "--sql", from.URL, to.URL)
	assert.Equal(t, exitOK, code, out)
	assert.Contains(t, out, "-- 2 tables (with 1 sequence of theirs) left out by --table: not compared\n")

	code, _, errOut = diff(t, "--exclude-table", "legacy_[", from.URL, to.URL)
	assert.Equal(t, exitProblem, code)
	assert.Contains(t, errOut, `table pattern "legacy_[" (--exclude-table)`)
}
