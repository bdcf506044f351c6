package tests

import (
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/appydex/smoke/harness/pgtest"
)

// smokeImage is the harness's image, as `make smoke-image` builds it.
const smokeImage = "appydex-smoke/smoke"

// The harness as a team without Go runs it: nothing on the host but
// Docker (its PATH holds the docker command alone), the image run from a
// folder outside this repository with the engine's socket mounted, the
// PostgreSQL and the backend it starts reached from inside it (Docker
// outside of Docker), and every step the README names run — the browser's
// too, not skipped.
func TestTheSmokeImageRunsWithNothingButDocker(t *testing.T) {
	t.Parallel()
	pgtest.RequireDocker(t)
	dockerCmd, err := exec.LookPath("docker")
	require.NoError(t, err, "the docker command")
	// The image is built from this checkout, or found current: never an
	// older build's code.
	build := exec.Command("../images/smoke/build.sh", smokeImage)
	out, err := build.CombinedOutput()
	require.NoError(t, err, "images/smoke/build.sh:\n%s", out)

	onlyDocker := t.TempDir()
	require.NoError(t, os.Symlink(dockerCmd, filepath.Join(onlyDocker, "docker")))
	socket := "/var/run/docker.sock"
	if u, err := url.Parse(os.Getenv("DOCKER_HOST")); err == nil && u.Scheme == "unix" {
		socket = u.Path
	}
	// run is `docker run … smoke ARGS` in dir, mounted as /src.
	run := func(t *testing.T, dir string, args ...string) (int, string) {
		cmd := exec.CommandContext(t.Context(), "docker", append([]string{"run", "--rm", "-v", socket + ":/var/run/docker.sock",
			"-v", dir + ":/src", smokeImage}, args...)...)
		cmd.Dir = dir
		cmd.Env = []string{"PATH=" + onlyDocker, "HOME=" + t.TempDir()}
		if h := os.Getenv("DOCKER_HOST"); h != "" {
			cmd.Env = append(cmd.Env, "DOCKER_HOST="+h)
		}
		out, err := cmd.CombinedOutput()
		var exit *exec.ExitError
		if err != nil && !assert.ErrorAs(t, err, &exit, "docker run:\n%s", out) {
			return -1, string(out)
		}
		return cmd.ProcessState.ExitCode(), string(out)
	}
	browserRan := regexp.MustCompile(`ok   browser .*landed on /dashboard\n\s+browser: Chrome/\S+ on this host \(/usr/bin/chromium\)`)

	// One after the other: each runs a whole stack and a browser, on a
	// machine where other packages' tests run meanwhile.
	t.Run("the reference API", func(t *testing.T) {
		code, out := run(t, t.TempDir(), "run")
		require.Equal(t, 0, code, out)
		assert.Regexp(t, browserRan, out)
		assert.Contains(t, out, "ok   flow ")
		assert.Contains(t, out, "PASS: the reference API's model")
	})
	t.Run("a backend's own repository", func(t *testing.T) {
		repo := t.TempDir()
		copyDir(t, "../fixtures/backends/fastapi", repo)
		code, out := run(t, repo, "run", "--backend", "/src")
		require.Equal(t, 0, code, out)
		assert.Regexp(t, browserRan, out)
		assert.Regexp(t, `ok   api .* on http://[0-9.]+:\d+`, out, "the backend's published port, reached from inside the image")
		assert.Contains(t, out, "PASS: fastapi's model")
	})
}

// copyDir copies the files of src into dst, as a backend's repository.
func copyDir(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		if strings.HasSuffix(path, ".pyc") {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		return os.WriteFile(target, b, info.Mode().Perm())
	})
	require.NoError(t, err)
}
