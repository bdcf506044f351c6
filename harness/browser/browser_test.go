package browser_test

import (
	"bytes"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/appydex/smoke/app/adminpanel"
	"github.com/appydex/smoke/harness/browser"
	"github.com/appydex/smoke/harness/browser/browsertest"
)

// api is browsertest's stand-in API.
func api(t testing.TB, loginStatus int, corsOnErrors bool) *httptest.Server {
	return browsertest.API(t, loginStatus, corsOnErrors)
}

// panel serves the reference panel for apiURL, and lets the API allow its
// origin when cors.
func panel(t testing.TB, apiURL string) string {
	t.Helper()
	h, err := adminpanel.Handler(apiURL)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL
}

// withCORS lets the panel's origin read the API.
func withCORS(srv *httptest.Server, origin string) { browsertest.AllowOrigin(srv, origin) }

// allowedPanel is the reference panel's sign-in page for a stand-in API
// that allows the panel's origin (on error answers too, when corsOnErrors).
func allowedPanel(t testing.TB, loginStatus int, corsOnErrors bool) string {
	t.Helper()
	a := api(t, loginStatus, corsOnErrors)
	p := panel(t, a.URL)
	withCORS(a, p)
	return p + "/"
}

func signIn(t *testing.T, b *browser.Browser, panelURL string) *browser.Result {
	t.Helper()
	dir := t.TempDir()
	res, err := b.SignIn(t.Context(), browser.SignInOptions{PanelURL: panelURL, Login: "admin@appydex.local", Password: "admin123!@#",
		OTP: "000000", ScreenshotDir: dir, ScreenshotName: "sign-in.png", SignOut: true})
	if err != nil {
		t.Fatal(err)
	}
	out, _ := json.MarshalIndent(res, "", "  ")
	t.Logf("result: %s", out)
	return res
}

// classes are the classes of res's problems, in order, comma-separated.
func classes(res *browser.Result) browser.Class {
	var cs []string
	for _, p := range res.Problems {
		cs = append(cs, string(p.Class))
	}
	return browser.Class(strings.Join(cs, ","))
}

func TestSignInLandsAndSignsOut(t *testing.T) {
	b := browsertest.Shared(t)
	res := signIn(t, b, allowedPanel(t, 200, true))
	if !res.Passed() || res.Page != "/dashboard" {
		t.Fatalf("want a sign-in that lands on /dashboard; got landed=%v page=%q problems=%v", res.Landed, res.Page, res.Problems)
	}
	if !strings.Contains(res.Text, "Signed in as admin@appydex.local") {
		t.Errorf("the dashboard's text: %q", res.Text)
	}
	if !strings.HasPrefix(res.SignedOut, "signed out through the page") {
		t.Errorf("signed out: %q", res.SignedOut)
	}
	if res.Screenshot != "" {
		t.Errorf("a screenshot of a success: %s", res.Screenshot)
	}
}

func TestA500IsShownWithItsEnvelopeAndAScreenshot(t *testing.T) {
	b := browsertest.Shared(t)
	res := signIn(t, b, allowedPanel(t, 500, true))
	if res.Landed || res.Page != "/" {
		t.Fatalf("landed=%v page=%q", res.Landed, res.Page)
	}
	if want := "Something went wrong (INTERNAL_ERROR, HTTP 500)"; res.Shown != want {
		t.Errorf("the page showed %q, want %q", res.Shown, want)
	}
	f := res.Failing()
	if f == nil || f.Method != "POST" || !strings.HasSuffix(f.URL, "/api/v1/auth/login") || f.Status != 500 || f.Code != "INTERNAL_ERROR" {
		t.Errorf("the failing request: %+v", f)
	}
	if got := classes(res); got != browser.ClassSignIn {
		t.Errorf("problems %v, want one of class %s", res.Problems, browser.ClassSignIn)
	}
	if !hasLine(res.Console, "500") {
		t.Errorf("the console's errors do not name the 500: %q", res.Console)
	}
	png, err := os.ReadFile(res.Screenshot)
	if err != nil || !bytes.HasPrefix(png, []byte("\x89PNG\r\n\x1a\n")) || len(png) < 2000 {
		t.Fatalf("screenshot %q: %d bytes, %v", res.Screenshot, len(png), err)
	}
	if filepath.Base(res.Screenshot) != "sign-in.png" {
		t.Errorf("screenshot named %s", res.Screenshot)
	}
}

// An error answer without the CORS header is withheld from the page: the
// panel says so (not "cannot connect"), and the step sees the status behind
// it.
func TestAnAnswerWithoutCORSIsNamed(t *testing.T) {
	b := browsertest.Shared(t)
	res := signIn(t, b, allowedPanel(t, 500, false))
	if strings.Contains(res.Shown, "Cannot connect") || !strings.Contains(res.Shown, "withheld") {
		t.Errorf("the page showed %q", res.Shown)
	}
	f := res.Failing()
	if f == nil || !f.Withheld || f.Status != 500 {
		t.Fatalf("the failing request: %+v", f)
	}
	if got := classes(res); got != browser.ClassSignIn+","+browser.ClassCORS {
		t.Errorf("problem classes %s", got)
	}
}

// An API that allows no request from the panel's origin: the browser never
// sends the sign-in.
func TestAnOriginTheAPIDoesNotAllow(t *testing.T) {
	b := browsertest.Shared(t)
	a := api(t, 200, true)
	res := signIn(t, b, panel(t, a.URL)+"/")
	f := res.Failing()
	if f == nil || !f.Withheld || f.Status != 0 || !strings.Contains(f.Failure, "Preflight") {
		t.Fatalf("the failing request: %+v", f)
	}
	if got := classes(res); got != browser.ClassSignIn+","+browser.ClassCORS ||
		!strings.Contains(res.Problems[1].What, "allows no request from the panel's origin") {
		t.Errorf("problems %v", res.Problems)
	}
}

// deadAddress is an address nothing listens at.
func deadAddress(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return "http://" + ln.Addr().String()
}

// Nothing listens at the API's address: "Cannot connect to server" is true,
// and not a finding against the panel.
func TestNothingAnswering(t *testing.T) {
	b := browsertest.Shared(t)
	res := signIn(t, b, panel(t, deadAddress(t))+"/")
	if !strings.HasPrefix(res.Shown, "Cannot connect to server") {
		t.Errorf("the page showed %q", res.Shown)
	}
	if got := classes(res); got != browser.ClassSignIn {
		t.Errorf("problem classes %s, want only %s", got, browser.ClassSignIn)
	}
	if f := res.Failing(); f == nil || f.Status != 0 || !strings.Contains(f.Failure, "ERR_CONNECTION_REFUSED") {
		t.Errorf("the failing request: %+v", f)
	}
}

// A panel that calls every failure a connection problem is a finding when
// the API did answer.
func TestAPanelThatBlamesTheConnection(t *testing.T) {
	b := browsertest.Shared(t)
	a := api(t, 500, true)
	page := `<!doctype html><form id=f><input name=email type=email><input name=password type=password>
		<input name=otp placeholder="OTP"><button>Sign In</button><div class=error id=e></div></form>
		<script>
		f.onsubmit = async ev => { ev.preventDefault();
			try { const r = await fetch(API + "/api/v1/auth/login", {method: "POST", headers: {"Content-Type": "application/json"}, body: "{}"});
			      if (!r.ok) throw new Error(); location = "/dashboard"; }
			catch (_) { e.textContent = "Cannot connect to server"; } };
		</script>`
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		_, _ = w.Write([]byte(strings.Replace(page, "<script>", "<script>const API = "+`"`+a.URL+`";`, 1)))
	}))
	t.Cleanup(srv.Close)
	withCORS(a, srv.URL)
	res := signIn(t, b, srv.URL+"/")
	if res.Shown != "Cannot connect to server" {
		t.Fatalf("the page showed %q", res.Shown)
	}
	if got := classes(res); got != browser.ClassSignIn+","+browser.ClassBlame {
		t.Errorf("problem classes %s", got)
	}
}

// A panel may pass through pages on its way to the dashboard (a redirect
// after sign-in, a router that reloads): while a page replaces its
// document there is nothing to read, and Chrome says "Inspected target
// navigated or closed". That is the way to the dashboard, not a broken page.
func TestAPanelThatNavigatesOnItsWayToTheDashboard(t *testing.T) {
	b := browsertest.Shared(t)
	const hops = 20
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		switch r.URL.Path {
		case "/":
			_, _ = w.Write([]byte(`<!doctype html><form id=f><input name=email type=email><input name=password type=password>
				<input name=otp placeholder="OTP"><button>Sign In</button></form>
				<script>f.onsubmit = ev => { ev.preventDefault(); location.replace("/hop?n=1"); };</script>`))
		case "/hop":
			n, _ := strconv.Atoi(r.URL.Query().Get("n"))
			next := "/dashboard"
			if n < hops {
				next = "/hop?n=" + strconv.Itoa(n+1)
			}
			// The page asks for the next one, then stays busy until it
			// comes: a read sent meanwhile waits for a document that goes.
			_, _ = w.Write([]byte(`<!doctype html><p>On the way</p><script>location.replace("` + next + `");
				for (const end = Date.now() + 80; Date.now() < end;) {}</script>`))
		case "/dashboard":
			_, _ = w.Write([]byte(`<!doctype html><h1>Dashboard</h1>`))
		}
	}))
	t.Cleanup(srv.Close)
	res := signIn(t, b, srv.URL+"/")
	if !res.Landed || res.Page != "/dashboard" || len(res.Problems) != 0 {
		t.Fatalf("want a sign-in that lands on /dashboard; got landed=%v page=%q problems=%v", res.Landed, res.Page, res.Problems)
	}
}

func TestAPageWithoutAForm(t *testing.T) {
	b := browsertest.Shared(t)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(`<!doctype html><p>Welcome</p>`))
	}))
	t.Cleanup(srv.Close)
	res := signIn(t, b, srv.URL)
	if got := classes(res); got != browser.ClassNoForm {
		t.Fatalf("problem classes %s (%v)", got, res.Problems)
	}
	if !strings.Contains(res.Problems[0].What, "no box for an email or phone, no password box") || res.Screenshot == "" {
		t.Errorf("problem %q, screenshot %q", res.Problems[0].What, res.Screenshot)
	}
}

func TestFind(t *testing.T) {
	_, err := browser.Find(func(k string) string {
		if k == browser.EnvChromium {
			return "/nonexistent/chromium"
		}
		return ""
	})
	if err == nil || !strings.Contains(err.Error(), browser.EnvChromium) {
		t.Errorf("a missing $%s: %v", browser.EnvChromium, err)
	}
}

func hasLine(lines []string, s string) bool {
	for _, l := range lines {
		if strings.Contains(l, s) {
			return true
		}
	}
	return false
}

// credentialsPage is a sign-in page that asks only for the email and the
// password, and runs then after they are sent.
func credentialsPage(then string) string {
	return `<!doctype html><form id=f><input name=email type=email><input name=password type=password><button>Sign In</button></form>
		<script>f.onsubmit = ev => { ev.preventDefault(); ` + then + ` };</script>`
}

// Many panels ask for the one-time code after the password: on a page of
// their own, or in place of the first form. The sign-in types the code
// where it is asked, and says where.
func TestAPanelThatAsksTheCodeAfterThePassword(t *testing.T) {
	b := browsertest.Shared(t)
	// The code's box here has no word that names it: it is the code's as
	// the one box of a page that asks for no password.
	codePage := `<!doctype html><form id=c><input name=pin placeholder="6 digits"><button>Verify</button><p role=alert id=e></p></form>
		<script>c.onsubmit = ev => { ev.preventDefault();
			if (c.pin.value === "000000") { location = "/dashboard"; } else { e.textContent = "Wrong code"; } };</script>`
	inPlace := `<!doctype html><form id=f><input name=email type=email><input name=password type=password><button>Sign In</button></form>
		<form id=c hidden><label>Verification code <input name=x autocomplete=one-time-code></label><button>Continue</button></form>
		<script>f.onsubmit = ev => { ev.preventDefault(); f.hidden = true; c.hidden = false; };
		c.onsubmit = ev => { ev.preventDefault(); if (c.x.value === "000000") { location = "/dashboard"; } };</script>`
	for _, c := range []struct {
		name     string
		pages    map[string]string
		codePage string
	}{
		{"on a page of its own", map[string]string{"/": credentialsPage(`location = "/verify";`), "/verify": codePage, "/dashboard": "<h1>Dashboard</h1>"}, "/verify"},
		{"in place of the first form", map[string]string{"/": inPlace, "/dashboard": "<h1>Dashboard</h1>"}, "/"},
		{"a character a box", map[string]string{"/": credentialsPage(`location = "/verify";`), "/verify": splitCodePage(6), "/dashboard": "<h1>Dashboard</h1>"}, "/verify"},
	} {
		t.Run(c.name, func(t *testing.T) {
			res := signIn(t, b, browsertest.Pages(t, c.pages)+"/")
			if !res.Passed() || res.Page != "/dashboard" {
				t.Fatalf("want a sign-in that lands on /dashboard; got landed=%v page=%q problems=%v", res.Landed, res.Page, res.Problems)
			}
			if res.CodePage != c.codePage {
				t.Errorf("the code was asked on %q, want %q", res.CodePage, c.codePage)
			}
		})
	}
}

// A page whose script keeps it busy past the first try at typing (a slow
// machine, a heavy check of what was typed first) is typed into again once
// it is free: its form did not go away, though the code's box is not on it
// yet.
func TestAPageBusyPastTheFirstTryIsTypedIntoAgain(t *testing.T) {
	b := browsertest.Shared(t)
	// Busy for longer than the first try's 3 s (firstFill); the sign-in's
	// 6 s leaves the second try room on a loaded machine.
	busy := credentialsPage(`location = "/verify";`) +
		`<script>f.email.addEventListener("input", () => { const end = Date.now() + 3500; while (Date.now() < end) {} }, {once: true});</script>`
	pages := map[string]string{"/": busy, "/verify": splitCodePage(6), "/dashboard": "<h1>Dashboard</h1>"}
	res, err := b.SignIn(t.Context(), browser.SignInOptions{PanelURL: browsertest.Pages(t, pages) + "/", Login: "admin@appydex.local",
		Password: "admin123!@#", OTP: "000000", Timeout: 6 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Passed() || res.Page != "/dashboard" || res.CodePage != "/verify" {
		t.Errorf("want a sign-in that lands on /dashboard, the code asked on /verify; got landed=%v page=%q code page=%q problems=%v",
			res.Landed, res.Page, res.CodePage, res.Problems)
	}
}

// A panel that asks for no code signs in without one; given a code, a
// panel that never asks for it is a sign-in that did not happen, and the
// step says why.
func TestAPanelWithoutACodeBox(t *testing.T) {
	b := browsertest.Shared(t)
	pages := map[string]string{
		"/":          credentialsPage(`location = "/dashboard";`),
		"/stuck":     credentialsPage(`document.body.append("Please wait");`),
		"/dashboard": "<h1>Dashboard</h1>",
	}
	base := browsertest.Pages(t, pages)
	res, err := b.SignIn(t.Context(), browser.SignInOptions{PanelURL: base + "/", Login: "admin@appydex.local", Password: "admin123!@#"})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Passed() || res.CodePage != "" {
		t.Errorf("without a code: landed=%v page=%q code page=%q problems=%v", res.Landed, res.Page, res.CodePage, res.Problems)
	}

	res, err = b.SignIn(t.Context(), browser.SignInOptions{PanelURL: base + "/stuck", Login: "admin@appydex.local", Password: "admin123!@#",
		OTP: "000000", Timeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if got := classes(res); got != browser.ClassNoForm+","+browser.ClassSignIn ||
		!strings.Contains(res.Problems[0].What, "none came after the email and password were sent") {
		t.Errorf("a code never asked for: problems %v", res.Problems)
	}
}

// splitCodePage asks for the code one character a box, moving to the next
// box as each is typed, as many panels do.
func splitCodePage(boxes int) string {
	return `<!doctype html><form id=c><p>Enter the code we sent</p>` + strings.Repeat(`<input maxlength=1 inputmode=numeric>`, boxes) +
		`<button>Verify</button><p role=alert id=e></p></form>
		<script>const boxes = [...c.querySelectorAll("input")];
		boxes.forEach((b, k) => b.oninput = () => { if (b.value && boxes[k + 1]) { boxes[k + 1].focus(); } });
		c.onsubmit = ev => { ev.preventDefault();
			if (boxes.map(b => b.value).join("") === "000000") { location = "/dashboard"; } else { e.textContent = "Wrong code"; } };</script>`
}

// The code asked one character a box on the sign-in page itself; a code
// that does not fit the boxes is said, not typed.
func TestACodeSplitIntoBoxes(t *testing.T) {
	b := browsertest.Shared(t)
	signInPage := func(boxes int) string {
		return `<!doctype html><form id=f><input name=email type=email><input name=password type=password>` +
			strings.Repeat(`<input maxlength=1 aria-label="digit">`, boxes) + `<button>Sign In</button></form>
			<script>f.onsubmit = ev => { ev.preventDefault();
				const code = [...f.querySelectorAll("input[maxlength]")].map(b => b.value).join("");
				if (f.email.value === "admin@appydex.local" && code === "000000") { location = "/dashboard"; } };</script>`
	}
	base := browsertest.Pages(t, map[string]string{"/six": signInPage(6), "/four": signInPage(4), "/dashboard": "<h1>Dashboard</h1>"})
	res := signIn(t, b, base+"/six")
	if !res.Passed() || res.CodePage != "" {
		t.Errorf("six boxes: landed=%v page=%q code page=%q problems=%v", res.Landed, res.Page, res.CodePage, res.Problems)
	}
	res = signIn(t, b, base+"/four")
	if got := classes(res); got != browser.ClassNoForm ||
		!strings.Contains(res.Problems[0].What, "in 4 boxes, a character each, but the code given has 6 characters") {
		t.Errorf("four boxes: problems %v", res.Problems)
	}
}

// What a script can read back later is read from the real browser:
// IndexedDB's records and the cookies that are not HttpOnly, and an
// address's fragment is an address like any other.
func TestSecretsInIndexedDBCookiesAndFragmentsAreFound(t *testing.T) {
	b := browsertest.Shared(t)
	a := api(t, 200, true)
	page := `<!doctype html><form id=f><input name=email type=email><input name=password type=password>
		<input name=otp placeholder="One-time code"><button>Sign in</button></form>
		<script>f.onsubmit = async ev => {
			ev.preventDefault();
			const r = await fetch("API/api/v1/auth/login", {method: "POST", headers: {"Content-Type": "application/json"},
				body: JSON.stringify({email_or_phone: f.email.value, password: f.password.value, otp: f.otp.value})});
			const pair = await r.json();
			document.cookie = "rt=" + pair.refresh_token + "; path=/";
			await new Promise(ok => { const q = indexedDB.open("auth", 1);
				q.onupgradeneeded = () => q.result.createObjectStore("tokens", {autoIncrement: true});
				q.onsuccess = () => { const tx = q.result.transaction("tokens", "readwrite"); tx.objectStore("tokens").put({refresh: pair.refresh_token}); tx.oncomplete = ok; }; });
			history.pushState(null, "", "/dashboard#access=" + pair.access_token);
			document.body.innerHTML = "<h1>Dashboard</h1><p>Welcome</p><button onclick=\"location = '/'\">Sign out</button>";
		};</script>`
	panelURL := browsertest.Pages(t, map[string]string{"/": strings.ReplaceAll(page, "API", a.URL)})
	withCORS(a, panelURL)
	res := signIn(t, b, panelURL+"/")
	var found []string
	for _, p := range res.Problems {
		if p.Class == browser.ClassSecret {
			found = append(found, p.Rule+": "+p.What)
		}
	}
	for _, want := range []string{
		`secret.refresh-token: the refresh token is in IndexedDB (under "auth/tokens")`,
		`secret.refresh-token: the refresh token is in a cookie scripts can read (not HttpOnly) (under "rt")`,
		"secret.access-token-url: the access token is in a URL the page visited or asked for (" + panelURL + "/dashboard, in its fragment)",
	} {
		if !slices.Contains(found, want) {
			t.Errorf("missing %q among %q", want, found)
		}
	}
}
