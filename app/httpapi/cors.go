package httpapi

import (
	"net/http"
	"slices"
	"strings"
)

// CORS lets pages from origins (scheme://host[:port], e.g. the admin panel's
// http://localhost:42319) call the API from a browser. It wraps the whole
// handler, so every answer to an allowed origin carries the header — a 500
// too: a browser withholds an answer without it from the page, which then
// can only guess what went wrong. A preflight (OPTIONS with
// Access-Control-Request-Method) from an allowed origin is answered 204;
// any other request goes on unchanged.
func CORS(origins []string, next http.Handler) http.Handler {
	allowed := slices.Clone(origins)
	for i, o := range allowed {
		allowed[i] = strings.TrimRight(o, "/")
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		origin := r.Header.Get("Origin")
		if origin == "" || !slices.Contains(allowed, origin) {
			next.ServeHTTP(w, r)
			return
		}
		h := w.Header()
		h.Add("Vary", "Origin")
		h.Set("Access-Control-Allow-Origin", origin)
		if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
			h.Add("Vary", "Access-Control-Request-Method")
			h.Add("Vary", "Access-Control-Request-Headers")
			h.Set("Access-Control-Allow-Methods", "GET, POST")
			h.Set("Access-Control-Allow-Headers", "Authorization, Content-Type")
			h.Set("Access-Control-Max-Age", "600")
			w.WriteHeader(http.StatusNoContent)
			return
		}
		next.ServeHTTP(w, r)
	})
}
