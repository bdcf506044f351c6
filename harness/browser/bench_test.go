package browser_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/appydex/smoke/app/adminpanel"
	"github.com/appydex/smoke/app/httpapi"
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
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/v1/auth/login", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"access_token":"a.b.c","refresh_token":"d.e.f","token_type":"bearer"}`))
	})
	mux.HandleFunc("GET /api/v1/auth/me", func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(`{"id":"1","email":"admin@appydex.local"}`))
	})
	mux.HandleFunc("POST /api/v1/auth/logout", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(204) })
	api := httptest.NewServer(mux)
	defer api.Close()
	h, err := adminpanel.Handler(api.URL)
	if err != nil {
		b.Fatal(err)
	}
	panel := httptest.NewServer(h)
	defer panel.Close()
	api.Config.Handler = httpapi.CORS([]string{panel.URL}, mux)
	for b.Loop() {
		res, err := br.SignIn(context.Background(), browser.SignIn{PanelURL: panel.URL + "/", Login: "admin@appydex.local",
			Password: "admin123!@#", OTP: "000000", SignOut: true})
		if err != nil || !res.Passed() {
			b.Fatalf("sign-in: %v %+v", err, res)
		}
	}
}
