package tests

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/appydex/smoke/app/tables"
	"github.com/appydex/smoke/harness/drift"
	"github.com/appydex/smoke/harness/pgtest"
	"github.com/appydex/smoke/migrations"
	"github.com/appydex/smoke/schema"
	"github.com/appydex/smoke/schema/schematest"
)

// The incident's cause, checked where CI can catch it: the model the API
// writes (app/tables) and the schema the migrations build agree, table by
// table — refresh_tokens first — and as a whole.
func TestEveryTableMatchesTheModel(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	srv := pgtest.Server(t)
	model, err := drift.FromModel(ctx, srv, tables.Schema)
	require.NoError(t, err)
	migrated, err := drift.FromMigrations(ctx, srv, migrations.FS, migrations.Dir, 0)
	require.NoError(t, err)

	names := []string{tables.RefreshTokens.Name}
	for _, table := range tables.Schema.Tables {
		if table != tables.RefreshTokens {
			names = append(names, table.Name)
		}
	}
	for _, name := range names {
		t.Run(name+" matches the model", func(t *testing.T) {
			require.Contains(t, migrated.Tables, name, "the migrations create no table %s", name)
			schematest.AssertMatch(t, onlyTable(migrated, name), onlyTable(model, name))
		})
	}
	t.Run("the enum types match the model", func(t *testing.T) {
		assert.Equal(t, model.Enums, migrated.Enums)
	})
	t.Run("the migrations make nothing the model lacks", func(t *testing.T) {
		report, err := drift.Check(ctx, drift.Options{Server: srv, Model: tables.Schema, Migrations: migrations.FS, Dir: migrations.Dir})
		require.NoError(t, err)
		assert.Empty(t, report.Findings(), "model vs migrations:\n%s", schema.Lines(report.Findings()))
	})
}

// onlyTable is snap cut down to one table, so a finding names the table it
// belongs to and the subtest of that table fails, not another.
func onlyTable(snap *schema.Snapshot, name string) *schema.Snapshot {
	cut := *snap
	cut.Tables = map[string]*schema.Table{}
	if table, ok := snap.Tables[name]; ok {
		cut.Tables[name] = table
	}
	cut.Enums, cut.Sequences, cut.Others = nil, nil, nil
	return &cut
}
