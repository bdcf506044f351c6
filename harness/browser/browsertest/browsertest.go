// Package browsertest starts the headless browser for a test: it skips the
// test where no Chromium is installed, unless SMOKE_REQUIRE_BROWSER is set
// (CI sets it), and then fails it instead. It also serves stand-in pages.
package browsertest

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"sync"
	"testing"

	"github.com/appydex/smoke/app/httpapi"
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

// shared is the test binary's browser (Shared), started by the first test
// that asks and stopped by Main.
var shared struct {
	mu     sync.Mutex
	inMain bool
	b      *browser.Browser
	err    error
}

// Main runs a package's tests and then stops the browser they shared:
//
//	func TestMain(m *testing.M) { browsertest.Main(m) }
func Main(m *testing.M) {
	shared.mu.Lock()
	shared.inMain = true
	shared.mu.Unlock()
	code := m.Run()
	shared.mu.Lock()
	shared.b.Close()
	shared.mu.Unlock()
	os.Exit(code)
}

// Shared is the test binary's browser, launched when a test first asks.
// Tests may share it, in parallel: each sign-in opens its tab in a browser
// context of its own (no cookies, no storage, no cache shared), and one
// Chromium started for the package costs a second of CPU where one a test
// cost 25. The package's TestMain must be Main.
func Shared(t testing.TB) *browser.Browser {
	t.Helper()
	path := Require(t)
	shared.mu.Lock()
	defer shared.mu.Unlock()
	if !shared.inMain {
		t.Fatal("browsertest: Shared needs the package's tests to run through browsertest.Main, which stops the browser at the end: add\n\tfunc TestMain(m *testing.M) { browsertest.Main(m) }")
	}
	if shared.b == nil && shared.err == nil {
		shared.b, shared.err = browser.Start(context.Background(), path)
	}
	if shared.err != nil {
		t.Fatal(shared.err)
	}
	return shared.b
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

// API is a stand-in for the appydex API with one answer to a sign-in:
// the browser's side is what its tests are about (tests/ signs in to the
// real backends). corsOnErrors says whether an error answer carries the
// CORS header (the caller allows the panel's origin: AllowOrigin). Its
// sessions are real enough for the sign-out's check: a refresh token is
// live from the sign-in until a logout or its refresh.
func API(t testing.TB, loginStatus int, corsOnErrors bool) *httptest.Server {
	t.Helper()
	var mu sync.Mutex
	live, issued := map[string]bool{}, 0
	pair := func(w http.ResponseWriter) {
		mu.Lock()
		issued++
		access, refresh := fmt.Sprintf("access-%d-%s", issued, t.Name()), fmt.Sprintf("refresh-%d-%s", issued, t.Name())
		live[refresh] = true
		mu.Unlock()
		body, _ := json.Marshal(map[string]any{"access_token": access, "refresh_token": refresh, "token_type": "bearer", "expires_in": 900})
		_, _ = w.Write(body)
	}
	token := func(r *http.Request) string {
		var body struct {
			Refresh string `json:"refresh_token"`
		}
		_ = json.NewDecoder(r.Body).Decode(&body)
		return body.Refresh
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/v1/auth/login", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if loginStatus >= 400 && !corsOnErrors {
			w.Header().Del("Access-Control-Allow-Origin") // as an error raised outside the CORS layer
		}
		if loginStatus == http.StatusOK {
			pair(w)
			return
		}
		w.WriteHeader(loginStatus)
		_, _ = w.Write([]byte(`{"code":"INTERNAL_ERROR","message":"Something went wrong","details":{}}`))
	})
	mux.HandleFunc("POST /api/v1/auth/refresh", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		t := token(r)
		mu.Lock()
		ok := live[t]
		delete(live, t)
		mu.Unlock()
		if !ok {
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = w.Write([]byte(`{"code":"TOKEN_INVALID","message":"The token is invalid, expired or revoked","details":{}}`))
			return
		}
		pair(w)
	})
	mux.HandleFunc("GET /api/v1/auth/me", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"id":"1","email":"admin@appydex.local"}`))
	})
	mux.HandleFunc("POST /api/v1/auth/logout", func(w http.ResponseWriter, r *http.Request) {
		t := token(r)
		mu.Lock()
		delete(live, t)
		mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte(`{"status":"ok"}`)) })
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

// AllowOrigin lets the page at origin read the stand-in API's answers
// (the reference API's CORS layer, around its whole handler).
func AllowOrigin(srv *httptest.Server, origin string) {
	srv.Config.Handler = httpapi.CORS([]string{origin}, srv.Config.Handler)
}
