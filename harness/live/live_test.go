package live_test

import (
	"io"
	"net"
	"net/url"
	"testing"

	"github.com/jackc/pgx/v5/pgproto3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/appydex/smoke/harness/live"
	"github.com/appydex/smoke/harness/pgtest"
)

// A pooler in front of the deployment may drop startup parameters
// (PgBouncer's ignore_startup_parameters), default_transaction_read_only
// among them: the session would be writable. Connect refuses it.
func TestConnectRefusesASessionThatIsNotReadOnly(t *testing.T) {
	db := pgtest.Clone(t)
	u, err := url.Parse(db.URL)
	require.NoError(t, err)
	proxy := droppingStartupParameter(t, u.Host, "default_transaction_read_only")
	u.Host = proxy

	_, err = live.Connect(t.Context(), u.String())
	require.Error(t, err)
	assert.Contains(t, err.Error(), "is not read-only, though it asked to be")
	assert.Contains(t, err.Error(), `transaction_read_only is "off"`)

	// Straight to the server, the same database is read-only.
	conn, err := live.Connect(t.Context(), db.URL)
	require.NoError(t, err)
	conn.Close(t.Context())
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

func TestConnectMasksThePassword(t *testing.T) {
	_, err := live.Connect(t.Context(), "postgres://deploy:pr0d-secret@127.0.0.1:1/appydex")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "connect to deploy@127.0.0.1:1/appydex")
	assert.Contains(t, err.Error(), "connection refused")
	assert.NotContains(t, err.Error(), "pr0d-secret")
}
