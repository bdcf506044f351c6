// Package migrator applies golang-migrate migrations from an fs.FS (the
// embedded migrations folder, or a fixture's) to a PostgreSQL database over
// pgx/v5, and turns golang-migrate's terse failures into errors that name the
// file, the line and the command that mends them.
package migrator

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"sort"
	"strings"

	"github.com/golang-migrate/migrate/v4"
	_ "github.com/golang-migrate/migrate/v4/database/pgx/v5" // registers the pgx5:// driver
	"github.com/golang-migrate/migrate/v4/source"
	"github.com/golang-migrate/migrate/v4/source/iofs"

	"github.com/appydex/smoke/redact"
)

// Migrator applies one set of migration files to one database.
type Migrator struct {
	m     *migrate.Migrate
	fsys  fs.FS
	files Files
	dbURL string // for messages, password included: mask before showing
}

// New opens the database at databaseURL (postgres://…) for migrating with the
// files in fsys, a folder of NNNNNN_name.up.sql / .down.sql files; dir names
// that folder in messages (e.g. "migrations").
func New(databaseURL string, fsys fs.FS, dir string) (*Migrator, error) {
	files, err := ReadFiles(fsys, dir)
	if err != nil {
		return nil, err
	}
	src, err := iofs.New(fsys, ".")
	if err != nil {
		return nil, fmt.Errorf("read migrations in %s: %w", dir, err)
	}
	driverURL, err := pgx5URL(databaseURL)
	if err != nil {
		return nil, err
	}
	m, err := migrate.NewWithSourceInstance("iofs", src, driverURL)
	if err != nil {
		// golang-migrate's errors may quote the URL it was given.
		return nil, fmt.Errorf("open %s for migrating: %w", redact.Conn(databaseURL), redact.Error(redact.Error(err, driverURL), databaseURL))
	}
	return &Migrator{m: m, fsys: fsys, files: files, dbURL: databaseURL}, nil
}

// Close releases the database connection.
func (mg *Migrator) Close() error {
	srcErr, dbErr := mg.m.Close()
	return errors.Join(srcErr, dbErr)
}

// Files lists the migration files this Migrator applies.
func (mg *Migrator) Files() Files { return mg.files }

// Up applies every migration not yet applied. A database already at the
// newest version is success. Up, To and Down record the checksum of each
// applied file (see ChecksumTable).
func (mg *Migrator) Up(ctx context.Context) error {
	return mg.run(ctx, "apply migrations", mg.m.Up)
}

// To migrates up or down to version, e.g. the incident's head.
func (mg *Migrator) To(ctx context.Context, version uint) error {
	if _, ok := mg.files.byVersion(version); !ok {
		return fmt.Errorf("migrate to version %d: no migration %06d_*.up.sql in %s", version, version, mg.files.Dir)
	}
	return mg.run(ctx, fmt.Sprintf("migrate to version %d", version), func() error { return mg.m.Migrate(version) })
}

// Down applies every down migration, newest first, leaving no version.
func (mg *Migrator) Down(ctx context.Context) error {
	return mg.run(ctx, "apply down migrations", mg.m.Down)
}

// Force records version as applied and clean without running anything: the
// mend for a dirty database once its half-applied file has been undone.
// Version -1 means no version.
func (mg *Migrator) Force(version int) error {
	if err := mg.m.Force(version); err != nil {
		return fmt.Errorf("force version %d: %w", version, err)
	}
	return nil
}

// Version reports the applied version (0 when none is) and whether the last
// migration failed part way (dirty).
func (mg *Migrator) Version() (version uint, dirty bool, err error) {
	version, dirty, err = mg.m.Version()
	if errors.Is(err, migrate.ErrNilVersion) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("read the migration version: %w", err)
	}
	return version, dirty, nil
}

// run calls op, stopping golang-migrate between files when ctx ends, and
// explains its failures.
func (mg *Migrator) run(ctx context.Context, what string, op func() error) error {
	done := make(chan struct{})
	defer close(done)
	go func() {
		select {
		case <-ctx.Done():
			mg.m.GracefulStop <- true
		case <-done:
		}
	}()
	err := op()
	if err == nil || errors.Is(err, migrate.ErrNoChange) {
		if err := ctx.Err(); err != nil {
			return err
		}
		return mg.recordChecksums(ctx)
	}
	var dirty migrate.ErrDirty
	if errors.As(err, &dirty) {
		return mg.dirtyError(uint(dirty.Version))
	}
	if mErr := mg.migrationError(err); mErr != nil {
		return mErr
	}
	return fmt.Errorf("%s on %s: %w", what, redact.Conn(mg.dbURL), err)
}

// pgx5URL turns a postgres:// URL into the pgx5:// form golang-migrate's
// pgx/v5 driver registers.
func pgx5URL(databaseURL string) (string, error) {
	u, err := url.Parse(databaseURL)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return "", fmt.Errorf("database URL %s is not a postgres:// URL", redact.Conn(databaseURL))
	}
	u.Scheme = "pgx5"
	return u.String(), nil
}

// File is one migration version's pair of files.
type File struct {
	Version    uint
	Identifier string // the name part: add_service_type_requests_table
	Up, Down   string // file names within the folder; Down may be ""
}

// Files is a folder's migrations in version order.
type Files struct {
	Dir  string
	List []File
}

// ReadFiles lists the migrations in fsys, checking every .sql file follows
// the NNNNNN_name.up.sql / .down.sql pattern and every version has an up file.
func ReadFiles(fsys fs.FS, dir string) (Files, error) {
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return Files{}, fmt.Errorf("read migrations in %s: %w", dir, err)
	}
	byVersion := map[uint]*File{}
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".sql") {
			continue
		}
		mig, err := source.Parse(e.Name())
		if err != nil {
			return Files{}, fmt.Errorf("%s/%s: not a migration file name: name it NNNNNN_name.up.sql or NNNNNN_name.down.sql", dir, e.Name())
		}
		f := byVersion[mig.Version]
		if f == nil {
			f = &File{Version: mig.Version, Identifier: mig.Identifier}
			byVersion[mig.Version] = f
		}
		if mig.Direction == source.Up {
			f.Up = e.Name()
		} else {
			f.Down = e.Name()
		}
	}
	files := Files{Dir: dir}
	for _, f := range byVersion {
		if f.Up == "" {
			return Files{}, fmt.Errorf("%s: version %d has a down file (%s) but no up file", dir, f.Version, f.Down)
		}
		files.List = append(files.List, *f)
	}
	sort.Slice(files.List, func(i, j int) bool { return files.List[i].Version < files.List[j].Version })
	if len(files.List) == 0 {
		return Files{}, fmt.Errorf("%s holds no migration files", dir)
	}
	return files, nil
}

// Head is the newest version.
func (f Files) Head() uint { return f.List[len(f.List)-1].Version }

func (f Files) byVersion(v uint) (File, bool) {
	for _, file := range f.List {
		if file.Version == v {
			return file, true
		}
	}
	return File{}, false
}

// Path is a file's path for messages: dir/name.
func (f Files) Path(name string) string { return f.Dir + "/" + name }
