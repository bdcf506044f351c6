package main

import (
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/appydex/smoke/harness/pgtest"
	"github.com/appydex/smoke/harness/report"
)

// A production database carries what its migrations never made — a
// monitoring extension and role, a DBA's indexes, reporting views, change
// data capture, an audit trigger — and the gate passes it, showing them;
// read as a role granted only SELECT, as docs/flow.md asks for. --strict
// fails its warnings.
func TestVerifyPassesAProductionLikeDatabase(t *testing.T) {
	t.Parallel()
	db := pgtest.Clone(t)
	live, err := os.ReadFile("../../fixtures/drift/80-production-like/live.sql")
	require.NoError(t, err)
	db.Exec(t, string(live))
	reader := readOnlyRole(t, db)

	code, out, errOut := verify(t, nil, reader, "--json")
	require.Equal(t, exitOK, code, "stdout:\n%s\nstderr:\n%s", out, errOut)
	var rep report.Report
	require.NoError(t, json.Unmarshal([]byte(out), &rep), out)
	assert.True(t, rep.Passed)
	assert.Zero(t, rep.Counts.Errors)
	assert.NotZero(t, rep.Counts.Notices, "the harmless drift is shown")
	assert.NotZero(t, rep.Counts.Warnings, "a monitoring role that can read refresh_tokens is a risk to see")

	code, out, errOut = verify(t, nil, reader, "--strict")
	require.Equal(t, exitFailed, code, "stdout:\n%s\nstderr:\n%s", out, errOut)
	assert.Contains(t, out, "warning privilege refresh_tokens: privileges differ: migrations has none, live has smoke_fixture_80_monitor: SELECT")
	assert.Regexp(t, `FAIL with \d+ warnings, \d+ notices \(strict: warnings fail\): do not deploy`, out)
}

// What stops every write fails the gate though the schema is the same: a
// database whose sessions start read-only, a role the application connects
// as made read-only (named with --app-role).
func TestVerifyFailsWhatStopsWrites(t *testing.T) {
	t.Parallel()
	db := pgtest.Clone(t)
	db.Exec(t, `DO $$ BEGIN EXECUTE format('ALTER DATABASE %I SET default_transaction_read_only = on', current_database()); END $$`)
	code, out, errOut := verify(t, nil, db.URL)
	require.Equal(t, exitFailed, code, "stdout:\n%s\nstderr:\n%s", out, errOut)
	assert.Contains(t, out, "error   setting default_transaction_read_only: set for its sessions: the database sets default_transaction_read_only = on")
	assert.Contains(t, out, "why setting.read-only: ")

	db = pgtest.Clone(t)
	role := fmt.Sprintf("smoke_app_%d", time.Now().UnixNano())
	db.Exec(t, "CREATE ROLE "+role+" NOLOGIN")
	t.Cleanup(func() { dropRole(t, db, role) })
	db.Exec(t, "ALTER ROLE "+role+" SET default_transaction_read_only = on")
	code, out, errOut = verify(t, nil, db.URL)
	require.Equal(t, exitOK, code, "a role no one says the application uses, which owns and may write nothing: %s%s", out, errOut)
	code, out, errOut = verify(t, nil, db.URL, "--app-role", role)
	require.Equal(t, exitFailed, code, "stdout:\n%s\nstderr:\n%s", out, errOut)
	assert.Contains(t, out, "role "+role+" sets default_transaction_read_only = on")
	assert.Contains(t, out, "error   role "+role+": cannot connect")
}

// readOnlyRole makes a role granted SELECT on db's tables, as a deployment
// gives its checks, and returns db's URL as that role.
func readOnlyRole(t *testing.T, db *pgtest.DB) string {
	role := fmt.Sprintf("smoke_reader_%d", time.Now().UnixNano())
	db.Exec(t, "CREATE ROLE "+role+" LOGIN PASSWORD 'reader-pass-1'; GRANT SELECT ON ALL TABLES IN SCHEMA public TO "+role)
	t.Cleanup(func() { dropRole(t, db, role) })
	u, err := url.Parse(db.URL)
	require.NoError(t, err)
	u.User = url.UserPassword(role, "reader-pass-1")
	return u.String()
}

// dropRole drops a role a test made, and what it was granted in db.
func dropRole(t *testing.T, db *pgtest.DB, role string) {
	ctx := t.Context()
	conn, err := pgx.Connect(ctx, db.URL)
	if err != nil {
		return
	}
	defer conn.Close(ctx)
	_, _ = conn.Exec(ctx, "SET default_transaction_read_only = off")
	_, _ = conn.Exec(ctx, "DROP OWNED BY "+role)
	_, _ = conn.Exec(ctx, "DROP ROLE "+role)
}
