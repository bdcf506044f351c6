package tables

import (
	_ "embed"
	"encoding/json"
	"fmt"

	"github.com/appydex/smoke/schema"
)

// snapshotJSON is Schema as PostgreSQL prints it: its DDL applied to a
// scratch database and read back (drift.FromModel). The API's /readyz
// compares a database with it without writing anything anywhere; a test
// keeps it current (go test ./app/tables -update rewrites it).
//
//go:embed snapshot.json
var snapshotJSON []byte

// Snapshot returns the model's schema as PostgreSQL prints it.
func Snapshot() (*schema.Snapshot, error) {
	s := &schema.Snapshot{}
	if err := json.Unmarshal(snapshotJSON, s); err != nil {
		return nil, fmt.Errorf("read the embedded model snapshot: %w", err)
	}
	return s, nil
}
