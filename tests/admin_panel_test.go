package tests

import (
	"image/png"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/appydex/smoke/app/adminpanel"
	"github.com/appydex/smoke/app/seed"
	"github.com/appydex/smoke/harness/apitest"
	"github.com/appydex/smoke/harness/browser"
	"github.com/appydex/smoke/harness/browser/browsertest"
	"github.com/appydex/smoke/harness/migrator"
	"github.com/appydex/smoke/harness/pgtest"
	"github.com/appydex/smoke/migrations"
)

// servePanel serves handler on a free port until the test ends.
func servePanel(t *testing.T, ln net.Listener, h http.Handler) {
	t.Helper()
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { srv.Close() })
}

// incidentAPI is the reference API on a database as the incident's was,
// allowing the origin of a panel that will listen on ln.
func incidentAPI(t *testing.T) (api *apitest.API, databaseURL string, ln net.Listener) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	db := pgtest.AtVersion(t, migrations.IncidentHead)
	api = apitest.Start(t, apitest.Options{DatabaseURL: db.URL, CORSOrigins: []string{"http://" + ln.Addr().String()}})
	return api, db.URL, ln
}

func signInAsAdmin(t *testing.T, b *browser.Browser, panelURL, shots string) *browser.Result {
	t.Helper()
	res, err := b.SignIn(t.Context(), browser.SignInOptions{PanelURL: panelURL, Login: seed.AdminEmail, Password: seed.AdminPassword,
		OTP: seed.DevOTP, ScreenshotDir: shots, ScreenshotName: "sign-in.png", SignOut: true})
	require.NoError(t, err)
	return res
}

// The report's reproduction, as a person did it: the admin panel's
// sign-in. At the incident the page shows the API's own message and the
// 500 is behind it; the screenshot shows the page. After the pending
// migration the same sign-in lands on the dashboard.
func TestTheAdminPanelAtTheIncidentAndAfterTheFix(t *testing.T) {
	t.Parallel()
	b := browsertest.Start(t)
	api, databaseURL, ln := incidentAPI(t)
	h, err := adminpanel.Handler(api.URL)
	require.NoError(t, err)
	servePanel(t, ln, h)
	panelURL := "http://" + ln.Addr().String() + "/"
	shots := t.TempDir()

	res := signInAsAdmin(t, b, panelURL, shots)
	assert.False(t, res.Landed)
	assert.Equal(t, "/", res.Page)
	assert.Equal(t, "Something went wrong (INTERNAL_ERROR, HTTP 500)", res.Shown)
	failing := res.Failing()
	require.NotNil(t, failing, "the request behind the message")
	assert.Equal(t, "POST "+api.URL+"/api/v1/auth/login → 500 INTERNAL_ERROR", failing.String())
	for _, p := range res.Problems {
		assert.NotEqual(t, browser.ClassBlame, p.Class, "the reference panel does not blame the connection: %s", p.What)
	}
	require.NotEmpty(t, res.Screenshot)
	assert.True(t, showsAPage(t, res.Screenshot), "the screenshot shows the page, not a blank")

	mg, err := migrator.New(databaseURL, migrations.FS, migrations.Dir)
	require.NoError(t, err)
	require.NoError(t, mg.Up(t.Context()))
	mg.Close()

	res = signInAsAdmin(t, b, panelURL, shots)
	assert.True(t, res.Passed(), "problems: %v", res.Problems)
	assert.Equal(t, "/dashboard", res.Page)
	assert.Contains(t, res.Text, "Signed in as "+seed.AdminEmail)
	assert.Equal(t, "signed out through the page (now on /)", res.SignedOut)
}

// The incident's own panel told people "Cannot connect to server" for a
// 500. A panel like it — any failure is a connection problem — is a
// finding, with the answer it hid.
func TestAPanelThatCallsA500AConnectionProblemIsAFinding(t *testing.T) {
	t.Parallel()
	b := browsertest.Start(t)
	api, _, ln := incidentAPI(t)
	servePanel(t, ln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write([]byte(strings.ReplaceAll(blamingPanel, "API_URL", api.URL)))
	}))

	res := signInAsAdmin(t, b, "http://"+ln.Addr().String()+"/", t.TempDir())
	assert.Equal(t, "Cannot connect to server", res.Shown)
	var blame []string
	for _, p := range res.Problems {
		if p.Class == browser.ClassBlame {
			blame = append(blame, p.What)
		}
	}
	require.Len(t, blame, 1, "problems: %v", res.Problems)
	assert.Contains(t, blame[0], `the page blamed the connection ("Cannot connect to server"); the API answered: POST `+api.URL+"/api/v1/auth/login → 500 INTERNAL_ERROR (server error)")
}

// blamingPanel signs in like the incident's panel: whatever fails, it
// says it cannot connect.
const blamingPanel = `<!doctype html><title>admin</title>
<form id="f"><input name="email" type="email"><input name="password" type="password"><input name="otp" placeholder="OTP">
<button>Sign In</button><p class="error" id="e"></p></form>
<script>
document.getElementById("f").onsubmit = async (ev) => {
  ev.preventDefault();
  const f = ev.target;
  try {
    const r = await fetch("API_URL/api/v1/auth/login", {method: "POST", headers: {"Content-Type": "application/json"},
      body: JSON.stringify({email_or_phone: f.email.value, password: f.password.value, otp: f.otp.value})});
    if (!r.ok) throw new Error("HTTP " + r.status);
    location.assign("/dashboard");
  } catch (_) {
    document.getElementById("e").textContent = "Cannot connect to server";
  }
};
</script>`

// showsAPage: a PNG of the viewport with more than a background in it.
func showsAPage(t *testing.T, path string) bool {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	img, err := png.Decode(f)
	require.NoError(t, err, "a PNG")
	colors := map[[4]uint32]bool{}
	bounds := img.Bounds()
	for y := bounds.Min.Y; y < bounds.Max.Y; y += 4 {
		for x := bounds.Min.X; x < bounds.Max.X; x += 4 {
			r, g, b, a := img.At(x, y).RGBA()
			colors[[4]uint32{r, g, b, a}] = true
		}
	}
	return bounds.Dx() >= 800 && len(colors) > 20
}
