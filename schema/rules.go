package schema

import (
	"fmt"
	"slices"
	"strings"
	"sync"
)

// Rule decides a finding's severity by the effect of its kind of
// difference — on the application's reads and writes, and on the next
// migration — never by the catalog's name for it. Every rule is a row of
// the severity table in docs/drift.md (a test holds the two together), so
// a finding's severity can always be traced to a written rule.
type Rule struct {
	// ID names the rule: "column.missing". Findings carry it (Finding.Rule).
	ID       string
	Severity Severity
	// What says which difference the rule covers, in words.
	What string
	// Why says what the difference does: the reason for the severity.
	Why string
}

var registry struct {
	sync.Mutex
	rules []Rule
}

// NewRule defines a rule and adds it to the rules Rules lists. Packages
// define their rules once, as package-level variables; an ID defined twice
// is a mistake in the program, and panics.
func NewRule(id string, severity Severity, what, why string) Rule {
	registry.Lock()
	defer registry.Unlock()
	for _, r := range registry.rules {
		if r.ID == id {
			panic(fmt.Sprintf("schema: rule %q defined twice", id))
		}
	}
	r := Rule{ID: id, Severity: severity, What: what, Why: why}
	registry.rules = append(registry.rules, r)
	return r
}

// Rules lists every rule defined so far — this package's and those of the
// packages imported beside it (harness/drift, harness/backend) — by ID.
func Rules() []Rule {
	registry.Lock()
	defer registry.Unlock()
	out := slices.Clone(registry.rules)
	slices.SortFunc(out, func(a, b Rule) int { return strings.Compare(a.ID, b.ID) })
	return out
}

// Judge gives f the rule's severity and reason.
func (r Rule) Judge(f *Finding) {
	f.Rule, f.Severity, f.Reason = r.ID, r.Severity, r.Why
}

// Gate says which findings fail a verdict: errors always, warnings when
// Strict. Notices never fail.
type Gate struct {
	// Strict fails warnings too (--strict).
	Strict bool
}

// Fails reports whether a finding of severity s fails the verdict.
func (g Gate) Fails(s Severity) bool {
	return s == Error || (g.Strict && s == Warning)
}

// Failing counts the findings that fail the verdict.
func (g Gate) Failing(findings []Finding) int {
	n := 0
	for _, f := range findings {
		if g.Fails(f.Severity) {
			n++
		}
	}
	return n
}

// Counts is how many findings there are of each severity.
type Counts struct {
	Errors   int `json:"errors"`
	Warnings int `json:"warnings"`
	Notices  int `json:"notices"`
}

// Count counts findings by severity.
func Count(findings []Finding) Counts {
	var c Counts
	for _, f := range findings {
		c.add(f.Severity, 1)
	}
	return c
}

func (c *Counts) add(s Severity, n int) {
	switch s {
	case Error:
		c.Errors += n
	case Warning:
		c.Warnings += n
	case Notice:
		c.Notices += n
	}
}

// Plus is the sum of two counts.
func (c Counts) Plus(o Counts) Counts {
	return Counts{Errors: c.Errors + o.Errors, Warnings: c.Warnings + o.Warnings, Notices: c.Notices + o.Notices}
}

// Total is the number of findings counted.
func (c Counts) Total() int { return c.Errors + c.Warnings + c.Notices }

// String says the counts in words, leaving out the severities with none:
// "1 error, 6 notices"; "" when there are none.
func (c Counts) String() string {
	var parts []string
	for _, p := range []struct {
		n    int
		noun string
	}{{c.Errors, "error"}, {c.Warnings, "warning"}, {c.Notices, "notice"}} {
		switch {
		case p.n == 1:
			parts = append(parts, "1 "+p.noun)
		case p.n > 1:
			parts = append(parts, fmt.Sprintf("%d %ss", p.n, p.noun))
		}
	}
	return strings.Join(parts, ", ")
}
