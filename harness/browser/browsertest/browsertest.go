// Package browsertest starts the headless browser for a test: it skips the
// test where no Chromium is installed, unless SMOKE_REQUIRE_BROWSER is set
// (CI sets it), and then fails it instead.
package browsertest

import (
	"context"
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
