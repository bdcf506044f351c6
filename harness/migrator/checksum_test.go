package migrator_test

import (
	"io/fs"
	"testing"
	"testing/fstest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/appydex/smoke/harness/migrator"
	"github.com/appydex/smoke/harness/pgtest"
)

func TestChecksumsNameAFileEditedAfterItWasApplied(t *testing.T) {
	ctx := t.Context()
	db := pgtest.Empty(t)
	files := fstest.MapFS{
		"000001_a.up.sql":   {Data: []byte("CREATE TABLE a (id int);\n")},
		"000001_a.down.sql": {Data: []byte("DROP TABLE a;\n")},
		"000002_b.up.sql":   {Data: []byte("ALTER TABLE a ADD COLUMN b text;\n")},
		"000002_b.down.sql": {Data: []byte("ALTER TABLE a DROP COLUMN b;\n")},
		"000003_c.up.sql":   {Data: []byte("ALTER TABLE a ADD COLUMN c text;\n")},
		"000003_c.down.sql": {Data: []byte("ALTER TABLE a DROP COLUMN c;\n")},
	}
	require.NoError(t, open(t, db.URL, files).To(ctx, 2))
	conn := db.Pool
	list, err := migrator.ReadFiles(files, "fixture")
	require.NoError(t, err)

	edited, recorded, err := migrator.EditedFiles(ctx, conn, list, files)
	require.NoError(t, err)
	assert.True(t, recorded)
	assert.Empty(t, edited, "nothing changed yet")

	// Someone edits an applied file, and a pending one.
	files["000002_b.up.sql"] = &fstest.MapFile{Data: []byte("ALTER TABLE a ADD COLUMN b integer;\n")}
	files["000003_c.up.sql"] = &fstest.MapFile{Data: []byte("ALTER TABLE a ADD COLUMN c integer;\n")}
	edited, _, err = migrator.EditedFiles(ctx, conn, list, files)
	require.NoError(t, err)
	require.Len(t, edited, 1, "only applied files count: %v", edited)
	assert.Equal(t, uint(2), edited[0].Version)
	assert.Equal(t, "fixture/000002_b.up.sql", edited[0].File)
	assert.NotEqual(t, edited[0].Recorded, edited[0].Current)

	// Migrating up takes the checksum of what it applies, and keeps the
	// one recorded when 000002 ran.
	require.NoError(t, open(t, db.URL, files).Up(ctx))
	edited, _, err = migrator.EditedFiles(ctx, conn, list, files)
	require.NoError(t, err)
	require.Len(t, edited, 1)
	assert.Equal(t, "fixture/000002_b.up.sql", edited[0].File)

	// Down past it forgets it: applying it again records the file as it is.
	require.NoError(t, open(t, db.URL, files).To(ctx, 1))
	require.NoError(t, open(t, db.URL, files).Up(ctx))
	edited, _, err = migrator.EditedFiles(ctx, conn, list, files)
	require.NoError(t, err)
	assert.Empty(t, edited)
}

func TestNoChecksumTableMeansNotRecorded(t *testing.T) {
	db := pgtest.Empty(t)
	list, err := migrator.ReadFiles(fstest.MapFS{"000001_a.up.sql": {}}, "fixture")
	require.NoError(t, err)
	edited, recorded, err := migrator.EditedFiles(t.Context(), db.Pool, list, fstest.MapFS{})
	require.NoError(t, err)
	assert.False(t, recorded)
	assert.Empty(t, edited)
}

func TestUntilKeepsTheHistoryAsItStoodThen(t *testing.T) {
	files := fstest.MapFS{
		"000001_a.up.sql": {}, "000001_a.down.sql": {}, "000002_b.up.sql": {}, "000003_c.up.sql": {}, "README.md": {},
	}
	list, err := migrator.ReadFiles(migrator.Until(files, 2), "fixture")
	require.NoError(t, err)
	assert.Equal(t, uint(2), list.Head())
	_, err = migrator.Until(files, 2).Open("000003_c.up.sql")
	assert.ErrorIs(t, err, fs.ErrNotExist)
}
