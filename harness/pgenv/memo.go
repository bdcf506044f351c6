package pgenv

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
)

// Remember returns what compute returns for key, made once per shared server:
// the first run that asks makes it and leaves it in the server's folder,
// and the runs after it, while the server is kept, read it back. It is
// for what the server computes the same way every time from the same
// inputs — a snapshot of the migrations' schema — so key must name every
// input; the server's version and this program's build are added to it.
// A failure to compute is returned, never kept.
//
// On a server of this process's own, or an external one, nothing is kept
// and compute runs every time. The folder goes when the server stops.
func (s *Server) Remember(key string, compute func() ([]byte, error)) (value []byte, reused bool, err error) {
	build := programBuild()
	if s.memoDir == "" || build == "" {
		value, err = compute()
		return value, false, err
	}
	sum := sha256.Sum256([]byte(memoRecipe + "\x00" + build + "\x00" + s.version + "\x00" + key))
	path := filepath.Join(s.memoDir, hex.EncodeToString(sum[:16]))
	if b, err := os.ReadFile(path); err == nil {
		return b, true, nil
	}
	if value, err = compute(); err != nil {
		return nil, false, err
	}
	// Written under a name of its own, then renamed: a reader sees the
	// whole value or none, and two runs that make it at once both win.
	if err := os.MkdirAll(s.memoDir, 0o700); err != nil {
		s.logf("pgenv: keep for the next run: %v", err)
		return value, false, nil
	}
	tmp, err := os.CreateTemp(s.memoDir, ".new-*")
	if err == nil {
		_, err = tmp.Write(value)
		err = errors.Join(err, tmp.Close())
		if err == nil {
			err = os.Rename(tmp.Name(), path)
		}
		if err != nil {
			os.Remove(tmp.Name())
		}
	}
	if err != nil {
		s.logf("pgenv: keep for the next run: %v", err) // the value is good; only the next run pays again
	}
	return value, false, nil
}

const memoRecipe = "pgenv-memo-v1"

// programBuild names this program's build: its path, size and time, which
// change whenever it is rebuilt, so nothing a build made is read by
// another (whose code may read a catalog differently). "" when it cannot
// be told: then nothing is kept.
var programBuild = sync.OnceValue(func() string {
	exe, err := os.Executable()
	if err != nil {
		return ""
	}
	fi, err := os.Stat(exe)
	if err != nil {
		return ""
	}
	return fmt.Sprintf("%s\x00%d\x00%d", exe, fi.Size(), fi.ModTime().UnixNano())
})

// removeMemo forgets what the runs on a shared server kept: its server is
// stopping.
func removeMemo(dir string) error {
	err := os.RemoveAll(filepath.Join(dir, memoDirName))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return err
}

const memoDirName = "memo"
