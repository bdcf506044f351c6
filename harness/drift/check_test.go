package drift_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/appydex/smoke/app/tables"
	"github.com/appydex/smoke/harness/drift"
	"github.com/appydex/smoke/harness/live"
	"github.com/appydex/smoke/harness/pgtest"
	"github.com/appydex/smoke/migrations"
	"github.com/appydex/smoke/schema"
	"github.com/appydex/smoke/schema/model"
)

// The incident's code: a model with token_hash, migrations that stop at
// add_service_type_requests_table.
func TestModelAgainstTheIncidentHeadNamesTokenHash(t *testing.T) {
	ctx := t.Context()
	srv := pgtest.Server(t)
	fromModel, err := drift.FromModel(ctx, srv, tables.Schema)
	require.NoError(t, err)
	atIncidentHead, err := drift.FromMigrations(ctx, srv, migrations.FS, migrations.Dir, migrations.IncidentHead)
	require.NoError(t, err)

	findings := schema.Diff(fromModel, atIncidentHead)
	require.NotEmpty(t, findings)
	first := findings[0]
	assert.Equal(t, schema.ObjectColumn, first.ObjectType)
	assert.Equal(t, "refresh_tokens.token_hash", first.Object)
	assert.Equal(t, schema.Missing, first.Kind)
	assert.Equal(t, schema.Error, first.Severity)
	assert.Equal(t, "ALTER TABLE refresh_tokens ADD COLUMN token_hash character varying(255);", first.Fix)
	assert.Equal(t, `error   column refresh_tokens.token_hash: missing in migrations (model has character varying(255)); fix: ALTER TABLE refresh_tokens ADD COLUMN token_hash character varying(255);
error   unique refresh_tokens.refresh_tokens_token_hash_key: missing in migrations (model has UNIQUE (token_hash)); fix: ALTER TABLE refresh_tokens ADD CONSTRAINT refresh_tokens_token_hash_key UNIQUE (token_hash);
error   check refresh_tokens.refresh_tokens_live_token_has_hash_check: missing in migrations (model has CHECK ((revoked OR (token_hash IS NOT NULL)))); fix: ALTER TABLE refresh_tokens ADD CONSTRAINT refresh_tokens_live_token_has_hash_check CHECK ((revoked OR (token_hash IS NOT NULL)));
`, schema.Lines(findings))
}

// The pre-deploy check against the incident's database, in JSON: the shape
// CI and the CLI read. testdata/incident-report.json is its golden copy
// (rewritten with -update).
func TestCheckAgainstALiveDatabaseAtTheIncidentHead(t *testing.T) {
	ctx := t.Context()
	db := pgtest.AtVersion(t, migrations.IncidentHead)
	live, err := live.Connect(ctx, db.URL)
	require.NoError(t, err)
	defer live.Close(ctx)

	report, err := drift.Check(ctx, drift.Options{Server: pgtest.Server(t), Model: tables.Schema,
		Migrations: migrations.FS, Dir: migrations.Dir, Live: live})
	require.NoError(t, err)
	require.NotNil(t, report.State)
	assert.Equal(t, uint(3), report.State.Version)
	assert.Equal(t, uint(4), report.State.Head)
	assert.False(t, report.State.Dirty)
	assert.True(t, report.State.ChecksumsRecorded)

	var pairs []string
	for _, c := range report.Comparisons {
		pairs = append(pairs, c.Want+" vs "+c.Got)
	}
	assert.Equal(t, []string{"model vs migrations", "migrations vs live", "model vs live"}, pairs)
	assert.Empty(t, report.Comparisons[0].Findings)
	for _, c := range report.Comparisons[1:] {
		require.NotEmpty(t, c.Findings)
		assert.Equal(t, "refresh_tokens.token_hash", c.Findings[0].Object, "%s vs %s", c.Want, c.Got)
	}
	require.Len(t, report.StateFindings, 1)
	assert.Equal(t, drift.KindBehind, report.StateFindings[0].Kind)

	report.Reused = nil // whether an earlier check on this server made the snapshots: TestCheckReadsBackTheSnapshotsOfAnEarlierRun
	got, err := json.MarshalIndent(report, "", "  ")
	require.NoError(t, err)
	golden := filepath.Join("testdata", "incident-report.json")
	if *update {
		require.NoError(t, os.MkdirAll("testdata", 0o755))
		require.NoError(t, os.WriteFile(golden, append(got, '\n'), 0o644))
	}
	want, err := os.ReadFile(golden)
	require.NoError(t, err)
	assert.JSONEq(t, string(want), string(got))
}

func TestModelNamingAnUnknownTypeNamesTheColumn(t *testing.T) {
	m := model.Schema{Tables: []*model.Table{{
		Name:    "refresh_tokens",
		Columns: []model.Column{{Name: "id", Type: "uuid"}, {Name: "token_hash", Type: "varchr(255)"}},
	}}}
	_, err := drift.FromModel(t.Context(), pgtest.Server(t), m)
	require.Error(t, err)
	assert.Equal(t, `model: refresh_tokens.token_hash: type "varchr(255)" is not a PostgreSQL type (nor an enum the model declares)`, err.Error())

	m.Tables[0].Columns[1].Type = "character varying(abc)"
	_, err = drift.FromModel(t.Context(), pgtest.Server(t), m)
	require.Error(t, err)
	assert.True(t, strings.HasPrefix(err.Error(), `model: refresh_tokens.token_hash: type "character varying(abc)" is not a PostgreSQL type`), err.Error())
}

// On a kept server the model's and the migrations' snapshots of exactly
// the same inputs are read back, not made again (the check says so), and
// compare the same; an edited migration is a new snapshot. The live
// database is read every time.
func TestCheckReadsBackTheSnapshotsOfAnEarlierRun(t *testing.T) {
	ctx := t.Context()
	srv := pgtest.Server(t)
	if !srv.Shared() {
		t.Skip("each package has a server of its own in this run (SMOKE_PG_SHARE=0): nothing is kept between checks")
	}
	run := fmt.Sprint(time.Now().UnixNano()) // files no earlier run has seen
	files := func(note string) fstest.MapFS {
		return fstest.MapFS{
			"000001_a.up.sql":   {Data: []byte("CREATE TABLE a (id integer PRIMARY KEY, note text); -- " + note + "\n")},
			"000001_a.down.sql": {Data: []byte("DROP TABLE a;\n")},
		}
	}
	m := model.Schema{Tables: []*model.Table{{Name: "a", PrimaryKey: []string{"id"},
		Columns: []model.Column{{Name: "id", Type: "integer", NotNull: true}, {Name: "note", Type: "character varying(" + fmt.Sprint(len(run)) + ")"}}}}}
	check := func(fsys fstest.MapFS) *drift.Report {
		t.Helper()
		db := pgtest.CloneOf(t, pgtest.TemplateOf(t, fsys, "migrations"))
		live, err := live.Connect(ctx, db.URL)
		require.NoError(t, err)
		defer live.Close(ctx)
		r, err := drift.Check(ctx, drift.Options{Server: srv, Model: m, Migrations: fsys, Dir: "migrations", Live: live})
		require.NoError(t, err)
		return r
	}

	first := check(files(run))
	assert.NotContains(t, first.Reused, "migrations", "files no run has seen are migrated and read")
	again := check(files(run))
	assert.Equal(t, []string{"model", "migrations"}, again.Reused)
	firstJSON, _ := json.Marshal(first.Comparisons)
	againJSON, _ := json.Marshal(again.Comparisons)
	assert.JSONEq(t, string(firstJSON), string(againJSON), "what was read back compares as what was read")
	require.Len(t, again.Comparisons[0].Findings, 1, "the model's note is varchar, the migrations' text")
	assert.Equal(t, "a.note", again.Comparisons[0].Findings[0].Object)

	edited := check(files(run + " edited"))
	assert.Equal(t, []string{"model"}, edited.Reused, "an edited migration is migrated and read again")
}

// The root cause names exactly what the migrations lack: a table or a
// column by its name, before anything else; an enum's label as the label
// of that enum — a migration creates the enum, none the label — and any
// other object with its kind.
func TestUnmigratedNamesTheExactObject(t *testing.T) {
	model := func(findings ...schema.Finding) []drift.Comparison {
		for i := range findings {
			findings[i].Kind, findings[i].Severity = schema.Missing, schema.Error
		}
		return []drift.Comparison{{Want: "model", Got: "migrations", Findings: findings}}
	}
	label := schema.Finding{ObjectType: schema.ObjectEnumLabel, Object: "service_type_request_status", Want: "'cancelled'"}
	index := schema.Finding{ObjectType: schema.ObjectIndex, Object: "users.users_phone_idx"}
	column := schema.Finding{ObjectType: schema.ObjectColumn, Object: "refresh_tokens.token_hash"}
	assert.Equal(t, []string{"the label 'cancelled' of the enum service_type_request_status", "the index users.users_phone_idx"},
		drift.Unmigrated(model(label, index)))
	assert.Equal(t, []string{"refresh_tokens.token_hash"}, drift.Unmigrated(model(label, column)), "a table or column first")
	assert.Nil(t, drift.Unmigrated(model()))
}
