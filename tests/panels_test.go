package tests

import (
	"encoding/json"
	"net"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/appydex/smoke/harness/apitest"
	"github.com/appydex/smoke/harness/browser"
	"github.com/appydex/smoke/harness/browser/browsertest"
	"github.com/appydex/smoke/harness/pgtest"
	"github.com/appydex/smoke/migrations"
	"github.com/appydex/smoke/schema"
)

// fixturePanel serves the panel in fixtures/panels/name as a single-page
// app is served — its files, /config.js naming the API, any other path as
// its index.html (or dashboard.html, where it has one) — beside the
// reference API on a database at version (0: every migration), which
// allows the panel's origin. It returns the panel's address.
func fixturePanel(t *testing.T, name string, version uint) string {
	t.Helper()
	dir := filepath.Join("../fixtures/panels", name)
	_, err := os.Stat(filepath.Join(dir, "index.html"))
	require.NoError(t, err, "fixtures/panels/%s has an index.html", name)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	db := pgtest.Clone(t)
	if version != 0 {
		db = pgtest.AtVersion(t, version)
	}
	api := apitest.Start(t, apitest.Options{DatabaseURL: db.URL, CORSOrigins: []string{"http://" + ln.Addr().String()}})
	config, err := json.Marshal(map[string]string{"api": api.URL})
	require.NoError(t, err)
	servePanel(t, ln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		p := path.Clean(r.URL.Path)
		if p == "/config.js" {
			w.Header().Set("Content-Type", "text/javascript")
			_, _ = w.Write([]byte("window.APPYDEX = " + string(config) + ";\n"))
			return
		}
		file := filepath.Join(dir, filepath.FromSlash(p))
		if st, err := os.Stat(file); err != nil || st.IsDir() {
			file = filepath.Join(dir, "index.html")
			if page := filepath.Join(dir, path.Base(p)+".html"); p != "/" && fileExists(page) {
				file = page
			}
		}
		http.ServeFile(w, r, file)
	}))
	return "http://" + ln.Addr().String() + "/"
}

func fileExists(p string) bool {
	st, err := os.Stat(p)
	return err == nil && !st.IsDir()
}

// rulesOf are the rules of res's problems, in order.
func rulesOf(res *browser.Result) []string {
	var out []string
	for _, p := range res.Problems {
		out = append(out, p.Rule)
	}
	return out
}

// Panels of our own, written the ways real ones are, signed in to through
// the reference API. Each healthy panel passes with nothing said; each
// defective one is named by the rule its defect breaks — a server error
// blamed on the person's credentials, a dashboard whose own call fails, a
// sign-out that ends nothing, a secret where it leaks from — and fails by
// that rule's severity. No secret appears in what is reported.
func TestThePanelFixtures(t *testing.T) {
	t.Parallel()
	b := browsertest.Start(t)
	for _, c := range []struct {
		panel   string
		version uint     // the database's: 0 every migration; the incident's to make login answer 500
		rules   []string // every one must be among the problems
		passes  bool
		landing []string
	}{
		{panel: "spa-hash-routes", passes: true},
		{panel: "two-step-code", passes: true},
		{panel: "another-markup", passes: true},
		{panel: "blames-credentials", version: migrations.IncidentHead, rules: []string{"panel.sign-in-failed", "panel.misleading-message"}},
		{panel: "dashboard-call-fails", rules: []string{"panel.signed-in-call-failed", "panel.signed-in-empty"}},
		{panel: "signout-forgets", rules: []string{"panel.session-live"}},
		{panel: "secrets-in-url", rules: []string{"secret.password", "secret.one-time-code-url"}},
		{panel: "refresh-in-localstorage", rules: []string{"secret.refresh-token", "secret.access-token"}},
		{panel: "console-logs-tokens", rules: []string{"secret.refresh-token", "secret.access-token"}},
	} {
		t.Run(c.panel, func(t *testing.T) {
			t.Parallel()
			panelURL := fixturePanel(t, c.panel, c.version)
			res := signInAsAdmin(t, b, panelURL, t.TempDir())
			out, _ := json.MarshalIndent(res, "", "  ")
			t.Logf("%s", out)
			if c.passes {
				assert.True(t, res.Passed(), "a healthy panel passes: %v", res.Problems)
				assert.Empty(t, res.Problems, "and nothing is said of it")
				assert.Contains(t, res.Session, "the API refuses that token since", "its sign-out ended the session")
			} else {
				assert.False(t, res.Passed(), "a defective panel fails: %v", res.Problems)
				for _, r := range c.rules {
					assert.Contains(t, rulesOf(res), r, "named by %s", r)
				}
				assert.Equal(t, schema.Error, res.Worst())
			}
			for _, p := range res.Problems {
				assert.NotEmpty(t, p.Severity, "%s has a severity", p.What)
				assert.NotEmpty(t, p.Rule, "%s has a rule", p.What)
			}
			for _, secret := range []string{"admin123!@#", "admin123%21%40%23", "eyJ"} {
				assert.NotContains(t, string(out), secret, "no secret in the result")
			}
		})
	}
}

// The secrets check reports the place and the secret's kind, at the
// severity the secret and the place give it (docs/panel.md): the access
// token a panel keeps in sessionStorage is a warning.
func TestAnAccessTokenInSessionStorageIsAWarning(t *testing.T) {
	t.Parallel()
	b := browsertest.Start(t)
	res := signInAsAdmin(t, b, fixturePanel(t, "dashboard-call-fails", 0), t.TempDir())
	var warned []string
	for _, p := range res.Problems {
		if p.Class == browser.ClassSecret && p.Severity == schema.Warning {
			warned = append(warned, p.What)
		}
	}
	assert.True(t, slices.ContainsFunc(warned, func(w string) bool {
		return strings.HasPrefix(w, `the access token is in sessionStorage (under "session")`)
	}), "warnings: %v", warned)
}
