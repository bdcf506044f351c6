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

// RequireJudged fails the test unless every finding was judged by a rule
// the program defines (schema.Rules, docs/drift.md's severity table), with
// the severity and the reason that rule gives.
func RequireJudged(tb testing.TB, findings []schema.Finding) {
	tb.Helper()
	rules := map[string]schema.Rule{}
	for _, r := range schema.Rules() {
		rules[r.ID] = r
	}
	for _, f := range findings {
		r, ok := rules[f.Rule]
		switch {
		case !ok:
			tb.Fatalf("%s: judged by no rule the program defines (%q)", f, f.Rule)
		case r.Severity != f.Severity || r.Why != f.Reason:
			tb.Fatalf("%s: rule %s gives %s (%s); the finding has %s (%s)", f, r.ID, r.Severity, r.Why, f.Severity, f.Reason)
		}
	}
}
