package drift_test

import (
	"testing"
	"testing/fstest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/appydex/smoke/harness/drift"
	"github.com/appydex/smoke/harness/live"
	"github.com/appydex/smoke/harness/migrator"
	"github.com/appydex/smoke/harness/pgtest"
	"github.com/appydex/smoke/schema"
)

// Three migrations: the first makes a table with an index whose name no
// file writes (PostgreSQL names it t_a_idx), one whose name it writes and
// its down file drops by name, and one whose name it writes alone; the
// second adds a column, the third drops another.
var contextFiles = fstest.MapFS{
	"000001_t.up.sql":      {Data: []byte("CREATE TABLE t (id int PRIMARY KEY, a int, b int, c int);\nCREATE INDEX ON t (a);\nCREATE INDEX t_b_idx ON t (b);\nCREATE INDEX t_ab_idx ON t (a, b);\n")},
	"000001_t.down.sql":    {Data: []byte("DROP INDEX t_b_idx;\nDROP TABLE t;\n")},
	"000002_d.up.sql":      {Data: []byte("ALTER TABLE t ADD COLUMN d int;\n")},
	"000002_d.down.sql":    {Data: []byte("ALTER TABLE t DROP COLUMN d;\n")},
	"000003_no_c.up.sql":   {Data: []byte("-- c was never used\nALTER TABLE t DROP COLUMN c;\n")},
	"000003_no_c.down.sql": {Data: []byte("ALTER TABLE t ADD COLUMN c int;\n")},
}

// checkAgainst is the pre-deploy check of db against contextFiles.
func checkAgainst(t *testing.T, db *pgtest.DB) []schema.Finding {
	ctx := t.Context()
	want, err := drift.FromMigrations(ctx, pgtest.Server(t), contextFiles, "migrations", 0)
	require.NoError(t, err)
	conn, err := live.Connect(ctx, db.URL)
	require.NoError(t, err)
	defer conn.Close(ctx)
	report, err := drift.CheckLive(ctx, conn, drift.LiveOptions{Migrations: want, FS: contextFiles, Dir: "migrations"})
	require.NoError(t, err)
	return report.Findings()
}

func byObject(findings []schema.Finding) map[string]schema.Finding {
	out := map[string]schema.Finding{}
	for _, f := range findings {
		out[string(f.ObjectType)+" "+f.Object] = f
	}
	return out
}

// A renamed index is harmless where no migration file that can still run
// names it, and an error where one does: that file fails. An up file
// already applied does not run again.
func TestARenamedIndexIsAnErrorOnlyWhereAFileThatCanRunNamesIt(t *testing.T) {
	db := pgtest.CloneOf(t, pgtest.TemplateOf(t, contextFiles, "migrations"))
	db.Exec(t, `ALTER INDEX t_a_idx RENAME TO t_a_lookup; ALTER INDEX t_b_idx RENAME TO t_b_lookup;
		ALTER INDEX t_ab_idx RENAME TO t_ab_lookup`)
	found := byObject(checkAgainst(t, db))

	for _, harmless := range []string{"index t.t_a_idx", "index t.t_ab_idx"} {
		assert.Equal(t, schema.Notice, found[harmless].Severity, "%s", found[harmless])
		assert.Equal(t, "index.renamed", found[harmless].Rule)
	}
	named := found["index t.t_b_idx"]
	assert.Equal(t, schema.Error, named.Severity, "%s", named)
	assert.Equal(t, "name.named-by-a-migration", named.Rule)
	assert.Contains(t, named.Detail, "migrations/000001_t.down.sql names it t_b_idx")
}

// A view the migrations did not make is harmless, unless a migration that
// would run next — a pending up file, or the down file of the database's
// version — drops or retypes what it is built on: then that migration
// fails, in whatever schema the view is.
func TestAViewIsAnErrorWhereTheNextMigrationDropsWhatItIsBuiltOn(t *testing.T) {
	ctx := t.Context()
	db := pgtest.Empty(t)
	mg, err := migrator.New(db.URL, contextFiles, "migrations")
	require.NoError(t, err)
	require.NoError(t, mg.To(ctx, 2))
	require.NoError(t, mg.Close())
	db.Exec(t, `CREATE VIEW on_a AS SELECT id, a FROM t;
		CREATE VIEW on_d AS SELECT id, d FROM t;
		CREATE SCHEMA reports; CREATE VIEW reports.on_c AS SELECT id, c FROM t`)
	found := byObject(checkAgainst(t, db))

	assert.Equal(t, schema.Notice, found["view on_a"].Severity, "%s", found["view on_a"])
	down := found["view on_d"]
	assert.Equal(t, schema.Error, down.Severity, "%s", down)
	assert.Equal(t, "view.pins-next-migration", down.Rule)
	assert.Contains(t, down.Detail, "it is built on t.d, which migrations/000002_d.down.sql drops without CASCADE")
	up := found["view reports.on_c"]
	assert.Equal(t, schema.Error, up.Severity, "%s", up)
	assert.Contains(t, up.Detail, "it is built on t.c, which migrations/000003_no_c.up.sql drops without CASCADE")
}
