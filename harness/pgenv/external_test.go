package pgenv_test

import (
	"context"
	"fmt"
	"os/exec"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/appydex/smoke/harness/owner"
	"github.com/appydex/smoke/harness/pgenv"
	"github.com/appydex/smoke/harness/pgtest"
)

// The external source is tried against a server reached by URL, as a user's
// shared server would be. The test compares every database on it before
// and after, so it has a server of its own: on the one a whole go test
// ./... shares, other packages make and drop databases all the while.
func TestExternalSourceTouchesOnlyItsOwnDatabases(t *testing.T) {
	host := pgtest.OwnServer(t, "it compares the whole list of the server's databases before and after")
	ctx := context.Background()
	url := host.AdminURL()

	// A database of the server's users, which the harness must leave alone.
	admin := pgtest.Pool(t, url)
	userDB := fmt.Sprintf("appydex_dev_%d", len(t.Name()))
	_, err := admin.Exec(ctx, "CREATE DATABASE "+userDB)
	require.NoError(t, err)
	t.Cleanup(func() { admin.Exec(ctx, "DROP DATABASE IF EXISTS "+userDB+" WITH (FORCE)") })
	userConn, err := pgx.Connect(ctx, host.URL(userDB))
	require.NoError(t, err)
	_, err = userConn.Exec(ctx, "CREATE TABLE keep (v text); INSERT INTO keep VALUES ('untouched')")
	require.NoError(t, err)
	userConn.Close(ctx)
	before := databases(t, host, "")

	// Two runs at once, as two packages of one go test ./... would be.
	fsys := scratchMigrations(t)
	first, err := pgenv.Start(ctx, pgenv.Config{Source: pgenv.External, URL: url})
	require.NoError(t, err)
	second, err := pgenv.Start(ctx, pgenv.Config{Source: pgenv.External, URL: url})
	require.NoError(t, err)
	tpl1, err := first.Template(ctx, fsys, "scratch")
	require.NoError(t, err)
	tpl2, err := second.Template(ctx, fsys, "scratch")
	require.NoError(t, err)
	require.Equal(t, tpl1.Name(), tpl2.Name())
	for _, tpl := range []*pgenv.Template{tpl1, tpl2} {
		db, err := tpl.Clone(ctx)
		require.NoError(t, err)
		require.True(t, strings.HasPrefix(db.Name, "smoke_"), "clone %q", db.Name)
	}

	require.NoError(t, first.Close(ctx))
	assert.Contains(t, databases(t, host, ""), tpl1.Name(), "the template must stay while another run clones from it")
	db, err := tpl2.Clone(ctx)
	require.NoError(t, err, "the second run must still clone after the first closed")
	require.NoError(t, second.Close(ctx))

	assert.Equal(t, before, databases(t, host, ""), "after both runs the server must hold exactly the databases it held before")
	userConn, err = pgx.Connect(ctx, host.URL(userDB))
	require.NoError(t, err)
	defer userConn.Close(ctx)
	var v string
	require.NoError(t, userConn.QueryRow(ctx, "SELECT v FROM keep").Scan(&v))
	assert.Equal(t, "untouched", v)
	assert.NotContains(t, databases(t, host, ""), db.Name)
}

func TestExternalSourceMasksThePasswordOfABadURL(t *testing.T) {
	ctx := t.Context()
	for _, tc := range []struct{ name, url, want string }{
		{"nothing listens", "postgres://smoke:s3cret-pw@127.0.0.1:1/postgres", "127.0.0.1:1"},
		{"malformed port", "postgres://smoke:s3cret-pw@127.0.0.1:port/postgres", "does not parse: invalid port"},
		{"wrong scheme", "mysql://smoke:s3cret-pw@127.0.0.1/postgres", "not a postgres://"},
		{"keyword form", "host=127.0.0.1 port=1 password=s3cret-pw", "not a postgres://"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := pgenv.Start(ctx, pgenv.Config{Source: pgenv.External, URL: tc.url})
			require.Error(t, err)
			t.Logf("Start: %v", err)
			assert.NotContains(t, err.Error(), "s3cret-pw")
			assert.Contains(t, err.Error(), tc.want)
		})
	}
	_, err := pgenv.Start(ctx, pgenv.Config{Source: pgenv.External})
	require.Error(t, err)
	assert.Contains(t, err.Error(), pgenv.EnvURL, "an empty URL must say which variable to set")
}

// A run killed on an external server leaves what it made; the next run
// sweeps it — databases marked as made by a process that is gone, and a
// template no run uses — and nothing else: a live run's database, one
// nobody marked, and the server's own databases stay.
func TestExternalSourceSweepsWhatAStoppedRunLeft(t *testing.T) {
	host := pgtest.OwnServer(t, "it compares the whole list of the server's databases before and after")
	ctx := t.Context()
	url := host.AdminURL()
	admin := pgtest.Pool(t, url)

	run, err := pgenv.Start(ctx, pgenv.Config{Source: pgenv.External, URL: url})
	require.NoError(t, err)
	live, err := run.NewDatabase(ctx)
	require.NoError(t, err)
	var mark string
	require.NoError(t, admin.QueryRow(ctx, "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = $1", live.Name).Scan(&mark))
	assert.Equal(t, "appydex-smoke: made by "+owner.Current().String(), mark, "what the harness makes on a shared server says whose it is")

	exited := exec.Command("true")
	require.NoError(t, exited.Run())
	gone := owner.Current()
	gone.PID, gone.Start = exited.Process.Pid, ""
	for _, sql := range []string{
		"CREATE DATABASE smoke_left_by_a_killed_run",
		"COMMENT ON DATABASE smoke_left_by_a_killed_run IS 'appydex-smoke: made by " + gone.String() + "'",
		"CREATE DATABASE smoke_tpl_0123456789abcdef IS_TEMPLATE true",
		"CREATE DATABASE smoke_unmarked",
		"CREATE DATABASE appydex_dev_sweep",
	} {
		_, err := admin.Exec(ctx, sql)
		require.NoError(t, err, sql)
	}
	t.Cleanup(func() {
		for _, db := range []string{"smoke_unmarked", "appydex_dev_sweep", "smoke_left_by_a_killed_run"} {
			admin.Exec(context.Background(), "DROP DATABASE IF EXISTS "+db)
		}
		admin.Exec(context.Background(), "ALTER DATABASE smoke_tpl_0123456789abcdef IS_TEMPLATE false")
		admin.Exec(context.Background(), "DROP DATABASE IF EXISTS smoke_tpl_0123456789abcdef")
	})

	var said strings.Builder
	next, err := pgenv.Start(ctx, pgenv.Config{Source: pgenv.External, URL: url, Logf: func(f string, a ...any) { fmt.Fprintf(&said, f+"\n", a...) }})
	require.NoError(t, err)
	defer next.Close(ctx)
	after := databases(t, host, "")
	assert.NotContains(t, after, "smoke_left_by_a_killed_run", "marked as made by a process that is gone:\n%s", said.String())
	assert.NotContains(t, after, "smoke_tpl_0123456789abcdef", "a template no run uses")
	assert.Contains(t, after, live.Name, "a live run's database stays")
	assert.Contains(t, after, "smoke_unmarked", "nothing says whose it is: it stays")
	assert.Contains(t, after, "appydex_dev_sweep")
	assert.Contains(t, said.String(), "left smoke_unmarked on the external server")
	require.NoError(t, run.Close(ctx))
}
