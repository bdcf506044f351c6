package report

import (
	_ "embed"
	"encoding/json"
	"io"
)

// Schema is the JSON Schema (as an OpenAPI 3.0 schema object) that
// WriteJSON's output follows. Field names are stable: add, never rename.
//
//go:embed report.schema.json
var Schema []byte

// WriteJSON writes the report as one JSON document.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}
