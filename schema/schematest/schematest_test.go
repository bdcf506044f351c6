package schematest_test

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/appydex/smoke/harness/pgtest"
	"github.com/appydex/smoke/schema"
	"github.com/appydex/smoke/schema/schematest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// fakeTB records what RequireMatch reports.
type fakeTB struct {
	testing.TB
	fatal string
}

func (f *fakeTB) Helper()                        {}
func (f *fakeTB) Fatalf(format string, a ...any) { f.fatal = fmt.Sprintf(format, a...) }

func read(t *testing.T, db *pgtest.DB, source string) *schema.Snapshot {
	t.Helper()
	snap, err := schema.Read(t.Context(), db.Pool, "public", source)
	require.NoError(t, err)
	return snap
}

func TestRequireMatchListsEveryFindingOnePerLine(t *testing.T) {
	db := pgtest.Clone(t)
	want := read(t, db, "migrations")
	db.Exec(t, `ALTER TABLE refresh_tokens DROP COLUMN token_hash;
		ALTER TABLE users ADD COLUMN nickname text;`)
	got := read(t, db, "live")

	tb := &fakeTB{TB: t}
	schematest.RequireMatch(tb, got, want)
	assert.Equal(t, `schema of live does not match migrations: 4 finding(s):
error   column refresh_tokens.token_hash: missing in live (migrations has character varying(255)); fix: ALTER TABLE refresh_tokens ADD COLUMN token_hash character varying(255);
error   unique refresh_tokens.refresh_tokens_token_hash_key: missing in live (migrations has UNIQUE (token_hash)); fix: ALTER TABLE refresh_tokens ADD CONSTRAINT refresh_tokens_token_hash_key UNIQUE (token_hash);
error   check refresh_tokens.refresh_tokens_live_token_has_hash_check: missing in live (migrations has CHECK ((revoked OR (token_hash IS NOT NULL)))); fix: ALTER TABLE refresh_tokens ADD CONSTRAINT refresh_tokens_live_token_has_hash_check CHECK ((revoked OR (token_hash IS NOT NULL)));
notice  column users.nickname: unexpected in live (text), which migrations does not have; fix: ALTER TABLE users DROP COLUMN nickname; -- drops its data
`, tb.fatal)

	tb = &fakeTB{TB: t}
	schematest.RequireMatch(tb, want, want)
	assert.Empty(t, tb.fatal, "a schema matches itself")
}
