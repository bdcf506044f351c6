package browser_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/appydex/smoke/harness/browser"
	"github.com/appydex/smoke/harness/browser/browsertest"
)

// Sign-in pages as real panels write them: each must be read as a person
// reads it. A stand-in page posts nothing: its script goes to the
// dashboard, or says what went wrong, as the case needs.

const dashboard = `<!doctype html><h1>Dashboard</h1><button onclick="location = '/'">Sign out</button>`

// signInWith signs in to panelURL as the other tests do, with a shorter
// wait for pages that are expected to go nowhere.
func signInWith(t *testing.T, b *browser.Browser, panelURL, password string, timeout time.Duration) *browser.Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	res, err := b.SignIn(ctx, browser.SignInOptions{PanelURL: panelURL, Login: "admin@appydex.local", Password: password, OTP: "000000",
		Timeout: timeout, ScreenshotDir: t.TempDir(), ScreenshotName: "sign-in.png", SignOut: true})
	if err != nil {
		t.Fatalf("sign-in: %v", err)
	}
	return res
}

func TestPagesAsRealPanelsWriteThem(t *testing.T) {
	b := browsertest.Shared(t)
	form := func(extra, onSubmit string) string {
		return `<!doctype html><form id=f>` + extra + `<input name=email type=email><input name=password type=password>
			<input name=otp placeholder="One-time code"><button>Sign In</button><p role=alert id=e></p></form>
			<script>f.onsubmit = ev => { ev.preventDefault(); ` + onSubmit + ` };</script>`
	}
	for _, c := range []struct {
		name  string
		pages map[string]string
		page  string // where the sign-in must land
	}{
		{"a bot trap off the page, named like the login box", map[string]string{
			"/": form(`<input name=user_login_hp style="position:absolute;left:-9999px">`,
				`if (f.user_login_hp.value) { e.textContent = "bot"; } else { location = "/dashboard"; }`),
			"/dashboard": dashboard}, "/dashboard"},
		{"a button to show the password, before the submit button", map[string]string{
			"/": `<!doctype html><form id=f><input name=email type=email><input name=password type=password>
				<button onclick="event.preventDefault(); f.password.type = 'text'">Show</button>
				<input name=otp placeholder="One-time code"><button type=submit>Sign In</button></form>
				<script>f.onsubmit = ev => { ev.preventDefault(); location = "/dashboard"; };</script>`,
			"/dashboard": dashboard}, "/dashboard"},
		{"no form element, a menu button first, sent by a script", map[string]string{
			"/": `<!doctype html><header><button onclick="document.body.append('menu opened')">Menu</button></header>
				<input id=email type=email><input id=pw type=password><input id=otp placeholder="OTP">
				<button onclick="location = '/dashboard'">Sign in</button>`,
			"/dashboard": dashboard}, "/dashboard"},
		{"a banner the sign-in page always shows", map[string]string{
			"/":          form(`<div role=status>Authorised use only</div>`, `location = "/dashboard";`),
			"/dashboard": `<!doctype html><div role=status>Authorised use only</div>` + dashboard}, "/dashboard"},
		{"a router's announcer and a welcome notice on the dashboard", map[string]string{
			"/": form("", `location = "/dashboard";`),
			"/dashboard": `<!doctype html><div aria-live=assertive style="position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0)">Dashboard</div>
				<div class=toast role=status>Welcome back</div>` + dashboard}, "/dashboard"},
		{"a search box on the dashboard of a panel that asks for no code", map[string]string{
			"/":          credentialsPage(`location = "/dashboard";`),
			"/dashboard": `<!doctype html><input type=search placeholder=Search>` + dashboard}, "/dashboard"},
		{"a panel that routes in the address's fragment", map[string]string{
			"/": form("", `location.hash = "#/dashboard"; document.body.innerHTML = "<h1>Dashboard</h1><button onclick=\"location.hash = ''\">Sign out</button>";`)},
			"/#/dashboard"},
		{"a form drawn again as the page takes over", map[string]string{
			// The first box to take focus redraws the form, as a framework
			// replaces the server's HTML with its own: the boxes marked go.
			"/": `<!doctype html><div id=root></div><script>
				let drawn = 0;
				const draw = () => { drawn++; root.innerHTML = '<form id=f><input name=email type=email><input name=password type=password>' +
					'<input name=otp placeholder="One-time code"><button>Sign In</button></form>';
					f.email.onfocus = () => { if (drawn === 1) { draw(); } };
					f.onsubmit = ev => { ev.preventDefault(); if (f.email.value === "admin@appydex.local" && f.otp.value === "000000") { location = "/dashboard"; } }; };
				draw();</script>`,
			"/dashboard": dashboard}, "/dashboard"},
		{"a submit button enabled by keys typed into both boxes", map[string]string{
			// The email and the password are inserted at once, with no key
			// events: this page's button stays disabled until they are
			// typed again key by key — replacing what was inserted, not
			// added to it.
			"/": `<!doctype html><form id=f><input name=email type=email><input name=password type=password>
				<input name=otp placeholder="One-time code"><button id=s disabled>Sign In</button><p role=alert id=e></p></form>
				<script>const keyed = new Set();
				for (const box of [f.email, f.password]) { box.onkeyup = () => { keyed.add(box.name); s.disabled = keyed.size < 2; }; }
				f.onsubmit = ev => { ev.preventDefault();
					if (f.email.value === "admin@appydex.local" && f.password.value === "admin123!@#" && f.otp.value === "000000") { location = "/dashboard"; }
					else { e.textContent = "Invalid email or password"; } };</script>`,
			"/dashboard": dashboard}, "/dashboard"},
	} {
		t.Run(c.name, func(t *testing.T) {
			res := signInWith(t, b, browsertest.Pages(t, c.pages)+"/", "admin123!@#", 10*time.Second)
			if !res.Passed() || res.Page != c.page {
				t.Fatalf("want a sign-in that lands on %s; got landed=%v page=%q shown=%q problems=%v", c.page, res.Landed, res.Page, res.Shown, res.Problems)
			}
			if res.CodePage != "" {
				t.Errorf("a code was typed on %s", res.CodePage)
			}
		})
	}
}

// A panel that answers with alert() stops itself, and the click that
// opened it, until the dialog is closed: the step reads it, closes it,
// and reports it as what the page showed.
func TestAnAlertIsWhatThePageShowed(t *testing.T) {
	b := browsertest.Shared(t)
	base := browsertest.Pages(t, map[string]string{"/": `<!doctype html><form id=f><input name=email type=email><input name=password type=password>
		<input name=otp placeholder="OTP"><button>Sign In</button></form>
		<script>f.onsubmit = ev => { ev.preventDefault(); alert("Wrong email or password"); };</script>`})
	res := signInWith(t, b, base+"/", "admin123!@#", 5*time.Second)
	if res.Landed || res.Shown != "Wrong email or password (in a dialog box)" {
		t.Fatalf("landed=%v shown=%q problems=%v", res.Landed, res.Shown, res.Problems)
	}
	if got := classes(res); got != browser.ClassSignIn {
		t.Errorf("problem classes %s", got)
	}
}

// "Cannot connect" is true when the sign-in's own request got no answer,
// whatever else on the page did.
func TestAnHonestCannotConnect(t *testing.T) {
	b := browsertest.Shared(t)
	dead := deadAddress(t)
	base := browsertest.Pages(t, map[string]string{
		"/config.json": `{"api": "` + dead + `"}`,
		"/": `<!doctype html><form id=f><input name=email type=email><input name=password type=password>
			<input name=otp placeholder="OTP"><button>Sign In</button><p role=alert id=e></p></form>
			<script>f.onsubmit = async ev => { ev.preventDefault();
				const cfg = await (await fetch("/config.json")).json();
				try { await fetch(cfg.api + "/api/v1/auth/login", {method: "POST"}); location = "/dashboard"; }
				catch (_) { e.textContent = "Cannot connect to server"; } };</script>`})
	res := signInWith(t, b, base+"/", "admin123!@#", 10*time.Second)
	if res.Shown != "Cannot connect to server" {
		t.Fatalf("the page showed %q", res.Shown)
	}
	if got := classes(res); got != browser.ClassSignIn {
		t.Errorf("problem classes %s, want only %s: %v", got, browser.ClassSignIn, res.Problems)
	}
}

// A page that echoes the password — one with quotes and backslashes,
// which a quoted message escapes — shows it nowhere in the result.
func TestAPasswordThePageEchoesIsMasked(t *testing.T) {
	b := browsertest.Shared(t)
	const password = `pa"ss\w0rd`
	base := browsertest.Pages(t, map[string]string{"/": `<!doctype html><form id=f><input name=email type=email><input name=password type=password>
		<input name=otp placeholder="OTP"><button>Sign In</button><p role=alert id=e></p></form>
		<script>f.onsubmit = ev => { ev.preventDefault(); console.error("login failed for " + f.password.value);
			e.textContent = "Wrong password: " + f.password.value; };</script>`})
	res := signInWith(t, b, base+"/", password, 5*time.Second)
	if !strings.HasPrefix(res.Shown, "Wrong password: [") {
		t.Fatalf("the page showed %q", res.Shown)
	}
	out, _ := jsonOf(res)
	for _, leak := range []string{password, `pa\"ss\\w0rd`, `pa\\\"ss\\\\w0rd`} {
		if strings.Contains(out, leak) {
			t.Errorf("the result holds the password as %s: %s", leak, out)
		}
	}
}

// A page that fails to offer a form is a form problem, and only that,
// whatever it fetched as it loaded.
func TestNoFormIsOnlyAFormProblem(t *testing.T) {
	b := browsertest.Shared(t)
	base := browsertest.Pages(t, map[string]string{"/": `<!doctype html><p>Welcome</p><script>fetch("/news.json");</script>`, "/news.json": `[]`})
	res := signInWith(t, b, base+"/", "admin123!@#", 5*time.Second)
	if got := classes(res); got != browser.ClassNoForm {
		t.Errorf("problem classes %s: %v", got, res.Problems)
	}
}

func jsonOf(res *browser.Result) (string, error) {
	out, err := json.Marshal(res)
	return string(out), err
}

// A panel that lands where it was not told (here /home) may have signed
// in all the same: the step fails, and ends the session the page offers
// to end.
func TestASignInThatLandsElsewhereIsStillSignedOut(t *testing.T) {
	b := browsertest.Shared(t)
	base := browsertest.Pages(t, map[string]string{
		"/":     credentialsPage(`location = "/home";`),
		"/home": `<!doctype html><h1>Home</h1><button onclick="location = '/'">Sign out</button>`,
	})
	res := signInWith(t, b, base+"/", "admin123!@#", 2*time.Second)
	if res.Landed || res.Page != "/home" {
		t.Fatalf("landed=%v page=%q", res.Landed, res.Page)
	}
	if want := "the page offered a sign-out control though the sign-in did not land: signed out through the page (now on /)"; res.SignedOut != want {
		t.Errorf("signed out: %q, want %q", res.SignedOut, want)
	}
}
