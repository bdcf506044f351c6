package drift_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/url"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgproto3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/appydex/smoke/app/tables"
	"github.com/appydex/smoke/harness/drift"
	"github.com/appydex/smoke/harness/pgtest"
	"github.com/appydex/smoke/migrations"
)

// A pooler in front of the deployment may drop startup parameters
// (PgBouncer's ignore_startup_parameters), default_transaction_read_only
// among them: the session would be writable. ConnectLive refuses it.
func TestConnectLiveRefusesASessionThatIsNotReadOnly(t *testing.T) {
	db := pgtest.Clone(t)
	u, err := url.Parse(db.URL)
	require.NoError(t, err)
	proxy := droppingStartupParameter(t, u.Host, "default_transaction_read_only")
	u.Host = proxy

	_, err = drift.ConnectLive(context.Background(), u.String())
	require.Error(t, err)
	assert.Contains(t, err.Error(), "is not read-only, though it asked to be")
	assert.Contains(t, err.Error(), `transaction_read_only is "off"`)

	// Straight to the server, the same database is read-only.
	live, err := drift.ConnectLive(context.Background(), db.URL)
	require.NoError(t, err)
	live.Close(context.Background())
}

// droppingStartupParameter is a proxy to server that forwards each
// connection's startup message without the parameter name, then the bytes
// both ways, as a pooler that ignores it does. It returns its address.
func droppingStartupParameter(t *testing.T, server, name string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			client, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer client.Close()
				msg, err := pgproto3.NewBackend(client, client).ReceiveStartupMessage()
				startup, ok := msg.(*pgproto3.StartupMessage)
				if err != nil || !ok {
					return // an SSL or cancel request: the test's URL asks for neither
				}
				delete(startup.Parameters, name)
				upstream, err := net.Dial("tcp", server)
				if err != nil {
					return
				}
				defer upstream.Close()
				f := pgproto3.NewFrontend(upstream, upstream)
				f.Send(startup)
				if f.Flush() != nil {
					return
				}
				go func() { _, _ = io.Copy(upstream, client) }()
				_, _ = io.Copy(client, upstream)
			}()
		}
	}()
	return ln.Addr().String()
}

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
	live, err := drift.ConnectLive(ctx, u.String())
	require.NoError(t, err)
	defer live.Close(ctx)
	report, err := drift.Check(ctx, drift.Options{Server: pgtest.Server(t), Model: tables.Schema,
		Migrations: migrations.FS, Dir: "migrations", Live: live})
	require.NoError(t, err)
	for _, c := range report.Comparisons {
		assert.Empty(t, c.Findings, "%s vs %s", c.Want, c.Got)
	}
	assert.Empty(t, report.StateFindings)
}
