package drift_test

import (
	"errors"
	"flag"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/appydex/smoke/harness/drift"
	"github.com/appydex/smoke/harness/live"
	"github.com/appydex/smoke/harness/pgtest"
	"github.com/appydex/smoke/migrations"
	"github.com/appydex/smoke/schema"
	"github.com/appydex/smoke/schema/schematest"
)

var update = flag.Bool("update", false, "rewrite fixtures/drift/*/want.txt from what the check finds")

const scenarios = "../../fixtures/drift"

func TestMain(m *testing.M) { pgtest.Main(m) }

// TestDriftScenarios runs the catalog in fixtures/drift (see its README).
func TestDriftScenarios(t *testing.T) {
	ctx := t.Context()
	want, err := drift.FromMigrations(ctx, pgtest.Server(t), migrations.FS, migrations.Dir, 0)
	require.NoError(t, err)
	dirs, err := os.ReadDir(scenarios)
	require.NoError(t, err)
	ran := 0
	for _, dir := range dirs {
		if !dir.IsDir() {
			continue
		}
		if _, err := os.Stat(filepath.Join(scenarios, dir.Name(), "to.sql")); err == nil {
			continue // a two-database case: schema's TestEveryKindBothWays runs those
		}
		ran++
		t.Run(dir.Name(), func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(scenarios, dir.Name())
			db := liveDatabase(t, path)
			report := check(t, db.URL, want)
			findings := report.Findings()
			got := withoutDatabaseName(schema.Lines(findings), db)

			wantFile := filepath.Join(path, "want.txt")
			if *update {
				require.NoError(t, os.WriteFile(wantFile, []byte(got), 0o644))
			}
			expected, err := os.ReadFile(wantFile)
			require.NoError(t, err, "run with -update to write %s", wantFile)
			require.Equal(t, string(expected), got, "findings of %s", dir.Name())
			schematest.RequireJudged(t, findings)
			failing := schema.Gate{}.Failing(findings)
			switch class := dir.Name()[0]; {
			case class == '9':
				require.Empty(t, findings, "an equivalence scenario must produce no findings")
			case class == '8':
				require.NotEmpty(t, findings, "a harmless drift scenario shows what it found")
				require.Zero(t, failing, "harmless production drift must pass the verdict:\n%s", got)
			case class == '6' || class == '7':
				require.NotZero(t, failing, "drift that breaks the application must fail the verdict:\n%s", got)
			default:
				require.NotEmpty(t, findings, "a drift scenario must produce findings")
			}
			effect := effectOf(t, path)
			if effect != "" {
				require.Error(t, runEffect(t, db, effect), "effect.sql must fail on the drifted database: it is what the finding's severity claims")
			}

			// The fixes mend what they claim to: apply them, and only the
			// findings without an executable fix remain.
			applyFixes(t, db, findings)
			var unmendable []schema.Finding
			for _, f := range findings {
				if !executable(f) {
					unmendable = append(unmendable, f)
				}
			}
			after := schemaOnly(check(t, db.URL, want).Findings())
			assert.Equal(t, schema.Lines(schemaOnly(unmendable)), schema.Lines(after), "what remains after applying the fixes")
			if effect != "" && len(unmendable) == 0 {
				require.NoError(t, runEffect(t, db, effect), "effect.sql must succeed once the fixes are applied")
			}

			// And the script — every fix of the comparison, ordered —
			// applies to a second copy, a transaction of its plan at a
			// time (one, unless PostgreSQL forbids it), with the same
			// result for the comparison.
			second := liveDatabase(t, path)
			conn, err := live.Connect(t.Context(), second.URL)
			require.NoError(t, err)
			live, err := schema.Read(t.Context(), conn, "public", "live")
			conn.Close(t.Context())
			require.NoError(t, err)
			script := strings.Join(schema.Script(want, live), "\n")
			for i, tx := range schema.Plan(want, live) {
				require.NoError(t, writable(t, second, strings.Join(tx.Statements, "\n")), "transaction %d (%s) of the script:\n%s", i+1, tx.Why, script)
			}
			var compared, afterScript []schema.Finding
			for _, c := range report.Comparisons {
				compared = append(compared, c.Findings...)
			}
			for _, c := range check(t, second.URL, want).Comparisons {
				afterScript = append(afterScript, c.Findings...)
			}
			var unscripted []schema.Finding
			for _, f := range compared {
				if !executable(f) {
					unscripted = append(unscripted, f)
				}
			}
			assert.Equal(t, schema.Lines(unscripted), schema.Lines(afterScript), "what remains after the script")
		})
	}
	require.Greater(t, ran, 25, "the catalog in %s", scenarios)
}

// withoutDatabaseName writes the live database's name, which differs from
// run to run, as <database>.
func withoutDatabaseName(s string, db *pgtest.DB) string {
	u, err := url.Parse(db.URL)
	if err != nil {
		return s
	}
	return strings.ReplaceAll(s, strings.TrimPrefix(u.Path, "/"), "<database>")
}

// effectOf is the scenario's effect.sql: what the application or its next
// migration runs, which the drift makes fail; "" when it has none.
func effectOf(t *testing.T, path string) string {
	b, err := os.ReadFile(filepath.Join(path, "effect.sql"))
	if errors.Is(err, fs.ErrNotExist) {
		return ""
	}
	require.NoError(t, err)
	return string(b)
}

// runEffect runs effect in a transaction of a new session — as the
// application's next session starts, with the database's settings — and
// rolls it back.
func runEffect(t *testing.T, db *pgtest.DB, effect string) error {
	ctx := t.Context()
	conn, err := pgx.Connect(ctx, db.URL)
	require.NoError(t, err)
	defer conn.Close(ctx)
	tx, err := conn.Begin(ctx)
	require.NoError(t, err)
	defer tx.Rollback(ctx)
	_, err = tx.Exec(ctx, effect)
	return err
}

// liveDatabase builds the scenario's live database.
func liveDatabase(t *testing.T, path string) *pgtest.DB {
	var db *pgtest.DB
	if v, err := os.ReadFile(filepath.Join(path, "version")); err == nil {
		version, err := strconv.ParseUint(strings.TrimSpace(string(v)), 10, 32)
		require.NoError(t, err)
		db = pgtest.AtVersion(t, uint(version))
	} else {
		db = pgtest.Clone(t)
	}
	sql, err := os.ReadFile(filepath.Join(path, "live.sql"))
	require.NoError(t, err)
	db.Exec(t, string(sql))
	return db
}

// check is the pre-deploy check (drift.CheckLive): the live database's
// migration state, its schema against the migrations', each difference
// judged in its context, and what it holds beyond its schema — over a
// read-only connection.
func check(t *testing.T, url string, want *schema.Snapshot) *drift.Report {
	ctx := t.Context()
	conn, err := live.Connect(ctx, url)
	require.NoError(t, err)
	defer conn.Close(ctx)
	report, err := drift.CheckLive(ctx, conn, drift.LiveOptions{Migrations: want, FS: migrations.FS, Dir: migrations.Dir})
	require.NoError(t, err)
	return report
}

// executable: the finding's fix is SQL for the schema (migration-state fixes
// are commands, and some fixes are only advice in a comment).
func executable(f schema.Finding) bool {
	return f.ObjectType != schema.ObjectMigration && f.Fix != "" && !strings.HasPrefix(f.Fix, "--")
}

func schemaOnly(fs []schema.Finding) []schema.Finding {
	var out []schema.Finding
	for _, f := range fs {
		if f.ObjectType != schema.ObjectMigration {
			out = append(out, f)
		}
	}
	return out
}

// applyFixes runs each executable fix on its own (REINDEX CONCURRENTLY may
// not run inside a transaction), in the findings' order.
func applyFixes(t *testing.T, db *pgtest.DB, findings []schema.Finding) {
	for _, f := range findings {
		if executable(f) {
			require.NoError(t, writable(t, db, f.Fix), "fix of %s", f)
		}
	}
}

// writable runs sql on db in a session that is not read-only, whatever the
// database's settings say: as one mends a database that is.
func writable(t *testing.T, db *pgtest.DB, sql string) error {
	ctx := t.Context()
	conn, err := pgx.Connect(ctx, db.URL)
	require.NoError(t, err)
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, "SET default_transaction_read_only = off")
	require.NoError(t, err)
	_, err = conn.Exec(ctx, sql)
	return err
}
