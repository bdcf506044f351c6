package tests

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/appydex/smoke/harness/migrator"
	"github.com/appydex/smoke/harness/pgtest"
	"github.com/appydex/smoke/migrations"
	"github.com/appydex/smoke/schema"
	"github.com/appydex/smoke/schema/schematest"
)

// Every migration applies to an empty database, one at a time; every down
// file, newest first, restores exactly the schema of the version below; and
// up again gives the schema the ups gave the first time.
func TestEveryMigrationAppliesAndUpDownUpLeavesTheSameSchema(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := pgtest.Empty(t)
	mg, err := migrator.New(db.URL, migrations.FS, migrations.Dir)
	require.NoError(t, err)
	t.Cleanup(func() { mg.Close() })
	files := mg.Files()
	catalog := func(source string) *schema.Snapshot {
		t.Helper()
		snap, err := schema.Read(ctx, db.Pool, "public", source)
		require.NoError(t, err)
		return snap
	}

	empty := catalog("an empty database")
	requireEmpty(t, empty, "a new database's public schema holds nothing")

	after := map[uint]*schema.Snapshot{0: empty}
	for _, f := range files.List {
		require.NoError(t, mg.To(ctx, f.Version), "up to %d", f.Version)
		after[f.Version] = catalog("after " + f.Up)
		assert.NotEmpty(t, schema.Diff(after[f.Version-1], after[f.Version]), "%s changed nothing", f.Up)
	}
	version, dirty, err := mg.Version()
	require.NoError(t, err)
	assert.Equal(t, files.Head(), version)
	assert.False(t, dirty)

	for i := len(files.List) - 1; i >= 0; i-- {
		f := files.List[i]
		below := uint(0)
		if i > 0 {
			below = files.List[i-1].Version
			require.NoError(t, mg.To(ctx, below), "down from %d", f.Version)
		} else {
			require.NoError(t, mg.Down(ctx))
		}
		schematest.AssertMatch(t, catalog("after "+f.Down), after[below])
	}
	version, _, err = mg.Version()
	require.NoError(t, err)
	assert.Zero(t, version, "no version after every down")
	requireEmpty(t, catalog("after every down"), "every down in order must leave an empty schema")

	require.NoError(t, mg.Up(ctx))
	schematest.RequireMatch(t, catalog("up again"), after[files.Head()])
	require.NoError(t, mg.Up(ctx), "up on a database at head is success")
}

func requireEmpty(t *testing.T, snap *schema.Snapshot, msg string) {
	t.Helper()
	require.Empty(t, snap.Tables, msg)
	require.Empty(t, snap.Enums, msg)
	require.Empty(t, snap.Sequences, msg)
	require.Empty(t, snap.Others, msg)
}
