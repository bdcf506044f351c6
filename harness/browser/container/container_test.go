package container_test

import (
	"bytes"
	"errors"
	"flag"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/appydex/smoke/app/adminpanel"
	"github.com/appydex/smoke/harness/browser"
	"github.com/appydex/smoke/harness/browser/browsertest"
	"github.com/appydex/smoke/harness/browser/container"
	"github.com/appydex/smoke/harness/docker"
	"github.com/appydex/smoke/harness/pgtest"
)

func TestMain(m *testing.M) {
	flag.Parse()
	docker.Setup(os.Getenv, testing.Verbose())
	os.Exit(m.Run())
}

// start runs the browser container for the test; without Docker or the
// image the test skips, or fails under $SMOKE_REQUIRE_BROWSER (CI).
func start(t *testing.T) *browser.Browser {
	t.Helper()
	pgtest.RequireDocker(t)
	b, err := container.Start(t.Context(), container.Image(os.Getenv), os.Getenv("DOCKER_HOST"))
	if errors.Is(err, container.ErrUnavailable) && os.Getenv(browser.EnvRequire) == "" {
		t.Skip(err)
	}
	require.NoError(t, err)
	t.Cleanup(b.Close)
	return b
}

// standIn is browsertest's stand-in API with one answer to a sign-in,
// and the reference panel calling it from its own origin: the browser
// must reach both at the loopback addresses this process serves them on.
func standIn(t *testing.T, loginStatus int) string {
	t.Helper()
	api := browsertest.API(t, loginStatus, true)
	h, err := adminpanel.Handler(api.URL)
	require.NoError(t, err)
	panel := httptest.NewServer(h)
	t.Cleanup(panel.Close)
	browsertest.AllowOrigin(api, panel.URL)
	return panel.URL + "/"
}

// The browser in a container signs in as the host's does: it lands on the
// dashboard of a panel this process serves on loopback, and at a 500 it
// shows what the page showed, the answer behind it and a screenshot this
// process writes.
func TestTheBrowserInAContainerSignsIn(t *testing.T) {
	b := start(t)
	assert.Contains(t, b.String(), "in a container ("+container.Image(os.Getenv))
	assert.Contains(t, b.Version, "Chrome/", "the browser's own version")

	signIn := func(panelURL string) *browser.Result {
		res, err := b.SignIn(t.Context(), browser.SignInOptions{PanelURL: panelURL, Login: "admin@appydex.local", Password: "admin123!@#",
			OTP: "000000", ScreenshotDir: t.TempDir(), ScreenshotName: "sign-in.png", SignOut: true})
		require.NoError(t, err)
		return res
	}
	res := signIn(standIn(t, http.StatusOK))
	assert.True(t, res.Passed(), "problems: %v", res.Problems)
	assert.Equal(t, "/dashboard", res.Page)
	assert.True(t, strings.HasPrefix(res.SignedOut, "signed out through the page"), res.SignedOut)

	res = signIn(standIn(t, http.StatusInternalServerError))
	assert.False(t, res.Landed)
	assert.Equal(t, "Something went wrong (INTERNAL_ERROR, HTTP 500)", res.Shown)
	if f := res.Failing(); assert.NotNil(t, f) {
		assert.Equal(t, http.StatusInternalServerError, f.Status)
	}
	png, err := os.ReadFile(res.Screenshot)
	require.NoError(t, err)
	assert.True(t, bytes.HasPrefix(png, []byte("\x89PNG\r\n\x1a\n")) && len(png) > 2000, "a screenshot of the page: %d bytes", len(png))
}

// An image that is not here is said with how to build it, as unavailable
// (the command then skips the step, or fails it in CI), not as a failure
// of the browser.
func TestAMissingImageSaysHowToBuildIt(t *testing.T) {
	pgtest.RequireDocker(t)
	_, err := container.Start(t.Context(), "appydex-smoke/chromium:nowhere", os.Getenv("DOCKER_HOST"))
	require.ErrorIs(t, err, container.ErrUnavailable)
	assert.Contains(t, err.Error(), "appydex-smoke/chromium:nowhere is not on this machine (build it with `make chromium-image`")
}
