package httpapi

import (
	"context"
	_ "embed"
	"net/http"
	"time"

	"github.com/appydex/smoke/schema"
)

// healthz: the process is up.
func (s *Server) healthz(w http.ResponseWriter, r *http.Request) *apiError {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	return nil
}

// readyz: the database answers and its schema matches the model — the
// check that would have kept the incident's deploy from going live. The
// body names every difference; only errors make the API not ready.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) *apiError {
	ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
	defer cancel()
	conn, err := s.Store.Pool().Acquire(ctx)
	if err != nil {
		return &apiError{Status: http.StatusServiceUnavailable, Code: "SERVICE_UNAVAILABLE", Message: "The database does not answer",
			Details: map[string]any{"database": "unreachable"}}
	}
	defer conn.Release()
	live, err := schema.Read(ctx, conn.Conn(), "public", "database")
	if err != nil {
		s.Log.Warn("readyz: read the schema", "error", err.Error())
		return &apiError{Status: http.StatusServiceUnavailable, Code: "SERVICE_UNAVAILABLE", Message: "The database's schema could not be read",
			Details: map[string]any{"database": "reachable", "schema": "unreadable"}}
	}
	findings := schema.Diff(s.Expected, live)
	lines := make([]string, len(findings))
	for i, f := range findings {
		lines[i] = f.String()
	}
	if schema.Worst(findings) == schema.Error {
		return &apiError{Status: http.StatusServiceUnavailable, Code: "SCHEMA_DRIFT",
			Message: "The database's schema does not match the model this API writes",
			Details: map[string]any{"database": "reachable", "findings": lines}}
	}
	writeJSON(w, http.StatusOK, map[string]any{"status": "ready", "database": "reachable", "schema": "matches the model", "findings": lines})
	return nil
}

//go:embed openapi.json
var openapiDoc []byte

// openapi: the OpenAPI 3 document of these endpoints.
func (s *Server) openapi(w http.ResponseWriter, r *http.Request) *apiError {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(openapiDoc)
	return nil
}

// OpenAPI is the API's OpenAPI 3 document.
func OpenAPI() []byte { return openapiDoc }
