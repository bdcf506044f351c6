package migrator_test

import (
	"errors"
	"net/url"
	"testing"
	"testing/fstest"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/appydex/smoke/harness/migrator"
	"github.com/appydex/smoke/harness/pgtest"
	"github.com/appydex/smoke/migrations"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

func open(t *testing.T, url string, fsys fstest.MapFS) *migrator.Migrator {
	t.Helper()
	var mg *migrator.Migrator
	var err error
	if fsys == nil {
		mg, err = migrator.New(url, migrations.FS, migrations.Dir)
	} else {
		mg, err = migrator.New(url, fsys, "fixture")
	}
	require.NoError(t, err)
	t.Cleanup(func() { mg.Close() })
	return mg
}

func TestMigrateToTheIncidentHeadLacksTokenHash(t *testing.T) {
	ctx := t.Context()
	db := pgtest.Empty(t)
	mg := open(t, db.URL, nil)
	require.NoError(t, mg.To(ctx, migrations.IncidentHead))
	version, dirty, err := mg.Version()
	require.NoError(t, err)
	assert.Equal(t, uint(3), version)
	assert.False(t, dirty)
	f := mg.Files().List[2]
	assert.Equal(t, "add_service_type_requests_table", f.Identifier)

	var columns []string
	rows, err := db.Pool.Query(ctx, "SELECT column_name FROM information_schema.columns WHERE table_name = 'refresh_tokens' ORDER BY ordinal_position")
	require.NoError(t, err)
	columns, err = pgx.CollectRows(rows, pgx.RowTo[string])
	require.NoError(t, err)
	assert.NotContains(t, columns, "token_hash")
	assert.Contains(t, columns, "jti")

	err = mg.To(ctx, 9)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "no migration 000009_*.up.sql in migrations")
}

// 000004 keeps the rows written before token_hash existed, revoked.
func TestTokenHashMigrationKeepsAndRevokesOlderRows(t *testing.T) {
	ctx := t.Context()
	db := pgtest.Empty(t)
	mg := open(t, db.URL, nil)
	conn := db.Pool
	require.NoError(t, mg.To(ctx, 3))
	_, err := conn.Exec(ctx, `
		INSERT INTO users (id, email, password_hash) VALUES ('00000000-0000-0000-0000-000000000001', 'old@appydex.local', 'x');
		INSERT INTO refresh_tokens (user_id, jti, family_id, expires_at)
		VALUES ('00000000-0000-0000-0000-000000000001', 'jti-live', gen_random_uuid(), now() + interval '1 day')`)
	require.NoError(t, err)

	require.NoError(t, mg.Up(ctx))
	var revoked bool
	var revokedAt, hash *string
	require.NoError(t, conn.QueryRow(ctx, "SELECT revoked, revoked_at::text, token_hash FROM refresh_tokens WHERE jti = 'jti-live'").Scan(&revoked, &revokedAt, &hash))
	assert.True(t, revoked, "a token with no hash can never be rotated: it is revoked")
	assert.NotNil(t, revokedAt)
	assert.Nil(t, hash)

	_, err = conn.Exec(ctx, `INSERT INTO refresh_tokens (user_id, jti, family_id, expires_at)
		VALUES ('00000000-0000-0000-0000-000000000001', 'jti-new', gen_random_uuid(), now() + interval '1 day')`)
	require.Error(t, err, "a live token without a hash must be refused")
	assert.Contains(t, err.Error(), "refresh_tokens_live_token_has_hash_check")
}

func TestBrokenMigrationNamesFileAndLineThenDirtyNamesTheMend(t *testing.T) {
	ctx := t.Context()
	db := pgtest.Empty(t)
	fixture := fstest.MapFS{
		"000001_users.up.sql":    {Data: []byte("CREATE TABLE users (id int PRIMARY KEY);\n")},
		"000001_users.down.sql":  {Data: []byte("DROP TABLE users;\n")},
		"000002_broken.up.sql":   {Data: []byte("-- adds a column\nALTER TABLE users\n    ADD COLUMN email textt;\n")},
		"000002_broken.down.sql": {Data: []byte("ALTER TABLE users DROP COLUMN email;\n")},
	}
	mg := open(t, db.URL, fixture)

	err := mg.Up(ctx)
	require.Error(t, err)
	t.Logf("Up: %v", err)
	var mErr *migrator.MigrationError
	require.ErrorAs(t, err, &mErr)
	assert.Equal(t, "fixture/000002_broken.up.sql", mErr.File)
	assert.Equal(t, 3, mErr.Line)
	assert.Equal(t, 22, mErr.Column, "the column of textt")
	assert.Contains(t, err.Error(), `fixture/000002_broken.up.sql:3:22: type "textt" does not exist (SQLSTATE 42704)`)
	assert.Contains(t, err.Error(), "force 1")

	// The next run finds the database dirty and says how to mend it.
	again := open(t, db.URL, fixture)
	version, dirty, err := again.Version()
	require.NoError(t, err)
	assert.Equal(t, uint(2), version)
	assert.True(t, dirty)
	err = again.Up(ctx)
	require.Error(t, err)
	t.Logf("Up again: %v", err)
	assert.True(t, errors.Is(err, migrator.ErrDirty))
	var dErr *migrator.DirtyError
	require.ErrorAs(t, err, &dErr)
	assert.Equal(t, uint(2), dErr.Version)
	assert.Equal(t, "fixture/000002_broken.up.sql", dErr.File)
	msg := err.Error()
	assert.Contains(t, msg, "dirty at version 2")
	assert.Contains(t, msg, "fixture/000002_broken.up.sql")
	assert.Contains(t, msg, "migrate -path fixture -database")
	assert.Contains(t, msg, "force 1")
	assert.NotContains(t, msg, passwordOf(t, db.URL), "the password must be masked")

	// Following the advice mends it: PostgreSQL ran the failed file in one
	// implicit transaction, so nothing of it stayed; force 1, fix, migrate.
	require.NoError(t, again.Force(1))
	fixture["000002_broken.up.sql"] = &fstest.MapFile{Data: []byte("ALTER TABLE users ADD COLUMN email text;\n")}
	fixed := open(t, db.URL, fixture)
	require.NoError(t, fixed.Up(ctx))
	version, dirty, err = fixed.Version()
	require.NoError(t, err)
	assert.Equal(t, uint(2), version)
	assert.False(t, dirty)
}

func TestFailureWithoutPositionStillNamesTheFile(t *testing.T) {
	ctx := t.Context()
	db := pgtest.Empty(t)
	fixture := fstest.MapFS{
		"000001_t.up.sql":   {Data: []byte("CREATE TABLE t (n int CHECK (n > 0));\nINSERT INTO t VALUES (0);\n")},
		"000001_t.down.sql": {Data: []byte("DROP TABLE t;\n")},
	}
	err := open(t, db.URL, fixture).Up(ctx)
	var mErr *migrator.MigrationError
	require.ErrorAs(t, err, &mErr)
	assert.Equal(t, "fixture/000001_t.up.sql", mErr.File)
	assert.Equal(t, 0, mErr.Line, "a check violation has no position")
	assert.Contains(t, err.Error(), "fixture/000001_t.up.sql: new row for relation \"t\" violates check constraint")
	assert.Contains(t, err.Error(), "there is no version to force back to")
	assert.Contains(t, err.Error(), "force -1")
}

func TestReadFilesRejectsMisnamedFiles(t *testing.T) {
	for _, tc := range []struct {
		name string
		fsys fstest.MapFS
		want string
	}{
		{"a name without a version", fstest.MapFS{"add_users.up.sql": {}}, "fixture/add_users.up.sql: not a migration file name"},
		{"a down without an up", fstest.MapFS{"000001_a.down.sql": {}}, "version 1 has a down file (000001_a.down.sql) but no up file"},
		{"no files at all", fstest.MapFS{"README.md": {}}, "fixture holds no migration files"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := migrator.ReadFiles(tc.fsys, "fixture")
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}

func passwordOf(t *testing.T, rawURL string) string {
	u, err := url.Parse(rawURL)
	require.NoError(t, err)
	pw, ok := u.User.Password()
	require.True(t, ok, "no password in the clone's URL")
	return pw
}
