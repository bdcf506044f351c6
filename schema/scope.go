package schema

import (
	"fmt"
	"maps"
	"path"
	"slices"
	"strings"

	"github.com/appydex/smoke/schema/pgident"
)

// Scope says which tables are the application's, as alembic's
// include_object or a schema-diff tool's table filters do: a project keeps
// some tables out of its models on purpose (another service's, a
// library's, a retired feature's), and a comparison that counts them says
// what the project itself would not.
type Scope struct {
	// Tables, when set, are the only tables compared; ExcludeTables are
	// left out. Each is a name or a shell pattern (path.Match: "legacy_*",
	// "audit.*"), matched against the table as findings name it — bare in
	// public, schema.name elsewhere — and against schema.name always.
	Tables        []string
	ExcludeTables []string
	// By says where the scope comes from, for the summary: "--exclude-table",
	// "backend.yaml's database.ignore".
	By string
}

// Empty reports whether the scope leaves nothing out.
func (s Scope) Empty() bool { return len(s.Tables) == 0 && len(s.ExcludeTables) == 0 }

// Check reports a pattern path.Match cannot read, naming it.
func (s Scope) Check() error {
	for _, p := range slices.Concat(s.Tables, s.ExcludeTables) {
		if _, err := path.Match(p, ""); err != nil {
			return fmt.Errorf("table pattern %q (%s): %w: write a name, or a pattern with * ? [ ]", p, s.By, err)
		}
	}
	return nil
}

// LeftOut counts what a scope left out of a snapshot.
type LeftOut struct {
	Tables    []string `json:"tables,omitempty"`
	Sequences []string `json:"sequences,omitempty"`
	Types     []string `json:"types,omitempty"` // enums and domains only they used
	Views     []string `json:"views,omitempty"` // views built on them
}

// Merge adds what o left out (of another snapshot) to l, each name once.
func (l *LeftOut) Merge(o LeftOut) {
	union := func(a, b []string) []string {
		out := append(slices.Clone(a), b...)
		slices.Sort(out)
		return slices.Compact(out)
	}
	l.Tables, l.Sequences = union(l.Tables, o.Tables), union(l.Sequences, o.Sequences)
	l.Types, l.Views = union(l.Types, o.Types), union(l.Views, o.Views)
}

// Count is how many objects were left out in all.
func (l LeftOut) Count() int {
	return len(l.Tables) + len(l.Sequences) + len(l.Types) + len(l.Views)
}

// String says it for a summary: "85 tables (with 12 sequences, 3 types and
// 1 view of theirs)".
func (l LeftOut) String() string {
	s := plural(len(l.Tables), "table")
	var with []string
	for _, p := range []struct {
		n    int
		noun string
	}{{len(l.Sequences), "sequence"}, {len(l.Types), "type"}, {len(l.Views), "view"}} {
		if p.n > 0 {
			with = append(with, plural(p.n, p.noun))
		}
	}
	switch len(with) {
	case 0:
		return s
	case 1:
		return s + " (with " + with[0] + " of theirs)"
	}
	return s + " (with " + strings.Join(with[:len(with)-1], ", ") + " and " + with[len(with)-1] + " of theirs)"
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// matches reports whether a table is one the scope names.
func (s Scope) matches(patterns []string, t *Table) bool {
	for _, p := range patterns {
		for _, name := range []string{Qualify(t.Schema, t.Name), t.Schema + "." + t.Name} {
			if ok, _ := path.Match(p, name); ok {
				return true
			}
		}
	}
	return false
}

// Keeps reports whether the scope keeps the table.
func (s Scope) keeps(t *Table) bool {
	if len(s.Tables) > 0 && !s.matches(s.Tables, t) {
		return false
	}
	return !s.matches(s.ExcludeTables, t)
}

// LeaveOutOf is LeaveOut of every snapshot, what it left out of them
// together.
func LeaveOutOf(scope Scope, snaps ...*Snapshot) LeftOut {
	var all LeftOut
	for _, snap := range snaps {
		all.Merge(snap.LeaveOut(scope))
	}
	return all
}

// LeaveOut takes out of s the tables scope does not keep, and what belongs
// to them: their columns, keys, indexes, triggers, policies and grants
// (parts of the table), the sequences their columns own, the enums and
// domains no kept table's column uses, and the views built on them. A kept
// table's foreign key to one left out stays: it is the kept table's.
func (s *Snapshot) LeaveOut(scope Scope) LeftOut {
	var out LeftOut
	if scope.Empty() {
		return out
	}
	gone := map[string]bool{}
	for _, key := range slices.Sorted(maps.Keys(s.Tables)) {
		if !scope.keeps(s.Tables[key]) {
			gone[key] = true
			out.Tables = append(out.Tables, key)
		}
	}
	if len(gone) == 0 {
		return out
	}
	usedByGone, usedByKept := map[string]bool{}, map[string]bool{}
	for key, t := range s.Tables {
		for _, c := range t.Columns {
			typ := strings.TrimSuffix(baseType(c.Type), "[]")
			if gone[key] {
				usedByGone[typ] = true
			} else {
				usedByKept[typ] = true
			}
		}
	}
	for key := range gone {
		delete(s.Tables, key)
	}
	for _, key := range slices.Sorted(maps.Keys(s.Sequences)) {
		if owner, _, ok := cutColumn(s.Sequences[key].OwnedBy); ok && gone[owner] {
			delete(s.Sequences, key)
			out.Sequences = append(out.Sequences, key)
		}
	}
	// A column names a type of the schema as format_type prints it: bare
	// or quoted, qualified by its schema.
	onlyTheirs := func(schema, name string) bool {
		names := []string{sqlName(schema, name), pgident.Quote(schema) + "." + pgident.Quote(name)}
		return slices.ContainsFunc(names, func(n string) bool { return usedByGone[n] }) &&
			!slices.ContainsFunc(names, func(n string) bool { return usedByKept[n] })
	}
	for _, key := range slices.Sorted(maps.Keys(s.Enums)) {
		if e := s.Enums[key]; onlyTheirs(e.Schema, e.Name) {
			delete(s.Enums, key)
			out.Types = append(out.Types, key)
		}
	}
	for _, key := range slices.Sorted(maps.Keys(s.Others)) {
		name, ok := strings.CutPrefix(key, "domain ")
		if !ok {
			continue
		}
		schema, bare, qualified := strings.Cut(name, ".")
		if !qualified {
			schema, bare = "public", name
		}
		if onlyTheirs(schema, bare) {
			delete(s.Others, key)
			out.Types = append(out.Types, key)
		}
	}
	for _, key := range slices.Sorted(maps.Keys(s.Others)) {
		// A rule, or a constraint or trigger read only by a summary, is
		// named "… on table".
		if i := strings.LastIndex(key, " on "); i >= 0 && gone[key[i+len(" on "):]] {
			delete(s.Others, key)
		}
	}
	for _, p := range s.Publications {
		p.Tables = slices.DeleteFunc(p.Tables, func(t PublishedTable) bool { return gone[t.Table] })
	}
	for changed := true; changed; {
		changed = false
		for _, key := range slices.Sorted(maps.Keys(s.Views)) {
			if slices.ContainsFunc(s.Views[key].DependsOn, func(on string) bool { return gone[on] }) {
				delete(s.Views, key)
				gone[key], changed = true, true
				out.Views = append(out.Views, key)
			}
		}
	}
	slices.Sort(out.Views)
	s.leaveOutEmptied(scope)
	return out
}

// leaveOutEmptied leaves out a schema the scope leaves out whole
// ("audit.*") when it holds nothing else: it was there for those tables.
// It goes by the pattern, not by what this snapshot held, so that both
// sides of a comparison lose it alike.
func (s *Snapshot) leaveOutEmptied(scope Scope) {
	held := map[string]bool{}
	for _, p := range scope.ExcludeTables {
		if schema, ok := strings.CutSuffix(p, ".*"); ok && !strings.ContainsAny(schema, "*?[") {
			held[schema] = true
		}
	}
	holds := func(schema string) bool {
		in := func(objSchema string) bool { return objSchema == schema }
		return anyOf(s.Tables, func(t *Table) bool { return in(t.Schema) }) ||
			anyOf(s.Views, func(v *View) bool { return in(v.Schema) }) ||
			anyOf(s.Functions, func(f *Function) bool { return in(f.Schema) }) ||
			anyOf(s.Enums, func(e *Enum) bool { return in(e.Schema) }) ||
			anyOf(s.Sequences, func(q *Sequence) bool { return in(q.Schema) }) ||
			slices.ContainsFunc(slices.Collect(maps.Keys(s.Others)), func(key string) bool { return strings.Contains(key, " "+schema+".") })
	}
	for schema := range held {
		if !holds(schema) {
			delete(s.Schemas, schema)
		}
	}
}

// anyOf reports whether some value of m satisfies f.
func anyOf[V any](m map[string]V, f func(V) bool) bool {
	for _, v := range m {
		if f(v) {
			return true
		}
	}
	return false
}
