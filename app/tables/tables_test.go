package tables_test

import (
	"encoding/json"
	"flag"
	"os"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/appydex/smoke/app/tables"
	"github.com/appydex/smoke/harness/drift"
	"github.com/appydex/smoke/harness/pgtest"
	"github.com/appydex/smoke/schema"
)

var update = flag.Bool("update", false, "rewrite snapshot.json from the model")

func TestMain(m *testing.M) { pgtest.Main(m) }

// The embedded snapshot is what PostgreSQL makes of the model today.
func TestEmbeddedSnapshotIsCurrent(t *testing.T) {
	fresh, err := drift.FromModel(t.Context(), pgtest.Server(t), tables.Schema)
	require.NoError(t, err)
	if *update {
		b, err := json.MarshalIndent(fresh, "", "  ")
		require.NoError(t, err)
		require.NoError(t, os.WriteFile("snapshot.json", append(b, '\n'), 0o644))
		t.Skip("rewrote snapshot.json; run the test again to compare (the old file was compiled in)")
	}
	embedded, err := tables.Snapshot()
	require.NoError(t, err)
	require.Empty(t, schema.Lines(schema.Diff(fresh, embedded)),
		"snapshot.json is stale: the model changed; run go test ./app/tables -update")
}
