package schema

import "testing"

// RequireMatch fails the test unless got matches want, listing every
// finding at once, one per line, in Diff's stable order.
func RequireMatch(tb testing.TB, got, want *Snapshot) {
	tb.Helper()
	if findings := Diff(want, got); len(findings) > 0 {
		tb.Fatalf("schema of %s does not match %s: %d finding(s):\n%s", got.Source, want.Source, len(findings), Lines(findings))
	}
}

// AssertMatch is RequireMatch that lets the test go on.
func AssertMatch(tb testing.TB, got, want *Snapshot) bool {
	tb.Helper()
	if findings := Diff(want, got); len(findings) > 0 {
		tb.Errorf("schema of %s does not match %s: %d finding(s):\n%s", got.Source, want.Source, len(findings), Lines(findings))
		return false
	}
	return true
}
