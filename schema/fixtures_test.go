package schema_test

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/appydex/smoke/harness/pgtest"
	"github.com/appydex/smoke/schema"
	"github.com/appydex/smoke/schema/schematest"
)

var update = flag.Bool("update", false, "rewrite fixtures/drift/*/want.txt of the two-database cases from what Diff finds")

const fixtures = "../fixtures/drift"

// TestEveryKindBothWays runs the two-database cases of fixtures/drift (the
// folders with a to.sql; see its README): from.sql and to.sql each loaded
// into an empty database, Diff must find exactly want.txt, and the Script
// must turn FROM into TO — and TO into FROM — in the transactions Plan
// gives (one, unless PostgreSQL forbids it), leaving
// only the differences no statement mends. A second load of to.sql must
// show no difference at all.
func TestEveryKindBothWays(t *testing.T) {
	srv := pgtest.OwnServer(t, "the privileges case creates a role, which is the server's, not a database's")
	load := func(t *testing.T, sql string) *pgtest.DB {
		db := pgtest.EmptyOn(t, srv)
		db.Exec(t, sql)
		return db
	}
	dirs, err := os.ReadDir(fixtures)
	require.NoError(t, err)
	ran := 0
	for _, dir := range dirs {
		path := filepath.Join(fixtures, dir.Name())
		if _, err := os.Stat(filepath.Join(path, "to.sql")); err != nil {
			continue // a migrations-against-live case: harness/drift runs those
		}
		ran++
		t.Run(dir.Name(), func(t *testing.T) {
			t.Parallel()
			fromSQL, toSQL := readFile(t, path, "from.sql"), readFile(t, path, "to.sql")
			from, to := load(t, fromSQL), load(t, toSQL)
			fromSnap, toSnap := readAll(t, from, "from"), readAll(t, to, "to")

			findings := schema.Diff(toSnap, fromSnap)
			got := schema.Lines(findings)
			wantFile := filepath.Join(path, "want.txt")
			if *update {
				require.NoError(t, os.WriteFile(wantFile, []byte(got), 0o644))
			}
			require.Equal(t, readFile(t, path, "want.txt"), got, "findings of %s", dir.Name())
			require.NotEmpty(t, findings, "a case must differ")
			schematest.RequireJudged(t, findings)

			t.Run("from into to", func(t *testing.T) { converges(t, from, to, toSnap, fromSnap, findings) })
			t.Run("to into from", func(t *testing.T) {
				back := load(t, toSQL)
				converges(t, back, load(t, fromSQL), fromSnap, readAll(t, back, "to"), schema.Diff(fromSnap, toSnap))
			})
			t.Run("as kept in JSON", func(t *testing.T) {
				// A kept server keeps snapshots as JSON for the runs after
				// (harness/drift): read back, they must compare the same.
				assert.Equal(t, got, schema.Lines(schema.Diff(viaJSON(t, toSnap), viaJSON(t, fromSnap))))
				assert.Empty(t, schema.Lines(schema.Diff(toSnap, viaJSON(t, toSnap))))
				assert.Equal(t, schema.Script(toSnap, fromSnap), schema.Script(viaJSON(t, toSnap), viaJSON(t, fromSnap)))
			})
			t.Run("no false difference", func(t *testing.T) {
				again := readAll(t, load(t, toSQL), "to")
				assert.Empty(t, schema.Lines(schema.Diff(toSnap, again)), "two loads of to.sql")
			})
		})
	}
	require.GreaterOrEqual(t, ran, 20, "the two-database cases in %s", fixtures)
}

// converges applies Script(want, got) to db, which holds got, one
// transaction of its Plan at a time (one, unless the Plan says why not),
// and checks that only the findings without an executable fix
// remain. When none remains, pg_dump is the judge as well: the dumps of db
// and of wantDB, which holds want, must be the same.
func converges(t *testing.T, db, wantDB *pgtest.DB, want, got *schema.Snapshot, findings []schema.Finding) {
	script := schema.Script(want, got)
	for i, tx := range schema.Plan(want, got) {
		_, err := db.Pool.Exec(t.Context(), strings.Join(tx.Statements, "\n"))
		require.NoError(t, err, "transaction %d (%s) of the script:\n%s", i+1, tx.Why, strings.Join(script, "\n"))
	}
	var unmendable []schema.Finding
	for _, f := range findings {
		if f.Fix == "" || strings.HasPrefix(f.Fix, "--") {
			unmendable = append(unmendable, f)
		}
	}
	after := schema.Diff(want, readAll(t, db, got.Source))
	assert.Equal(t, schema.Lines(unmendable), schema.Lines(after), "what remains after the script:\n%s", strings.Join(script, "\n"))
	if len(unmendable) > 0 {
		t.Logf("pg_dump not compared: %d difference(s) no statement mends remain", len(unmendable))
		return
	}
	schematest.RequireSameDump(t, "the database it was to become", wantDB.URL, "the database the script mended", db.URL)
}

func readAll(t *testing.T, db *pgtest.DB, source string) *schema.Snapshot {
	snap, err := schema.ReadSchemas(t.Context(), db.Pool, schema.Filter{}, source)
	require.NoError(t, err)
	return snap
}

// viaJSON is s written as JSON and read back.
func viaJSON(t *testing.T, s *schema.Snapshot) *schema.Snapshot {
	b, err := json.Marshal(s)
	require.NoError(t, err)
	var back schema.Snapshot
	require.NoError(t, json.Unmarshal(b, &back))
	return &back
}

func readFile(t *testing.T, dir, name string) string {
	b, err := os.ReadFile(filepath.Join(dir, name))
	require.NoError(t, err)
	return string(b)
}
