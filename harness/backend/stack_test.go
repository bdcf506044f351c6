package backend_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/appydex/smoke/harness/backend"
	"github.com/appydex/smoke/harness/pgtest"
)

// buildScript builds image from app.txt, FROM scratch (no registry), and
// only when app.txt changed: a recipe hash in a label, as the fixtures'
// build scripts do.
const buildScript = `set -euo pipefail
recipe=$(sha256sum app.txt | cut -c1-16)
if [ "$(docker image inspect --format '{{ index .Config.Labels "recipe" }}' "$1" 2>/dev/null)" = "$recipe" ]; then
	echo "$1 is up to date"; exit 0
fi
printf 'FROM scratch\nCOPY app.txt /app.txt\n' | docker build --quiet --label "recipe=$recipe" -t "$1" -f - . >/dev/null
echo "built $1"
`

// A run never tests an image older than the backend's files: the build
// command runs before every run and rebuilds what changed, and the report
// says which image ran. --no-build uses the image as it is — saying it was
// not checked — and a missing image then is an error.
func TestARunNeverTestsAStaleImage(t *testing.T) {
	pgtest.RequireDocker(t)
	cfg, err := pgtest.Config()
	require.NoError(t, err)
	suffix := make([]byte, 6)
	_, _ = rand.Read(suffix)
	image := "appydex-smoke/stale-test:" + hex.EncodeToString(suffix)
	t.Cleanup(func() { _ = exec.Command("docker", "rmi", "-f", image).Run() })
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "build.sh"), []byte(buildScript), 0o755))
	app := filepath.Join(dir, "app.txt")
	require.NoError(t, os.WriteFile(app, []byte("v1"), 0o644))
	desc := &backend.Description{Name: "stale-test", Image: image, Build: []string{"bash", "build.sh", image},
		Dir: dir, File: filepath.Join(dir, "backend.yaml")}
	ensure := func(noBuild string) backend.Image {
		t.Helper()
		found, err := backend.EnsureImages(t.Context(), desc, cfg, []string{image}, nil, noBuild)
		require.NoError(t, err)
		require.Len(t, found, 1)
		assert.Equal(t, image, found[0].Name)
		assert.False(t, found[0].Created.IsZero(), "when it was made")
		assert.Contains(t, found[0].String(), image+": image "+strings.TrimPrefix(found[0].ID, "sha256:")[:12]+", made ")
		return found[0]
	}

	first := ensure("")
	assert.Equal(t, "built now by `bash build.sh "+image+"`", first.Checked)
	again := ensure("")
	assert.Equal(t, first.ID, again.ID)
	assert.Equal(t, "current by `bash build.sh "+image+"`, which built nothing", again.Checked)

	require.NoError(t, os.WriteFile(app, []byte("v2"), 0o644))
	edited := ensure("")
	assert.NotEqual(t, first.ID, edited.ID, "the backend's files changed: the image is built again")
	assert.Equal(t, "built now by `bash build.sh "+image+"`", edited.Checked)

	require.NoError(t, os.WriteFile(app, []byte("v3"), 0o644))
	asIs := ensure("--no-build")
	assert.Equal(t, edited.ID, asIs.ID, "--no-build: the image as it is")
	assert.Equal(t, "not checked for changes: --no-build", asIs.Checked)

	require.NoError(t, exec.Command("docker", "rmi", "-f", image).Run())
	_, err = backend.EnsureImages(context.Background(), desc, cfg, []string{image}, nil, "--no-build")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "image "+image+" is not on this machine, and the build command is not run (--no-build): build it, or run without --no-build")
}
