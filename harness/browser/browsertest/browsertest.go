// Package browsertest starts the headless browser for a test: it skips the
// test where no Chromium is installed, unless SMOKE_REQUIRE_BROWSER is set
// (CI sets it), and then fails it instead. It also serves stand-in pages.
package browsertest

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"

	"github.com/appydex/smoke/harness/browser"
)

// Require is the browser's path; without one the test skips, or fails
// under $SMOKE_REQUIRE_BROWSER.
func Require(t testing.TB) string {
	t.Helper()
	path, err := browser.Find(os.Getenv)
	if err != nil {
		if os.Getenv(browser.EnvRequire) != "" {
			t.Fatalf("%s is set: %v", browser.EnvRequire, err)
		}
		t.Skip(err)
	}
	return path
}

// Start launches a browser the test stops when it ends.
func Start(t testing.TB) *browser.Browser {
	t.Helper()
	path := Require(t)
	b, err := browser.Start(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Close)
	return b
}

// Pages serves each path's page as HTML (any other path is not found)
// until the test ends, and returns the server's URL.
func Pages(t testing.TB, pages map[string]string) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		page, ok := pages[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html")
		_, _ = w.Write([]byte(page))
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}
