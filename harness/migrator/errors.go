package migrator

import (
	"errors"
	"fmt"
	"strings"

	"github.com/golang-migrate/migrate/v4/database"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/appydex/smoke/redact"
)

// ErrDirty is matched (errors.Is) by a DirtyError.
var ErrDirty = errors.New("database is dirty")

// DirtyError says a migration failed part way on this database earlier, so
// golang-migrate refuses to run another until someone checks the database.
type DirtyError struct {
	Version  uint   // the version recorded as dirty
	File     string // dir/NNNNNN_name.up.sql: the file that was being applied
	Previous int    // the version to force once the file's effects are undone; -1: none
	Database string // the database, password masked
}

func (e *DirtyError) Error() string {
	return fmt.Sprintf("database %s is dirty at version %d: %s failed part way (or, if you were migrating down, the down file above it did). %s",
		e.Database, e.Version, e.File, mend(e.File, e.Database, e.Previous))
}

// Is makes errors.Is(err, ErrDirty) true.
func (e *DirtyError) Is(target error) bool { return target == ErrDirty }

// MigrationError is a migration file PostgreSQL rejected, with the position
// of the error in that file when PostgreSQL reports one. It leaves the
// database dirty at the file's version.
type MigrationError struct {
	File     string // dir/NNNNNN_name.up.sql
	Line     int    // 1-based; 0 when PostgreSQL gave no position
	Column   int    // 1-based; 0 when PostgreSQL gave no position
	Previous int    // the version to force once the file is fixed; -1: none
	Database string // the database, password masked
	Err      error  // the *pgconn.PgError, or whatever else failed
}

func (e *MigrationError) Error() string {
	where := e.File
	if e.Line > 0 {
		where = fmt.Sprintf("%s:%d:%d", e.File, e.Line, e.Column)
	}
	msg := e.Err.Error()
	var pgErr *pgconn.PgError
	if errors.As(e.Err, &pgErr) {
		msg = fmt.Sprintf("%s (SQLSTATE %s)", pgErr.Message, pgErr.Code)
		if pgErr.Detail != "" {
			msg += ": " + pgErr.Detail
		}
	}
	return fmt.Sprintf("%s: %s. Fix the file; the database is now marked dirty. %s", where, msg, mend(e.File, e.Database, e.Previous))
}

// Unwrap gives errors.As access to the PostgreSQL error.
func (e *MigrationError) Unwrap() error { return e.Err }

// mend says how to clear a dirty version with golang-migrate's CLI.
func mend(file, database string, previous int) string {
	if previous < 0 {
		return fmt.Sprintf("Undo whatever of it took effect, then clear the record (there is no version to force back to): "+
			"migrate -path %s -database '%s' force -1", dirOf(file), database)
	}
	return fmt.Sprintf("Undo whatever of it took effect, then mark version %d clean and migrate again: "+
		"migrate -path %s -database '%s' force %d", previous, dirOf(file), database, previous)
}

func (mg *Migrator) dirtyError(version uint) error {
	file, previous := mg.fileAndPrevious(version)
	return &DirtyError{Version: version, File: file, Previous: previous, Database: redact.Conn(mg.dbURL)}
}

// fileAndPrevious names the up file of version and the version below it.
func (mg *Migrator) fileAndPrevious(version uint) (file string, previous int) {
	file, previous = fmt.Sprintf("%s/%06d_*.up.sql", mg.files.Dir, version), -1
	if f, ok := mg.files.byVersion(version); ok {
		file = mg.files.Path(f.Up)
	}
	for _, f := range mg.files.List {
		if f.Version < version {
			previous = int(f.Version)
		}
	}
	return file, previous
}

// migrationError explains a failure golang-migrate reported while running a
// file, or returns nil when err is something else.
func (mg *Migrator) migrationError(err error) error {
	var dbErr database.Error
	if !errors.As(err, &dbErr) || dbErr.OrigErr == nil {
		return nil
	}
	// The failed file left its version dirty: that names the file.
	version, dirty, verr := mg.m.Version()
	if verr != nil || !dirty {
		return nil
	}
	file, previous := mg.fileAndPrevious(version)
	e := &MigrationError{File: file, Previous: previous, Database: redact.Conn(mg.dbURL), Err: dbErr.OrigErr}
	var pgErr *pgconn.PgError
	if errors.As(dbErr.OrigErr, &pgErr) && pgErr.Position > 0 {
		e.Line, e.Column = position(string(dbErr.Query), int(pgErr.Position))
	}
	return e
}

// position turns PostgreSQL's 1-based character offset into a line and column.
func position(text string, offset int) (line, col int) {
	runes := []rune(text)
	if offset > len(runes) {
		offset = len(runes)
	}
	before := string(runes[:offset-1])
	line = strings.Count(before, "\n") + 1
	col = len([]rune(before[strings.LastIndexByte(before, '\n')+1:])) + 1
	return line, col
}

func dirOf(path string) string {
	if i := strings.LastIndexByte(path, '/'); i > 0 {
		return path[:i]
	}
	return "."
}
