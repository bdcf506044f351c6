// Differences in the objects outside tables: enum types, sequences, and
// what the snapshot does not compare.

package schema

import (
	"slices"
	"strings"

	"github.com/appydex/smoke/schema/pgident"
)

func (d *differ) enums() {
	for _, name := range unionKeys(d.want.Enums, d.got.Enums) {
		w, inWant := d.want.Enums[name]
		g, inGot := d.got.Enums[name]
		switch {
		case !inGot:
			d.add(Finding{ObjectType: "enum", Object: name, Kind: Missing, Severity: Error, Want: labelList(w),
				Fix: "CREATE TYPE " + d.qual(name) + " AS ENUM (" + labelList(w) + ");"})
			continue
		case !inWant:
			d.add(Finding{ObjectType: "enum", Object: name, Kind: Unexpected, Severity: Warning, Got: labelList(g),
				Fix: "DROP TYPE " + d.qual(name) + ";"})
			continue
		}
		for i, label := range w {
			if slices.Contains(g, label) {
				continue
			}
			d.add(Finding{ObjectType: "enum label", Object: name, Kind: Missing, Severity: Error, Want: pgident.Literal(label),
				Fix: "ALTER TYPE " + d.qual(name) + " ADD VALUE " + pgident.Literal(label) + labelPosition(w, g, i) + ";"})
		}
		for _, label := range g {
			if !slices.Contains(w, label) {
				d.add(Finding{ObjectType: "enum label", Object: name, Kind: Unexpected, Severity: Warning, Got: pgident.Literal(label),
					Fix: "-- PostgreSQL cannot drop an enum label: create the type anew without it and move the columns to it"})
			}
		}
		if common(w, g) != common(g, w) {
			d.add(Finding{ObjectType: "enum", Object: name, Kind: LabelsReordered, Severity: Warning, Want: labelList(w), Got: labelList(g),
				Fix: "-- PostgreSQL cannot reorder enum labels: create the type anew in this order and move the columns to it"})
		}
	}
}

func (d *differ) sequences() {
	for _, name := range unionKeys(d.want.Sequences, d.got.Sequences) {
		w, g := d.want.Sequences[name], d.got.Sequences[name]
		switch {
		case g == nil && w.OwnedBy != "" && !hasColumn(d.got, w.OwnedBy):
			// created with its column (or table): see ownedSequences
		case w == nil && g.OwnedBy != "" && !hasColumn(d.want, g.OwnedBy):
			// dropped with its column (or table)
		case g == nil:
			fix := "CREATE SEQUENCE " + d.qual(name) + " AS " + w.Type
			if w.OwnedBy != "" {
				fix += " OWNED BY " + d.qualColumn(w.OwnedBy)
			}
			d.add(Finding{ObjectType: "sequence", Object: name, Kind: Missing, Severity: Error, Want: describeSequence(w), Fix: fix + ";"})
		case w == nil:
			d.add(Finding{ObjectType: "sequence", Object: name, Kind: Unexpected, Severity: Notice, Got: describeSequence(g),
				Fix: "DROP SEQUENCE " + d.qual(name) + ";"})
		case w.Type != g.Type:
			d.add(Finding{ObjectType: "sequence", Object: name, Kind: TypeDiffers, Severity: Warning, Want: w.Type, Got: g.Type,
				Fix: "ALTER SEQUENCE " + d.qual(name) + " AS " + w.Type + ";"})
		case w.OwnedBy != g.OwnedBy:
			owner := "NONE"
			if w.OwnedBy != "" {
				owner = d.qualColumn(w.OwnedBy)
			}
			d.add(Finding{ObjectType: "sequence", Object: name, Kind: DefinitionDiffers, Severity: Notice,
				Want: "owned by " + orNone(w.OwnedBy), Got: "owned by " + orNone(g.OwnedBy),
				Fix: "ALTER SEQUENCE " + d.qual(name) + " OWNED BY " + owner + ";"})
		}
	}
}

// unsupported reports the objects neither snapshot compares, so nobody
// mistakes silence about them for agreement.
func (d *differ) unsupported() {
	for _, obj := range union(d.want.Unsupported, d.got.Unsupported) {
		inWant, inGot := slices.Contains(d.want.Unsupported, obj), slices.Contains(d.got.Unsupported, obj)
		f := Finding{ObjectType: "object", Object: obj}
		switch {
		case inWant && inGot:
			f.Kind, f.Severity = NotCompared, Notice
		case inWant:
			f.Kind, f.Severity = Missing, Warning
		default:
			f.Kind, f.Severity = Unexpected, Warning
		}
		d.add(f)
	}
}

// common lists a's labels that b also has, in a's order.
func common(a, b []string) string {
	var out []string
	for _, s := range a {
		if slices.Contains(b, s) {
			out = append(out, s)
		}
	}
	return strings.Join(out, ",")
}

// labelPosition places want[i] next to its nearest neighbour in want that
// got already has: AFTER the one before it, else BEFORE the one after it.
func labelPosition(want, got []string, i int) string {
	for j := i - 1; j >= 0; j-- {
		if slices.Contains(got, want[j]) {
			return " AFTER " + pgident.Literal(want[j])
		}
	}
	for j := i + 1; j < len(want); j++ {
		if slices.Contains(got, want[j]) {
			return " BEFORE " + pgident.Literal(want[j])
		}
	}
	return ""
}

func labelList(labels []string) string {
	quoted := make([]string, len(labels))
	for i, l := range labels {
		quoted[i] = pgident.Literal(l)
	}
	return strings.Join(quoted, ", ")
}

func describeSequence(s *Sequence) string {
	if s.OwnedBy == "" {
		return s.Type
	}
	return s.Type + " owned by " + s.OwnedBy
}
