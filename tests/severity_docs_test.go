package tests

import (
	"flag"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	_ "github.com/appydex/smoke/harness/backend" // its rules
	_ "github.com/appydex/smoke/harness/browser" // its rules
	_ "github.com/appydex/smoke/harness/drift"   // its rules
	"github.com/appydex/smoke/schema"
)

var updateDocs = flag.Bool("update-docs", false, "rewrite the severity tables of docs/drift.md and docs/panel.md from the rules in the code")

// The documents whose severity tables are the rules: the browser's (the
// admin panel and the secrets it may leak) in docs/panel.md, every other
// in docs/drift.md.
var severityDocs = []struct {
	file   string
	groups func(group string) bool
}{
	{"../docs/drift.md", func(g string) bool { return !browserGroup(g) }},
	{"../docs/panel.md", browserGroup},
}

func browserGroup(g string) bool { return g == "panel" || g == "secret" }

// The severity tables in docs/drift.md and docs/panel.md are the rules
// the code judges by: every rule a row, with its severity, the difference
// it covers and what that does — no finding's severity decided by a rule
// the docs do not show. -update-docs writes the tables from the code.
func TestTheDocsSeverityTableIsTheRules(t *testing.T) {
	t.Parallel()
	for _, d := range severityDocs {
		t.Run(d.file, func(t *testing.T) {
			var rules []schema.Rule
			for _, r := range schema.Rules() {
				if g, _, _ := strings.Cut(r.ID, "."); d.groups(g) {
					rules = append(rules, r)
				}
			}
			require.NotEmpty(t, rules)
			doc, err := os.ReadFile(d.file)
			require.NoError(t, err)
			begin, end := "<!-- severity table: written from the rules by go test ./tests -run TestTheDocsSeverityTableIsTheRules -update-docs -->\n", "<!-- end of the severity table -->\n"
			i, j := strings.Index(string(doc), begin), strings.Index(string(doc), end)
			require.True(t, i >= 0 && j > i, "%s holds the severity table between %q and %q", d.file, begin, end)
			table := severityTable(rules)
			if *updateDocs {
				doc = []byte(string(doc[:i+len(begin)]) + table + string(doc[j:]))
				require.NoError(t, os.WriteFile(d.file, doc, 0o644))
				j = strings.Index(string(doc), end)
			}
			got := string(doc[i+len(begin) : j])
			require.Equal(t, table, got, "run go test ./tests -run TestTheDocsSeverityTableIsTheRules -update-docs, then read the diff")

			// And the table read back names every rule once, with its severity.
			row := regexp.MustCompile("(?m)^\\| `([a-z.-]+)` \\| (error|warning|notice) \\|")
			seen := map[string]string{}
			for _, m := range row.FindAllStringSubmatch(got, -1) {
				assert.NotContains(t, seen, m[1], "rule %s has one row", m[1])
				seen[m[1]] = m[2]
			}
			for _, r := range rules {
				assert.Equal(t, string(r.Severity), seen[r.ID], "rule %s in the docs' table", r.ID)
			}
			assert.Len(t, seen, len(rules))
		})
	}
}

// severityTable writes the rules as docs/drift.md shows them: a table a
// group (the part of the ID before its first dot), errors first.
func severityTable(rules []schema.Rule) string {
	rank := map[schema.Severity]int{schema.Error: 0, schema.Warning: 1, schema.Notice: 2}
	groups := map[string][]schema.Rule{}
	for _, r := range rules {
		g, _, _ := strings.Cut(r.ID, ".")
		groups[g] = append(groups[g], r)
	}
	var order []string
	for _, g := range groupOrder {
		if groups[g] != nil {
			order = append(order, g)
		}
	}
	var rest []string
	for g := range groups {
		if !slices.Contains(order, g) {
			rest = append(rest, g)
		}
	}
	slices.Sort(rest)
	var b strings.Builder
	b.WriteString("| rule | severity | the difference | what it does |\n|---|---|---|---|\n")
	for _, g := range append(order, rest...) {
		rs := groups[g]
		slices.SortStableFunc(rs, func(a, b schema.Rule) int { return rank[a.Severity] - rank[b.Severity] })
		for _, r := range rs {
			b.WriteString("| `" + r.ID + "` | " + string(r.Severity) + " | " + cell(r.What) + " | " + cell(r.Why) + " |\n")
		}
	}
	return b.String()
}

// groupOrder is the order of the table's groups: the migration state and
// what a live database holds first, as a report shows them.
var groupOrder = []string{"panel", "secret", "migration", "revision", "search-path", "setting", "role", "owner", "schema", "extension", "event-trigger",
	"publication", "collation", "enum", "sequence", "table", "column", "constraint", "name", "index", "trigger",
	"policy", "rule", "view", "function", "type", "privilege", "not-compared"}

func cell(s string) string { return strings.ReplaceAll(s, "|", "\\|") }
