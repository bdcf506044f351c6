package backend_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/appydex/smoke/harness/backend"
)

func TestTheFixturesDescriptionsLoad(t *testing.T) {
	for _, dir := range []string{"../../fixtures/backends/fastapi", "../../fixtures/backends/reference"} {
		d, err := backend.Load(dir)
		require.NoError(t, err, dir)
		assert.Equal(t, filepath.Join(dir, backend.FileName), d.File)
		assert.Equal(t, 168*time.Hour, time.Duration(d.RefreshTTL))
		assert.NotEmpty(t, d.Accounts.Admin.Password)
		cfg := d.Flow("http://127.0.0.1:1", "")
		assert.Equal(t, d.Accounts.Admin.Email, cfg.Email)
		assert.Equal(t, d.Paths.Health, cfg.Paths.Healthz)
	}
	fastapi, err := backend.Load("../../fixtures/backends/fastapi/backend.yaml")
	require.NoError(t, err)
	assert.Equal(t, "appydex_postgres", fastapi.Database.Alias)
	assert.Equal(t, "2f6d5f68b472", fastapi.Incident.Revision)
}

// write puts a description in a folder of its own and returns its path.
func write(t *testing.T, yaml string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), backend.FileName)
	require.NoError(t, os.WriteFile(path, []byte(yaml), 0o644))
	return path
}

const minimal = `name: tiny
image: example/tiny:1
port: 8000
database: {alias: db}
commands:
  migrate: [migrate, up]
  current: [migrate, current]
  heads: [migrate, heads]
  create_model: [model]
  seed: [seed]
paths: {health: /healthz}
accounts:
  admin: {email: a@example.com, password: pw, otp: "000000"}
`

func TestBadDescriptionsSayWhatAndWhere(t *testing.T) {
	_, err := backend.Load(write(t, minimal))
	require.NoError(t, err, "the minimal description is whole")

	for _, tc := range []struct {
		name, yaml string
		want       []string
	}{
		{"an unknown field", minimal + "imge: typo\n", []string{"backend.yaml", "line 14: field imge not found"}},
		{"missing fields", "name: tiny\nport: 8000\n", []string{"backend.yaml: missing image, database.alias, commands.migrate, commands.current",
			"paths.health", "accounts.admin.email"}},
		{"an unknown placeholder", minimal + "env: {URL: \"postgres://{db_usr}@{db_host}\"}\n", []string{"env.URL: unknown placeholder {db_usr}"}},
		{"migrate_to without its revision", strings.Replace(minimal, "  seed: [seed]\n", "  seed: [seed]\n  migrate_to: [migrate, to]\n", 1),
			[]string{"commands.migrate_to: name the revision as {revision}"}},
		{"a revision table that is no table.column", strings.Replace(minimal, "{alias: db}", "{alias: db, revision_table: alembic_version}", 1),
			[]string{`database.revision_table "alembic_version": write it as table.column`}},
		{"an ignored table pattern that is none", strings.Replace(minimal, "{alias: db}", "{alias: db, ignore: [\"legacy_[\"]}", 1),
			[]string{`database.ignore: table pattern "legacy_[" (backend.yaml's database.ignore)`}},
		{"a duration that is none", minimal + "refresh_ttl: soon\n", []string{`"soon" is not a duration such as 168h`}},
		{"a token hash of no known kind", minimal + "token_hash: md5\n", []string{`token_hash: token hash "md5": say sha256`}},
		{"a panel phrase that is no regular expression", minimal + "panel_phrases: {server: [\"erreur (serveur\"]}\n", []string{`panel_phrases.server "erreur (serveur"`}},
		{"one lifetime without the other", minimal + "env: {ACCESS: \"{access_ttl_seconds}\"}\n", []string{"env sets one token lifetime but not the other"}},
		{"an empty file", "", []string{"backend.yaml is empty: describe the backend in it (docs/backends.md lists the fields"}},
		{"only a comment", "# to do\n", []string{"backend.yaml is empty"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := backend.Load(write(t, tc.yaml))
			require.Error(t, err)
			for _, want := range tc.want {
				assert.Contains(t, err.Error(), want)
			}
		})
	}

	_, err = backend.Load(filepath.Join(t.TempDir(), "nowhere"))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "give the folder that holds backend.yaml")
}

// A description that sets the backend's lifetimes in its env can be
// started with short ones, which its placeholders take: the duration form
// and the seconds form. One that does not says so in the flow's skipped
// expired-tokens step.
func TestLifetimesForARun(t *testing.T) {
	withLifetimes, err := backend.Load(write(t, minimal+"env: {ACCESS: \"{access_ttl}\", REFRESH: \"{refresh_ttl_seconds}\"}\n"))
	require.NoError(t, err)
	assert.True(t, withLifetimes.SetsLifetimes())
	assert.Equal(t, backend.Lifetimes{Access: 15 * time.Minute, Refresh: 168 * time.Hour}, withLifetimes.Lifetimes(), "the contract's, when it promises none")

	without, err := backend.Load(write(t, minimal))
	require.NoError(t, err)
	assert.False(t, without.SetsLifetimes())
	cfg := without.Flow("http://127.0.0.1:1", "")
	assert.False(t, cfg.ProveExpiry)
	assert.Contains(t, cfg.NoExpiry, "does not say how to set the backend's token lifetimes ({access_ttl}, {refresh_ttl}, or their _seconds forms, in env): "+
		"its tokens would take 168h0m0s to expire")
}
