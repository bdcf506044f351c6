package main

import (
	"bytes"
	"encoding/json"
	"image/png"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/appydex/smoke/app/adminpanel"
	"github.com/appydex/smoke/harness/apitest"
	"github.com/appydex/smoke/harness/browser"
	"github.com/appydex/smoke/harness/browser/browsertest"
	"github.com/appydex/smoke/harness/browser/container"
	"github.com/appydex/smoke/harness/docker"
	"github.com/appydex/smoke/harness/pgtest"
	"github.com/appydex/smoke/harness/report"
)

// stepNamed is the report's step of that name.
func stepNamed(t *testing.T, rep *report.Report, name string) *report.Step {
	t.Helper()
	for _, s := range rep.Steps {
		if s.Name == name {
			return s
		}
	}
	t.Fatalf("no step %q in the report", name)
	return nil
}

func TestRunSignsInThroughTheAdminPanel(t *testing.T) {
	t.Parallel()
	browsertest.Require(t)
	code, out, errOut := smoke(t, nil, append([]string{"run"}, onTestServer(t)...)...)
	require.Equal(t, exitOK, code, "stdout:\n%s\nstderr:\n%s", out, errOut)
	for _, want := range []string{
		"ok   browser ",
		"signed in through the admin panel in a browser: landed on /dashboard",
		`the page landed on /dashboard: "Dashboard Signed in as admin@appydex.local Sign out"`,
		"/api/v1/auth/login → 200",
		"session: signed out through the page (now on /)",
	} {
		assert.Contains(t, out, want)
	}
	assert.NotContains(t, out, "admin123!@#", "no password in the output")
	assert.NotContains(t, out, "attached:", "no screenshot of a success")
}

// The incident through the panel: the page's own words, the 500 behind
// them, a screenshot of the page in every report; and after the fix, the
// dashboard.
func TestReproShowsThePanelsMessageThenTheDashboard(t *testing.T) {
	t.Parallel()
	browsertest.Require(t)
	dir := t.TempDir()
	junit := filepath.Join(dir, "repro.xml")
	code, out, errOut := smoke(t, map[string]string{"SMOKE_ARTIFACTS": dir},
		append([]string{"repro", "--json", "--junit", junit}, onTestServer(t)...)...)
	require.Equal(t, exitOK, code, "stdout:\n%s\nstderr:\n%s", out, errOut)
	var rep report.Report
	require.NoError(t, json.Unmarshal([]byte(out), &rep))

	at := stepNamed(t, &rep, "browser at the incident")
	require.Equal(t, report.Pass, at.Status, "%s: %s", at.Summary, at.Lines)
	require.NotNil(t, at.Browser)
	assert.False(t, at.Browser.Landed)
	assert.Equal(t, "/", at.Browser.Page)
	assert.Equal(t, "Something went wrong (INTERNAL_ERROR, HTTP 500)", at.Browser.Shown, "the panel shows the API's envelope")
	f := at.Browser.Failing()
	require.NotNil(t, f)
	assert.Equal(t, "POST", f.Method)
	assert.True(t, strings.HasSuffix(f.URL, "/api/v1/auth/login"), f.URL)
	assert.Equal(t, 500, f.Status)
	assert.Equal(t, "INTERNAL_ERROR", f.Code)
	assert.Contains(t, strings.Join(at.Browser.Console, "\n"), "500", "the console's error")
	// The sign-in's failure is what the incident looks like: the step
	// passes, and its lines say the failure is expected, not a ✗.
	lines := strings.Join(at.Lines, "\n")
	assert.Contains(t, lines, "expected at the incident: [sign-in] the sign-in stayed on /")
	assert.NotContains(t, lines, "✗")

	// The screenshot: named in the JSON and the JUnit report, a PNG of the page.
	require.Len(t, at.Attachments, 1)
	shot := at.Attachments[0]
	assert.Equal(t, dir, filepath.Dir(shot))
	f2, err := os.Open(shot)
	require.NoError(t, err)
	defer f2.Close()
	img, err := png.Decode(f2)
	require.NoError(t, err, "the screenshot is a PNG")
	assert.GreaterOrEqual(t, img.Bounds().Dx(), 800)
	xml, err := os.ReadFile(junit)
	require.NoError(t, err)
	assert.Contains(t, string(xml), "[[ATTACHMENT|"+shot+"]]")

	after := stepNamed(t, &rep, "browser after the fix")
	require.Equal(t, report.Pass, after.Status, "%s: %s", after.Summary, after.Lines)
	assert.True(t, after.Browser.Landed)
	assert.Equal(t, "/dashboard", after.Browser.Page)
	assert.Empty(t, after.Attachments)
}

// Where the host has no Chromium, the browser step runs Debian's in a
// container, on the network where the panel and the API the run serves on
// loopback are reachable, and says so.
func TestRunWithoutChromiumRunsTheBrowserInAContainer(t *testing.T) {
	t.Parallel()
	pgtest.RequireDocker(t)
	image := container.Image(os.Getenv)
	cli, err := docker.Client(t.Context(), os.Getenv("DOCKER_HOST"))
	require.NoError(t, err)
	defer cli.Close()
	if !docker.ImagePresent(t.Context(), cli, image) {
		if os.Getenv(browser.EnvRequire) != "" {
			t.Fatalf("%s is set, and the browser's image %s is not here (make chromium-image)", browser.EnvRequire, image)
		}
		t.Skipf("no browser image %s (make chromium-image)", image)
	}
	hostless := map[string]string{"PATH": t.TempDir(), browser.EnvChromium: ""}
	code, out, errOut := smoke(t, hostless, append([]string{"run"}, onTestServer(t)...)...)
	require.Equal(t, exitOK, code, "stdout:\n%s\nstderr:\n%s", out, errOut)
	assert.Contains(t, out, "ok   browser ")
	assert.Regexp(t, `browser: Chrome/\S+ in a container \(`+regexp.QuoteMeta(image)+`, `, out, "the step says which browser ran")
	assert.Contains(t, out, "signed in through the admin panel in a browser: landed on /dashboard")
}

// Where no Chromium is installed and no browser image either, run says how
// to get one and skips only the browser step; where the browser is
// required, the step fails.
func TestRunWithoutChromium(t *testing.T) {
	t.Parallel()
	noBrowser := map[string]string{"PATH": t.TempDir(), browser.EnvChromium: "", browser.EnvRequire: "",
		container.EnvImage: "appydex-smoke/chromium:nowhere"}
	code, out, errOut := smoke(t, noBrowser, append([]string{"run"}, onTestServer(t)...)...)
	require.Equal(t, exitOK, code, "stdout:\n%s\nstderr:\n%s", out, errOut)
	assert.Contains(t, out, "skip browser")
	assert.Contains(t, out, "apt-get install chromium")
	if docker.Answers(t.Context(), os.Getenv("DOCKER_HOST")) == nil {
		assert.Contains(t, out, "appydex-smoke/chromium:nowhere is not on this machine (build it with `make chromium-image`")
	} else {
		assert.Contains(t, out, "no browser container: no Docker Engine answers")
	}
	assert.Contains(t, out, "ok   flow ")

	noBrowser[browser.EnvRequire] = "1"
	code, out, errOut = smoke(t, noBrowser, append([]string{"run"}, onTestServer(t)...)...)
	require.Equal(t, exitFailed, code, "stdout:\n%s\nstderr:\n%s", out, errOut)
	assert.Contains(t, out, "FAIL browser ")
	assert.Contains(t, out, "SMOKE_REQUIRE_BROWSER requires this step")
}

// verify --admin-url signs in to the deployment's panel: here the
// reference panel in front of the reference API.
func TestVerifySignsInToTheAdminPanel(t *testing.T) {
	t.Parallel()
	browsertest.Require(t)
	api, panelURL, db := deployedWithPanel(t)
	code, out, errOut := smoke(t, map[string]string{"SMOKE_PASSWORD": "admin123!@#", "SMOKE_OTP": "000000"},
		append([]string{"verify", "--database-url", db, "--api-url", api, "--admin-url", panelURL}, onTestServer(t)...)...)
	require.Equal(t, exitOK, code, "stdout:\n%s\nstderr:\n%s", out, errOut)
	assert.Contains(t, out, "ok   admin panel ")
	assert.Contains(t, out, "and its admin panel signs in to the dashboard")
	assert.False(t, bytes.Contains([]byte(out), []byte("admin123!@#")))
}

// A deployment's panel may land elsewhere than the incident report's
// /dashboard or /admins: --admin-landing says where.
func TestVerifyLandsWhereTheDeploymentsPanelDoes(t *testing.T) {
	t.Parallel()
	browsertest.Require(t)
	_, _, db := deployedWithPanel(t)
	panel := browsertest.Pages(t, map[string]string{
		"/": `<!doctype html><form id=f><input name=email type=email><input name=password type=password>
			<input name=otp placeholder="OTP"><button>Sign In</button></form>
			<script>f.onsubmit = ev => { ev.preventDefault(); location = "/home"; };</script>`,
		"/home": `<!doctype html><h1>Home</h1><button onclick="location = '/'">Sign out</button>`,
	})
	code, out, errOut := smoke(t, map[string]string{"SMOKE_PASSWORD": "admin123!@#", "SMOKE_OTP": "000000"},
		append([]string{"verify", "--database-url", db, "--admin-url", panel + "/", "--admin-landing", "/home, /welcome"}, onTestServer(t)...)...)
	require.Equal(t, exitOK, code, "stdout:\n%s\nstderr:\n%s", out, errOut)
	assert.Contains(t, out, "landed on /home")
	assert.Contains(t, out, "session: signed out through the page (now on /)")
}

// deployedWithPanel is a deployment as verify meets it: the reference API
// on a database of its own, and the reference panel in front of it, the
// API allowing the panel's origin.
func deployedWithPanel(t *testing.T) (apiURL, panelURL, databaseURL string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	origin := "http://" + ln.Addr().String()
	api := apitest.Start(t, apitest.Options{CORSOrigins: []string{origin}})
	h, err := adminpanel.Handler(api.URL)
	require.NoError(t, err)
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { srv.Close() })
	return api.URL, origin + "/", api.DatabaseURL
}
