package pgtest_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/appydex/smoke/harness/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// Twenty tests at once each get a migrated database no other test sees.
func TestParallelClonesAreIsolated(t *testing.T) {
	for i := range 20 {
		t.Run(fmt.Sprintf("clone %02d", i), func(t *testing.T) {
			t.Parallel()
			ctx := t.Context()
			db := pgtest.Clone(t)
			conn := db.Pool

			var n int
			require.NoError(t, conn.QueryRow(ctx, "SELECT count(*) FROM users").Scan(&n))
			require.Equal(t, 0, n, "a fresh clone must hold no rows from other tests")

			email := fmt.Sprintf("clone%02d@appydex.local", i)
			_, err := conn.Exec(ctx, "INSERT INTO users (email, password_hash) VALUES ($1, 'x')", email)
			require.NoError(t, err)
			// Unique emails are per database: every clone can hold the same one.
			_, err = conn.Exec(ctx, "INSERT INTO users (email, password_hash) VALUES ('same@appydex.local', 'x')")
			require.NoError(t, err)

			rows, err := conn.Query(ctx, "SELECT email FROM users ORDER BY email")
			require.NoError(t, err)
			emails, err := pgx.CollectRows(rows, pgx.RowTo[string])
			require.NoError(t, err)
			assert.Equal(t, []string{email, "same@appydex.local"}, emails)
		})
	}
}

func TestCloneHoldsEveryMigration(t *testing.T) {
	ctx := t.Context()
	conn := pgtest.Clone(t).Pool
	var version int
	var dirty bool
	require.NoError(t, conn.QueryRow(ctx, "SELECT version, dirty FROM schema_migrations").Scan(&version, &dirty))
	assert.Equal(t, 4, version)
	assert.False(t, dirty)
	var hasHash bool
	require.NoError(t, conn.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM information_schema.columns
		WHERE table_name = 'refresh_tokens' AND column_name = 'token_hash')`).Scan(&hasHash))
	assert.True(t, hasHash, "refresh_tokens.token_hash")
}

// recordingTB stands in for a test whose outcome this test decides.
type recordingTB struct {
	testing.TB
	failed   bool
	cleanups []func()
	logs     []string
}

func (r *recordingTB) Failed() bool            { return r.failed }
func (r *recordingTB) Cleanup(f func())        { r.cleanups = append(r.cleanups, f) }
func (r *recordingTB) Logf(f string, a ...any) { r.logs = append(r.logs, fmt.Sprintf(f, a...)) }
func (r *recordingTB) runCleanups() {
	for i := len(r.cleanups) - 1; i >= 0; i-- {
		r.cleanups[i]()
	}
}

func TestCloneIsDroppedWhenTheTestPassesAndKeptWhenItFails(t *testing.T) {
	ctx := context.Background()
	pool := pgtest.Pool(t, pgtest.Server(t).AdminURL())
	exists := func(name string) bool {
		var ok bool
		require.NoError(t, pool.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", name).Scan(&ok))
		return ok
	}

	passed := &recordingTB{TB: t}
	db := pgtest.Clone(passed)
	require.True(t, exists(db.Name))
	passed.runCleanups()
	assert.False(t, exists(db.Name), "a passing test's database must be dropped")

	failed := &recordingTB{TB: t, failed: true}
	db = pgtest.Clone(failed)
	failed.runCleanups()
	t.Cleanup(func() { pool.Exec(ctx, "DROP DATABASE IF EXISTS "+db.Name+" WITH (FORCE)") })
	assert.True(t, exists(db.Name), "a failing test's database must be kept")
	require.Len(t, failed.logs, 1)
	assert.Contains(t, failed.logs[0], "kept database "+db.Name)
	// The log says where, never the password: the URL, password and all,
	// is in a file only its owner reads, which the log names.
	assert.NotContains(t, failed.logs[0], "postgres://", "the log must not give the URL and its password: %s", failed.logs[0])
	_, after, found := strings.Cut(failed.logs[0], `psql "$(cat `)
	require.True(t, found, "the log says how to connect: %s", failed.logs[0])
	file := strings.TrimSuffix(after, `)"`)
	t.Cleanup(func() { os.Remove(file) })
	info, err := os.Stat(file)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), info.Mode().Perm(), "only its owner reads the URL")
	url, err := os.ReadFile(file)
	require.NoError(t, err)
	assert.Equal(t, db.URL+"\n", string(url))
}
