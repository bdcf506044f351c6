package pgenv

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
)

// findBinDir returns the folder holding initdb and postgres: the configured
// one, else pg_config --bindir, else PATH, else Debian's layout (the newest
// /usr/lib/postgresql/<version>/bin), naming every place it looked when none
// has them.
func findBinDir(ctx context.Context, configured string) (string, error) {
	has := func(dir string) bool {
		for _, name := range []string{"initdb", "postgres"} {
			if fi, err := os.Stat(filepath.Join(dir, name)); err != nil || fi.IsDir() || fi.Mode()&0o111 == 0 {
				return false
			}
		}
		return true
	}
	if configured != "" {
		if has(configured) {
			return configured, nil
		}
		return "", fmt.Errorf("%s does not hold PostgreSQL's initdb and postgres: set SMOKE_PG_BINDIR to the folder that does (e.g. /usr/lib/postgresql/15/bin)", configured)
	}
	var looked []string
	if out, err := exec.CommandContext(ctx, "pg_config", "--bindir").Output(); err == nil {
		dir := strings.TrimSpace(string(out))
		if has(dir) {
			return dir, nil
		}
		looked = append(looked, "pg_config --bindir ("+dir+")")
	} else {
		looked = append(looked, "pg_config (not found)")
	}
	if p, err := exec.LookPath("postgres"); err == nil {
		// PATH may hold a symlink to the real binary; initdb lives beside it.
		if real, err := filepath.EvalSymlinks(p); err == nil && has(filepath.Dir(real)) {
			return filepath.Dir(real), nil
		}
		if has(filepath.Dir(p)) {
			return filepath.Dir(p), nil
		}
	}
	looked = append(looked, "PATH")
	debian, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(debian, func(i, j int) bool { return versionOf(debian[i]) > versionOf(debian[j]) })
	for _, dir := range debian {
		if has(dir) {
			return dir, nil
		}
	}
	looked = append(looked, "/usr/lib/postgresql/*/bin")
	return "", fmt.Errorf("no PostgreSQL server binaries (initdb, postgres) found in %s: install them (Debian: apt-get install postgresql-15) or set SMOKE_PG_BINDIR",
		strings.Join(looked, ", "))
}

func versionOf(binDir string) int {
	v, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return v
}

// serverUser is the unprivileged account the server runs as when this process
// is root (initdb and postgres refuse to run as root): postgres, else nobody.
// It returns nil when this process is not root: the server runs as us.
func serverUser() (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	for _, name := range []string{"postgres", "nobody"} {
		u, err := user.Lookup(name)
		if err != nil {
			continue
		}
		uid, err1 := strconv.ParseUint(u.Uid, 10, 32)
		gid, err2 := strconv.ParseUint(u.Gid, 10, 32)
		if err := errors.Join(err1, err2); err != nil {
			return nil, fmt.Errorf("user %s: %w", name, err)
		}
		return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), NoSetGroups: true}, nil
	}
	return nil, errors.New("running as root, and PostgreSQL refuses to run as root, but neither a postgres nor a nobody user exists to run it as: create one (useradd --system postgres) or run as another user")
}

// chownTree gives the tree at root to cred's user; nothing to do when cred is nil.
func chownTree(root string, cred *syscall.Credential) error {
	if cred == nil {
		return nil
	}
	return filepath.WalkDir(root, func(path string, _ os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(path, int(cred.Uid), int(cred.Gid))
	})
}

// serverEnv is this process's environment without PG* variables, which would
// otherwise steer initdb and postgres (PGDATA, PGPORT, …).
func serverEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "PG") {
			env = append(env, kv)
		}
	}
	return append(env, "LC_ALL=C")
}
