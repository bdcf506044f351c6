package browser_test

import (
	"context"
	"testing"

	"github.com/appydex/smoke/harness/browser"
	"github.com/appydex/smoke/harness/browser/browsertest"
)

// BenchmarkBrowserStart times launching headless Chromium until it
// answers: the commands do it beside PostgreSQL's start.
func BenchmarkBrowserStart(b *testing.B) {
	path := browsertest.Require(b)
	for b.Loop() {
		br, err := browser.Start(context.Background(), path)
		if err != nil {
			b.Fatal(err)
		}
		br.Close()
	}
}

// BenchmarkSignIn times one browser step on a running browser: a fresh
// tab, the reference panel's page, the form filled and sent, the dashboard
// awaited and the requests settled, then the sign-out.
func BenchmarkSignIn(b *testing.B) {
	br := browsertest.Start(b)
	panelURL := allowedPanel(b, 200, true)
	for b.Loop() {
		res, err := br.SignIn(context.Background(), browser.SignInOptions{PanelURL: panelURL, Login: "admin@appydex.local",
			Password: "admin123!@#", OTP: "000000", SignOut: true})
		if err != nil || !res.Passed() {
			b.Fatalf("sign-in: %v %+v", err, res)
		}
	}
}
