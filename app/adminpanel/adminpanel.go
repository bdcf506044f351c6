// Package adminpanel is the reference admin panel: a sign-in page (email
// or phone, password, one-time code) and a dashboard, plain HTML and
// JavaScript calling the appydex API from the browser. It is what the
// incident report's reproduction signs in to, on port 42319.
//
// On an error the page shows the API's envelope (message and code). It
// says "Cannot connect to server" only when nothing answers at the API's
// address; an answer the browser withholds (no CORS headers on it) is
// named as such. It is one page with two views, / and /dashboard, and
// keeps the tokens in its memory only: never in a URL, in storage or a
// cookie a script could read, nor in the console (docs/panel.md).
package adminpanel

import (
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"
	"net/url"
	"strings"
)

// DefaultAddr is the panel's port in the incident report.
const DefaultAddr = ":42319"

//go:embed static
var static embed.FS

// Handler serves the panel for the API at apiURL (http://host:port). The
// API must allow the panel's origin (CORS): see httpapi.CORS.
func Handler(apiURL string) (http.Handler, error) {
	u, err := url.Parse(apiURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("the panel's API URL %q is not an http(s)://host[:port] URL", apiURL)
	}
	files, err := fs.Sub(static, "static")
	if err != nil {
		return nil, err
	}
	config, err := json.Marshal(map[string]string{"api": strings.TrimRight(apiURL, "/")})
	if err != nil {
		return nil, err
	}
	configJS := []byte("window.APPYDEX = " + string(config) + ";\n")
	page := func(name string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Cache-Control", "no-store")
			http.ServeFileFS(w, r, files, name)
		}
	}
	mux := http.NewServeMux()
	mux.Handle("GET /{$}", page("index.html"))
	mux.Handle("GET /dashboard", page("index.html")) // the same page: it shows the view its path names
	mux.Handle("GET /panel.js", page("panel.js"))
	mux.Handle("GET /style.css", page("style.css"))
	mux.HandleFunc("GET /config.js", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		_, _ = w.Write(configJS)
	})
	return mux, nil
}
