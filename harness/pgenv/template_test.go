package pgenv_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/appydex/smoke/harness/migrator"
	"github.com/appydex/smoke/harness/pgenv"
	"github.com/appydex/smoke/harness/pgtest"
)

// scratchMigrations is a migration set of its own, so these tests build
// templates no other test shares.
func scratchMigrations(t *testing.T, extra ...string) fstest.MapFS {
	fsys := fstest.MapFS{
		"000001_a.up.sql":   {Data: []byte("CREATE TABLE a (id int PRIMARY KEY); -- " + t.Name() + "\n")},
		"000001_a.down.sql": {Data: []byte("DROP TABLE a;\n")},
		"000002_b.up.sql":   {Data: []byte("ALTER TABLE a ADD COLUMN b text;\n")},
		"000002_b.down.sql": {Data: []byte("ALTER TABLE a DROP COLUMN b;\n")},
	}
	for i := 0; i+1 < len(extra); i += 2 {
		fsys[extra[i]] = &fstest.MapFile{Data: []byte(extra[i+1])}
	}
	return fsys
}

// databases lists the databases whose names start with prefix, with their oids.
func databases(t *testing.T, srv *pgenv.Server, prefix string) map[string]uint32 {
	t.Helper()
	ctx := t.Context()
	conn, err := pgx.Connect(ctx, srv.AdminURL())
	require.NoError(t, err)
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, "SELECT datname, oid FROM pg_database WHERE starts_with(datname, $1)", prefix)
	require.NoError(t, err)
	got := map[string]uint32{}
	var name string
	var oid uint32
	_, err = pgx.ForEachRow(rows, []any{&name, &oid}, func() error { got[name] = oid; return nil })
	require.NoError(t, err)
	return got
}

func TestTemplateIsBuiltOncePerSetOfFiles(t *testing.T) {
	srv := pgtest.Server(t)
	ctx := t.Context()
	fsys := scratchMigrations(t)

	first, err := srv.Template(ctx, fsys, "scratch")
	require.NoError(t, err)
	built := databases(t, srv, first.Name())
	require.Contains(t, built, first.Name())

	again, err := srv.Template(ctx, fsys, "scratch")
	require.NoError(t, err)
	assert.Equal(t, first.Name(), again.Name())
	assert.Equal(t, built, databases(t, srv, first.Name()), "the same files must reuse the template, not rebuild it")

	edited := scratchMigrations(t)
	edited["000002_b.up.sql"] = &fstest.MapFile{Data: []byte("ALTER TABLE a ADD COLUMN b integer;\n")}
	changed, err := srv.Template(ctx, edited, "scratch")
	require.NoError(t, err)
	assert.NotEqual(t, first.Name(), changed.Name(), "an edited migration must give a new template")

	db := pgtest.CloneOf(t, changed)
	var typ string
	require.NoError(t, db.Pool.QueryRow(ctx, "SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = 'a'::regclass AND attname = 'b'").Scan(&typ))
	assert.Equal(t, "integer", typ, "the clone must carry the edited migration")
}

func TestHalfBuiltTemplateIsNeverUsed(t *testing.T) {
	srv := pgtest.Server(t)
	ctx := context.Background()

	broken := scratchMigrations(t, "000003_c.up.sql", "ALTER TABLE a ADD COLUMN c nosuchtype;\n")
	_, err := srv.Template(ctx, broken, "scratch")
	require.Error(t, err)
	var mErr *migrator.MigrationError
	require.ErrorAs(t, err, &mErr)
	assert.Equal(t, "scratch/000003_c.up.sql", mErr.File)
	hash, err := pgenv.HashFiles(broken)
	require.NoError(t, err)
	assert.Empty(t, databases(t, srv, "smoke_tpl_"+hash[:16]), "a failed build must leave neither a template nor its build database")

	// A build whose process was killed leaves its build database behind: the
	// next build of the same files removes it and builds afresh. The files
	// are this run's own: a kept server (SMOKE_REUSE=1) still holds the
	// template of an earlier run's, which would need no build.
	good := scratchMigrations(t, "000003_run.up.sql", fmt.Sprintf("-- run %d\nSELECT 1;\n", time.Now().UnixNano()))
	hash, err = pgenv.HashFiles(good)
	require.NoError(t, err)
	stale := "smoke_tpl_" + hash[:16] + "_build_dead"
	admin := pgtest.Pool(t, srv.AdminURL())
	_, err = admin.Exec(ctx, "CREATE DATABASE "+stale)
	require.NoError(t, err)

	tpl, err := srv.Template(ctx, good, "scratch")
	require.NoError(t, err)
	t.Cleanup(func() { // nobody else builds these files: leave no template on a kept server
		admin.Exec(ctx, "ALTER DATABASE "+tpl.Name()+" IS_TEMPLATE false")
		admin.Exec(ctx, "DROP DATABASE IF EXISTS "+tpl.Name()+" WITH (FORCE)")
	})
	got := databases(t, srv, tpl.Name())
	assert.Contains(t, got, tpl.Name())
	assert.NotContains(t, got, stale)
}

func TestCloneNamesStayWithinPostgresLimit(t *testing.T) {
	tpl := pgtest.Template(t)
	db := pgtest.CloneOf(t, tpl)
	assert.LessOrEqual(t, len(db.Name), 63, "PostgreSQL truncates names past 63 bytes: %q", db.Name)
	assert.True(t, strings.HasPrefix(db.Name, tpl.Name()))
}

// Clones made ahead are as fresh as clones made on demand, each handed out
// once; on a shared (external) server the ones nobody took are dropped when
// the server closes, with the template once its last user is gone.
func TestPrefetchedClonesAreFreshAndDroppedAtClose(t *testing.T) {
	ctx := t.Context()
	srv, err := pgenv.Start(ctx, pgenv.Config{Source: pgenv.External, URL: pgtest.Server(t).AdminURL()})
	require.NoError(t, err)
	tpl, err := srv.Template(ctx, scratchMigrations(t), "scratch")
	require.NoError(t, err)
	tpl.Prefetch(2)
	require.Eventually(t, func() bool { return len(databases(t, srv, tpl.Name()+"_")) == 2 }, 10*time.Second, 10*time.Millisecond,
		"two clones made ahead")

	seen := map[string]bool{}
	for i := range 4 { // two from the pool, then ones made while it refills
		db, err := tpl.Clone(ctx)
		require.NoError(t, err)
		require.False(t, seen[db.Name], "handed out twice: %s", db.Name)
		seen[db.Name] = true
		pool := pgtest.Pool(t, db.URL)
		var rows int
		require.NoError(t, pool.QueryRow(ctx, "SELECT count(*) FROM a").Scan(&rows))
		assert.Zero(t, rows, "clone %d holds what another test wrote", i)
		_, err = pool.Exec(ctx, "INSERT INTO a (id, b) VALUES (1, 'written by a test')")
		require.NoError(t, err)
		pool.Close()
	}

	require.NoError(t, srv.Close(ctx))
	assert.Empty(t, databases(t, pgtest.Server(t), tpl.Name()), "the template, its clones and those made ahead are gone")
}
