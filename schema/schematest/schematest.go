// Package schematest holds test helpers for schema snapshots, kept apart from
// package schema so that the code which reads and compares catalogs (the
// reference API's /readyz among it) does not import package testing.
package schematest

import (
	"testing"

	"github.com/appydex/smoke/schema"
)

// RequireMatch fails the test unless got matches want, listing every
// finding at once, one per line, in Diff's stable order.
func RequireMatch(tb testing.TB, got, want *schema.Snapshot) {
	tb.Helper()
	if findings := schema.Diff(want, got); len(findings) > 0 {
		tb.Fatalf("schema of %s does not match %s: %d finding(s):\n%s", got.Source, want.Source, len(findings), schema.Lines(findings))
	}
}

// AssertMatch is RequireMatch that lets the test go on.
func AssertMatch(tb testing.TB, got, want *schema.Snapshot) bool {
	tb.Helper()
	if findings := schema.Diff(want, got); len(findings) > 0 {
		tb.Errorf("schema of %s does not match %s: %d finding(s):\n%s", got.Source, want.Source, len(findings), schema.Lines(findings))
		return false
	}
	return true
}
