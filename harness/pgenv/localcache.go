package pgenv

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
)

// initdbArgs shape the cached cluster; changing them changes the cache key.
var initdbArgs = []string{
	"--username=postgres", "--auth-local=trust", "--auth-host=scram-sha-256",
	"--encoding=UTF8", "--locale=C", "--no-sync", "--no-instructions",
}

// pristineCluster returns a data directory made by initdb, and its superuser
// password, from the cache: initdb runs once per machine, binaries and user,
// and every later start copies the pristine directory (PostgreSQL's own test
// suite does the same). Concurrent processes wait for one to build it.
func pristineCluster(ctx context.Context, cfg Config, binDir string, cred *syscall.Credential) (dataDir, password string, err error) {
	version, err := exec.CommandContext(ctx, filepath.Join(binDir, "postgres"), "--version").Output()
	if err != nil {
		return "", "", fmt.Errorf("run %s --version: %w", filepath.Join(binDir, "postgres"), err)
	}
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%s\x00%v\x00%v", version, binDir, initdbArgs, cred)
	key := hex.EncodeToString(h.Sum(nil))[:16]

	root := cfg.CacheDir
	if root == "" {
		base, err := os.UserCacheDir()
		if err != nil {
			base = os.TempDir()
		}
		root = filepath.Join(base, "appydex-smoke")
	}
	if err := os.MkdirAll(root, 0o700); err != nil {
		return "", "", fmt.Errorf("create the cache folder: %w", err)
	}
	entry := filepath.Join(root, "pgdata-"+key)
	unlock, err := lockFile(entry + ".lock")
	if err != nil {
		return "", "", err
	}
	defer unlock()

	dataDir, pwFile := filepath.Join(entry, "data"), filepath.Join(entry, "password")
	if pw, err := os.ReadFile(pwFile); err == nil {
		if _, err := os.Stat(filepath.Join(dataDir, "PG_VERSION")); err == nil {
			return dataDir, string(pw), nil
		}
	}
	cfg.logf("pgenv: initdb (once; later starts copy the cached cluster from %s)", entry)
	if err := buildPristine(ctx, binDir, cred, entry); err != nil {
		return "", "", err
	}
	pw, err := os.ReadFile(pwFile)
	return dataDir, string(pw), err
}

// buildPristine runs initdb in a scratch folder the server user can write,
// then moves the result into the cache entry whole: a cache entry is either
// complete or absent.
func buildPristine(ctx context.Context, binDir string, cred *syscall.Credential, entry string) error {
	scratch, err := os.MkdirTemp(tempBase(), "appydex-smoke-initdb-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(scratch)
	password := randomHex(16)
	if err := os.WriteFile(filepath.Join(scratch, "password"), []byte(password), 0o600); err != nil {
		return err
	}
	if err := chownTree(scratch, cred); err != nil {
		return err
	}
	args := append([]string{"-D", filepath.Join(scratch, "data"), "--pwfile=" + filepath.Join(scratch, "password")}, initdbArgs...)
	cmd := exec.CommandContext(ctx, filepath.Join(binDir, "initdb"), args...)
	cmd.Env = serverEnv()
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("initdb: %w\n%s", err, out.String())
	}

	tmp := entry + ".building"
	os.RemoveAll(tmp)
	if err := copyTree(scratch, tmp); err != nil {
		return fmt.Errorf("cache the initdb result: %w", err)
	}
	os.RemoveAll(entry)
	return os.Rename(tmp, entry)
}

// copyTree copies the directory tree src to dst (which must not exist),
// keeping permission bits; files are owned by the caller.
func copyTree(src, dst string) error {
	return filepath.WalkDir(src, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		target := filepath.Join(dst, rel)
		info, err := d.Info()
		if err != nil {
			return err
		}
		switch {
		case d.IsDir():
			return os.Mkdir(target, info.Mode().Perm())
		case info.Mode()&os.ModeSymlink != 0:
			link, err := os.Readlink(path)
			if err != nil {
				return err
			}
			return os.Symlink(link, target)
		case info.Mode().IsRegular():
			return copyFile(path, target, info.Mode().Perm())
		default:
			return fmt.Errorf("%s: unexpected file type %s", path, info.Mode().Type())
		}
	})
}

func copyFile(src, dst string, perm os.FileMode) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// lockFile takes an exclusive lock on path (created if missing) until the
// returned function is called; the kernel drops it if this process dies.
func lockFile(path string) (unlock func(), err error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	return func() { f.Close() }, nil
}

// tempBase is where ephemeral clusters live: /dev/shm when it is a writable
// folder (memory: clones there are ~10x faster than on a slow disk), else
// the system's temporary folder.
func tempBase() string {
	const shm = "/dev/shm"
	if fi, err := os.Stat(shm); err == nil && fi.IsDir() && syscall.Access(shm, 2 /* W_OK */) == nil {
		return shm
	}
	return os.TempDir()
}
