package browser_test

import (
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"

	"github.com/appydex/smoke/harness/browser"
	"github.com/appydex/smoke/harness/browser/browsertest"
)

// countedPages serves pages as browsertest.Pages does, and counts the
// loads of each path.
func countedPages(t *testing.T, pages map[string]string) (string, map[string]*atomic.Int32) {
	t.Helper()
	loads := map[string]*atomic.Int32{}
	for p := range pages {
		loads[p] = new(atomic.Int32)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		page, ok := pages[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		loads[r.URL.Path].Add(1)
		w.Header().Set("Content-Type", "text/html")
		_, _ = w.Write([]byte(page))
	}))
	t.Cleanup(srv.Close)
	return srv.URL, loads
}

// A page preloaded while the flow runs is the sign-in's: loaded once, and
// what it asked for as it loaded — before SignIn was called — is in the
// sign-in's result. A preload of another page is not used, and a preload
// that did not load is the sign-in's problem, as a page SignIn loaded.
func TestAPreloadedPageIsTheSignIns(t *testing.T) {
	b := browsertest.Start(t) // Preload holds one tab per browser: not the shared one
	base, loads := countedPages(t, map[string]string{
		"/":         credentialsPage(`location = "/dashboard";`) + `<script>fetch("/settings");</script>`,
		"/settings": "{}", "/other": credentialsPage(`location = "/dashboard";`), "/dashboard": dashboard,
	})
	opts := browser.SignInOptions{PanelURL: base + "/", Login: "admin@appydex.local", Password: "admin123!@#"}

	b.Preload(t.Context(), opts)
	for deadline := time.Now().Add(10 * time.Second); loads["/settings"].Load() == 0 && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
	if loads["/settings"].Load() == 0 {
		t.Fatal("the preloaded page did not load in 10 s")
	}
	res, err := b.SignIn(t.Context(), opts)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Passed() || res.Page != "/dashboard" {
		t.Fatalf("landed=%v page=%q problems=%v", res.Landed, res.Page, res.Problems)
	}
	if n := loads["/"].Load(); n != 1 {
		t.Errorf("the sign-in page was loaded %d times, want once: the preloaded tab was not the sign-in's", n)
	}
	var asked bool
	for _, q := range res.Requests {
		asked = asked || strings.HasSuffix(q.URL, "/settings")
	}
	if !asked {
		t.Errorf("the request the page made as it was preloaded is not in the result: %v", res.Requests)
	}

	b.Preload(t.Context(), opts)
	other := opts
	other.PanelURL = base + "/other"
	if res, err = b.SignIn(t.Context(), other); err != nil || !res.Passed() {
		t.Fatalf("a sign-in at another page than the preloaded one: err=%v problems=%v", err, res.Problems)
	}
	if n := loads["/other"].Load(); n != 1 {
		t.Errorf("/other was loaded %d times, want once", n)
	}

	dead := opts
	dead.PanelURL = deadAddress(t) + "/"
	b.Preload(t.Context(), dead)
	if res, err = b.SignIn(t.Context(), dead); err != nil {
		t.Fatal(err)
	}
	if got := classes(res); got != browser.ClassPanelDown {
		t.Errorf("a preloaded page that did not load: problems %v", res.Problems)
	}
}

// A spare — a browser context made ahead — is a fresh profile: nothing an
// earlier sign-in left in the page's storage is there. A spare that went
// before it was used is passed over.
func TestASpareIsAFreshProfile(t *testing.T) {
	b := browsertest.Start(t)
	page := credentialsPage(`location = "/dashboard";`) + `<script>
		if (localStorage.getItem("seen") || document.cookie.includes("seen")) { document.body.innerHTML = "<p role=alert>Welcome back: storage from an earlier sign-in</p>"; }
		localStorage.setItem("seen", "1"); document.cookie = "seen=1; max-age=3600";</script>`
	base := browsertest.Pages(t, map[string]string{"/": page, "/dashboard": dashboard})
	opts := browser.SignInOptions{PanelURL: base + "/", Login: "admin@appydex.local", Password: "admin123!@#"}
	for i, spare := range []bool{false, true, true} {
		var s browser.Spare
		if spare {
			var err error
			if s, err = b.MakeSpare(t.Context()); err != nil {
				t.Fatal(err)
			}
			b.UseSpare(s)
		}
		res, err := b.SignIn(t.Context(), opts)
		if err != nil {
			t.Fatal(err)
		}
		if !res.Passed() {
			t.Fatalf("sign-in %d (spare %v): shown=%q problems=%v", i+1, spare, res.Shown, res.Problems)
		}
		if spare && !gone(t, b, s.Context) {
			t.Errorf("sign-in %d: the spare's browser context is still open: the sign-in did not take it (a spare not taken stays until Close)", i+1)
		}
	}

	b.UseSpare(browser.Spare{Context: "0123456789ABCDEF0123456789ABCDEF", Tab: "0123456789ABCDEF0123456789ABCDEF"})
	if res, err := b.SignIn(t.Context(), opts); err != nil || !res.Passed() {
		t.Fatalf("a spare that went: err=%v problems=%v", err, res.Problems)
	}
}

// gone waits up to 5 s for the browser context bc to be disposed of (a
// sign-in disposes of its own in the background).
func gone(t *testing.T, b *browser.Browser, bc cdp.BrowserContextID) bool {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		open, err := b.BrowserContexts(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Contains(open, bc) {
			return true
		}
	}
	return false
}
