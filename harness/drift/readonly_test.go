package drift_test

import (
	"context"
	"fmt"
	"net/url"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/appydex/smoke/app/tables"
	"github.com/appydex/smoke/harness/drift"
	"github.com/appydex/smoke/harness/live"
	"github.com/appydex/smoke/harness/pgtest"
	"github.com/appydex/smoke/migrations"
)

// The role a deployment gives its checks is granted SELECT (the flow reads
// refresh_tokens with it): those grants are how the check reads, not a
// difference from the migrations, and a database at the newest migration
// passes when read as that role.
func TestCheckReadsAsARoleGrantedSelect(t *testing.T) {
	ctx := context.Background()
	db := pgtest.Clone(t)
	role := fmt.Sprintf("smoke_reader_%d", time.Now().UnixNano())
	admin, err := pgx.Connect(ctx, db.URL)
	require.NoError(t, err)
	defer admin.Close(ctx)
	_, err = admin.Exec(ctx, "CREATE ROLE "+role+" LOGIN PASSWORD 'reader-pass-1'")
	require.NoError(t, err)
	t.Cleanup(func() {
		_, _ = admin.Exec(ctx, "DROP OWNED BY "+role)
		_, _ = admin.Exec(ctx, "DROP ROLE "+role)
	})
	_, err = admin.Exec(ctx, "GRANT SELECT ON ALL TABLES IN SCHEMA public TO "+role)
	require.NoError(t, err)

	u, err := url.Parse(db.URL)
	require.NoError(t, err)
	u.User = url.UserPassword(role, "reader-pass-1")
	live, err := live.Connect(ctx, u.String())
	require.NoError(t, err)
	defer live.Close(ctx)
	report, err := drift.Check(ctx, drift.Options{Server: pgtest.Server(t), Model: tables.Schema,
		Migrations: migrations.FS, Dir: migrations.Dir, Live: live})
	require.NoError(t, err)
	for _, c := range report.Comparisons {
		assert.Empty(t, c.Findings, "%s vs %s", c.Want, c.Got)
	}
	assert.Empty(t, report.StateFindings)
}
