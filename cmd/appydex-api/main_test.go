package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestServeRefusesToStartWithoutItsSettings(t *testing.T) {
	var stderr bytes.Buffer
	err := run(t.Context(), nil, env(nil), &bytes.Buffer{}, &stderr)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "set --database-url or APPYDEX_DATABASE_URL")
	assert.Contains(t, err.Error(), "set --jwt-secret or APPYDEX_JWT_SECRET to at least 32 bytes")

	err = run(t.Context(), []string{"--access-ttl", "soon"}, env(map[string]string{
		"APPYDEX_DATABASE_URL": "postgres://u:p@127.0.0.1/appydex", "APPYDEX_JWT_SECRET": strings.Repeat("k", 32)}), &bytes.Buffer{}, &stderr)
	require.Error(t, err)
	assert.Contains(t, err.Error(), `--access-ttl "soon": want a positive duration such as 15m`)
}

func TestDefaultsAreTheIncidentsAndHaveNoDevOTP(t *testing.T) {
	c, err := parseConfig("serve", nil, env(map[string]string{
		"APPYDEX_DATABASE_URL": "postgres://u:p@127.0.0.1/appydex", "APPYDEX_JWT_SECRET": strings.Repeat("k", 32)}), &bytes.Buffer{})
	require.NoError(t, err)
	assert.Equal(t, ":16110", c.Addr)
	assert.Empty(t, c.DevOTP, "a static one-time code exists only when configured")
	assert.Equal(t, "appydex", c.Issuer)
	assert.Equal(t, "appydex-admin", c.Audience)
}

func TestSeedNeedsNoJWTSecret(t *testing.T) {
	_, err := parseConfig("seed", nil, env(map[string]string{"APPYDEX_DATABASE_URL": "postgres://u:p@127.0.0.1/appydex"}), &bytes.Buffer{})
	assert.NoError(t, err)
}

func TestBadDatabaseURLIsMasked(t *testing.T) {
	err := run(t.Context(), []string{"seed", "--database-url", "postgres://u:hunter2@127.0.0.1:port/x"}, env(nil), &bytes.Buffer{}, &bytes.Buffer{})
	require.Error(t, err)
	assert.NotContains(t, err.Error(), "hunter2")
	assert.Contains(t, err.Error(), "--database-url [unparseable connection string]: does not parse: invalid port")
}
