package migrator

import (
	"io/fs"

	"github.com/golang-migrate/migrate/v4/source"
)

// Until returns fsys with only the migrations up to version: the history as
// it stood then (the incident's files ended at version 3).
func Until(fsys fs.FS, version uint) fs.FS {
	return until{fsys, version}
}

type until struct {
	fs.FS
	version uint
}

func (u until) keep(name string) bool {
	m, err := source.Parse(name)
	return err != nil || m.Version <= u.version
}

func (u until) Open(name string) (fs.File, error) {
	if !u.keep(name) {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	}
	return u.FS.Open(name)
}

func (u until) ReadDir(name string) ([]fs.DirEntry, error) {
	entries, err := fs.ReadDir(u.FS, name)
	if err != nil {
		return nil, err
	}
	kept := entries[:0]
	for _, e := range entries {
		if u.keep(e.Name()) {
			kept = append(kept, e)
		}
	}
	return kept, nil
}
