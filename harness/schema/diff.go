package schema

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/appydex/smoke/harness/pgident"
)

// Diff compares got with want and returns every difference, in a stable
// order, each with the SQL that would make got match want. Column order is
// not compared: PostgreSQL cannot reorder columns without rebuilding the
// table, and nothing that names its columns (every INSERT and SELECT of the
// reference API) depends on it.
func Diff(want, got *Snapshot) []Finding {
	d := &differ{want: want, got: got}
	d.enums()
	d.sequences()
	for _, name := range unionKeys(want.Tables, got.Tables) {
		w, g := want.Tables[name], got.Tables[name]
		switch {
		case g == nil:
			d.add(Finding{ObjectType: "table", Object: name, Kind: Missing, Severity: Error, Fix: d.createTable(w)})
		case w == nil:
			d.add(Finding{ObjectType: "table", Object: name, Kind: Unexpected, Severity: Warning,
				Fix: "DROP TABLE " + d.qual(name) + "; -- drops its rows"})
		default:
			d.columns(w, g)
			d.constraints(w, g)
			d.indexes(w, g)
		}
	}
	d.unsupported()
	sortFindings(d.findings)
	return d.findings
}

type differ struct {
	want, got *Snapshot
	findings  []Finding
}

func (d *differ) add(f Finding) {
	f.WantSource, f.GotSource = d.want.Source, d.got.Source
	d.findings = append(d.findings, f)
}

// qual names an object of the compared schema in SQL: bare in public.
func (d *differ) qual(name string) string {
	if d.got.Schema == "public" || d.got.Schema == "" {
		return pgident.Quote(name)
	}
	return pgident.Quote(d.got.Schema) + "." + pgident.Quote(name)
}

func (d *differ) columns(w, g *Table) {
	alter := "ALTER TABLE " + d.qual(w.Name)
	for _, name := range unionKeys(w.Columns, g.Columns) {
		wc, gc := w.Columns[name], g.Columns[name]
		obj := w.Name + "." + name
		if gc == nil {
			create, own := d.ownedSequences(obj)
			d.add(Finding{ObjectType: "column", Object: obj, Kind: Missing, Severity: Error, Want: describeColumn(wc),
				Fix: create + alter + " ADD COLUMN " + columnDefinition(wc) + ";" + own + addNotNullNote(wc)})
			continue
		}
		if wc == nil {
			sev := Warning
			if gc.NotNull && gc.Default == "" && gc.Identity == "" && gc.Generated == "" {
				sev = Error // every INSERT written from the expected schema leaves it null and fails
			}
			d.add(Finding{ObjectType: "column", Object: obj, Kind: Unexpected, Severity: sev, Got: describeColumn(gc),
				Fix: alter + " DROP COLUMN " + pgident.Quote(name) + "; -- drops its data"})
			continue
		}
		col := alter + " ALTER COLUMN " + pgident.Quote(name)
		if wc.Type != gc.Type {
			d.add(Finding{ObjectType: "column", Object: obj, Kind: TypeDiffers, Severity: Error, Want: wc.Type, Got: gc.Type,
				Fix: col + " TYPE " + wc.Type + " USING " + pgident.Quote(name) + "::" + baseType(wc.Type) + ";"})
		}
		if wc.NotNull != gc.NotNull {
			f := Finding{ObjectType: "column", Object: obj, Kind: NullabilityDiffers, Want: nullability(wc), Got: nullability(gc)}
			if gc.NotNull {
				f.Severity, f.Fix = Error, col+" DROP NOT NULL;" // writes of a null now fail
			} else {
				f.Severity, f.Fix = Warning, col+" SET NOT NULL;"
			}
			d.add(f)
		}
		switch {
		case wc.Default == gc.Default:
		case gc.Default == "":
			sev := Warning
			if wc.NotNull {
				sev = Error // an INSERT that leaves the column to its default now fails
			}
			d.add(Finding{ObjectType: "column", Object: obj, Kind: DefaultRemoved, Severity: sev, Want: wc.Default,
				Fix: col + " SET DEFAULT " + wc.Default + ";"})
		case wc.Default == "":
			d.add(Finding{ObjectType: "column", Object: obj, Kind: DefaultAdded, Severity: Warning, Got: gc.Default,
				Fix: col + " DROP DEFAULT;"})
		default:
			d.add(Finding{ObjectType: "column", Object: obj, Kind: DefaultDiffers, Severity: Warning, Want: wc.Default, Got: gc.Default,
				Fix: col + " SET DEFAULT " + wc.Default + ";"})
		}
		if wc.Identity != gc.Identity {
			var fix string
			switch {
			case gc.Identity == "":
				fix = col + " ADD GENERATED " + wc.Identity + " AS IDENTITY;"
			case wc.Identity == "":
				fix = col + " DROP IDENTITY;"
			default:
				fix = col + " SET GENERATED " + wc.Identity + ";"
			}
			d.add(Finding{ObjectType: "column", Object: obj, Kind: IdentityDiffers, Severity: Error,
				Want: orNone(identity(wc)), Got: orNone(identity(gc)), Fix: fix})
		}
		if wc.Generated != gc.Generated {
			d.add(Finding{ObjectType: "column", Object: obj, Kind: GeneratedDiffers, Severity: Error, Want: wc.Generated, Got: gc.Generated,
				Fix: alter + " DROP COLUMN " + pgident.Quote(name) + ", ADD COLUMN " + columnDefinition(wc) + "; -- PostgreSQL cannot change a generation expression in place"})
		}
	}
}

// constraints pairs the two tables' constraints: first those with the same
// definition (a differing name is a notice), then those of the same kind and
// name (the definition differs), and reports the rest as missing or
// unexpected.
func (d *differ) constraints(w, g *Table) {
	alter := "ALTER TABLE " + d.qual(w.Name)
	pairs, missing, unexpected := pair(w.Constraints, g.Constraints,
		func(a, b *Constraint) bool { return a.Kind == b.Kind && a.Def == b.Def },
		func(a, b *Constraint) bool { return a.Kind == b.Kind && a.Name == b.Name })
	for _, p := range pairs {
		wc, gc := p[0], p[1]
		obj := w.Name + "." + wc.Name
		if wc.Def != gc.Def {
			d.add(Finding{ObjectType: wc.Kind, Object: obj, Kind: DefinitionDiffers, Severity: Error, Want: wc.Def, Got: gc.Def,
				Fix: alter + " DROP CONSTRAINT " + pgident.Quote(gc.Name) + ", ADD CONSTRAINT " + pgident.Quote(wc.Name) + " " + wc.Def + ";"})
		} else if wc.Name != gc.Name {
			d.add(Finding{ObjectType: wc.Kind, Object: obj, Kind: NameDiffers, Severity: Notice, Want: wc.Name, Got: gc.Name,
				Fix: alter + " RENAME CONSTRAINT " + pgident.Quote(gc.Name) + " TO " + pgident.Quote(wc.Name) + ";"})
		}
		if wc.Validated && !gc.Validated {
			d.add(Finding{ObjectType: wc.Kind, Object: w.Name + "." + gc.Name, Kind: NotValidated, Severity: Warning,
				Want: "validated", Got: "NOT VALID: existing rows were never checked",
				Fix: alter + " VALIDATE CONSTRAINT " + pgident.Quote(gc.Name) + ";"})
		}
	}
	for _, wc := range missing {
		d.add(Finding{ObjectType: wc.Kind, Object: w.Name + "." + wc.Name, Kind: Missing, Severity: Error, Want: wc.Def,
			Fix: alter + " ADD CONSTRAINT " + pgident.Quote(wc.Name) + " " + wc.Def + ";"})
	}
	for _, gc := range unexpected {
		d.add(Finding{ObjectType: gc.Kind, Object: w.Name + "." + gc.Name, Kind: Unexpected, Severity: Warning, Got: gc.Def,
			Fix: alter + " DROP CONSTRAINT " + pgident.Quote(gc.Name) + ";"})
	}
}

// indexes pairs indexes as constraints pairs constraints.
func (d *differ) indexes(w, g *Table) {
	pairs, missing, unexpected := pair(w.Indexes, g.Indexes,
		func(a, b *Index) bool { return a.Def == b.Def },
		func(a, b *Index) bool { return a.Name == b.Name })
	for _, p := range pairs {
		wi, gi := p[0], p[1]
		obj := w.Name + "." + wi.Name
		if wi.Def != gi.Def {
			d.add(Finding{ObjectType: "index", Object: obj, Kind: DefinitionDiffers, Severity: Warning, Want: wi.Def, Got: gi.Def,
				Fix: "DROP INDEX " + d.qual(gi.Name) + "; " + d.createIndex(wi) + ";"})
		} else if wi.Name != gi.Name {
			d.add(Finding{ObjectType: "index", Object: obj, Kind: NameDiffers, Severity: Notice, Want: wi.Name, Got: gi.Name,
				Fix: "ALTER INDEX " + d.qual(gi.Name) + " RENAME TO " + pgident.Quote(wi.Name) + ";"})
		}
		if wi.Valid && !gi.Valid {
			d.add(Finding{ObjectType: "index", Object: w.Name + "." + gi.Name, Kind: Invalid, Severity: Warning,
				Want: "valid", Got: "invalid: a CREATE INDEX CONCURRENTLY failed, so queries do not use it",
				Fix: "REINDEX INDEX CONCURRENTLY " + d.qual(gi.Name) + ";"})
		}
	}
	for _, wi := range missing {
		sev := Warning
		if wi.Unique {
			sev = Error
		}
		d.add(Finding{ObjectType: "index", Object: w.Name + "." + wi.Name, Kind: Missing, Severity: sev, Want: wi.Def,
			Fix: d.createIndex(wi) + ";"})
	}
	for _, gi := range unexpected {
		sev := Notice
		if gi.Unique {
			sev = Warning // it can reject writes the expected schema allows
		}
		d.add(Finding{ObjectType: "index", Object: w.Name + "." + gi.Name, Kind: Unexpected, Severity: sev, Got: gi.Def,
			Fix: "DROP INDEX " + d.qual(gi.Name) + ";"})
	}
}

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

// pair matches want's items with got's, first by same, then by similar.
func pair[T any](want, got []T, same, similar func(a, b T) bool) (pairs [][2]T, missing, unexpected []T) {
	usedW, usedG := make([]bool, len(want)), make([]bool, len(got))
	for _, match := range []func(a, b T) bool{same, similar} {
		for i, w := range want {
			if usedW[i] {
				continue
			}
			for j, g := range got {
				if !usedG[j] && match(w, g) {
					usedW[i], usedG[j] = true, true
					pairs = append(pairs, [2]T{w, g})
					break
				}
			}
		}
	}
	for i, w := range want {
		if !usedW[i] {
			missing = append(missing, w)
		}
	}
	for j, g := range got {
		if !usedG[j] {
			unexpected = append(unexpected, g)
		}
	}
	return pairs, missing, unexpected
}

func unionKeys[V any](a, b map[string]V) []string {
	keys := slices.Collect(maps.Keys(a))
	for k := range b {
		if _, ok := a[k]; !ok {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	return keys
}

func union(a, b []string) []string {
	out := slices.Clone(a)
	for _, s := range b {
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	slices.Sort(out)
	return out
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

func nullability(c *Column) string {
	if c.NotNull {
		return "NOT NULL"
	}
	return "NULL"
}

func identity(c *Column) string {
	if c.Identity == "" {
		return ""
	}
	return "GENERATED " + c.Identity + " AS IDENTITY"
}

// describeColumn is a column's definition without its name.
func describeColumn(c *Column) string {
	def := columnDefinition(c)
	return strings.TrimPrefix(def, pgident.Quote(c.Name)+" ")
}

func columnDefinition(c *Column) string {
	s := pgident.Quote(c.Name) + " " + c.Type
	if c.Generated != "" {
		s += " GENERATED ALWAYS AS (" + c.Generated + ") STORED"
	}
	if c.Identity != "" {
		s += " " + identity(c)
	}
	if c.NotNull {
		s += " NOT NULL"
	}
	if c.Default != "" {
		s += " DEFAULT " + c.Default
	}
	return s
}

// addNotNullNote warns that adding a NOT NULL column without a default
// fails on a table that has rows.
func addNotNullNote(c *Column) string {
	if c.NotNull && c.Default == "" && c.Identity == "" && c.Generated == "" {
		return " -- on a table with rows: add it nullable, fill it, then SET NOT NULL"
	}
	return ""
}

func describeSequence(s *Sequence) string {
	if s.OwnedBy == "" {
		return s.Type
	}
	return s.Type + " owned by " + s.OwnedBy
}

// baseType is a column type without its COLLATE clause, for a USING cast.
func baseType(t string) string {
	base, _, _ := strings.Cut(t, " COLLATE ")
	return base
}

func (d *differ) qualColumn(tableDotColumn string) string {
	table, column, _ := strings.Cut(tableDotColumn, ".")
	return d.qual(table) + "." + pgident.Quote(column)
}

// createTable writes the expected table whole: the sequences its columns
// own, its columns in their order, its constraints, then its indexes.
func (d *differ) createTable(t *Table) string {
	cols := slices.Collect(maps.Values(t.Columns))
	slices.SortFunc(cols, func(a, b *Column) int { return a.Position - b.Position })
	var parts []string
	var creates, owns string
	for _, c := range cols {
		parts = append(parts, columnDefinition(c))
		create, own := d.ownedSequences(t.Name + "." + c.Name)
		creates, owns = creates+create, owns+own
	}
	for _, con := range t.Constraints {
		parts = append(parts, "CONSTRAINT "+pgident.Quote(con.Name)+" "+con.Def)
	}
	stmts := []string{fmt.Sprintf("%sCREATE TABLE %s (%s)", creates, d.qual(t.Name), strings.Join(parts, ", "))}
	for _, ix := range t.Indexes {
		stmts = append(stmts, d.createIndex(ix))
	}
	return strings.Join(stmts, "; ") + ";" + owns
}

// ownedSequences writes the statements that create the expected sequences
// a missing column owns (its serial default needs them first) and give them
// to it afterwards.
func (d *differ) ownedSequences(tableDotColumn string) (create, own string) {
	for _, name := range slices.Sorted(maps.Keys(d.want.Sequences)) {
		seq := d.want.Sequences[name]
		if seq.OwnedBy != tableDotColumn || d.got.Sequences[name] != nil {
			continue
		}
		create += "CREATE SEQUENCE " + d.qual(name) + " AS " + seq.Type + "; "
		own += " ALTER SEQUENCE " + d.qual(name) + " OWNED BY " + d.qualColumn(tableDotColumn) + ";"
	}
	return create, own
}

func hasColumn(s *Snapshot, tableDotColumn string) bool {
	table, column, _ := strings.Cut(tableDotColumn, ".")
	t := s.Tables[table]
	return t != nil && t.Columns[column] != nil
}

// createIndex puts the index's name back into its name-less definition.
func (d *differ) createIndex(ix *Index) string {
	return strings.Replace(ix.Def, "INDEX ON ", "INDEX "+pgident.Quote(ix.Name)+" ON ", 1)
}
