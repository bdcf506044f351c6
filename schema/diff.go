package schema

import (
	"maps"
	"slices"

	"github.com/appydex/smoke/schema/pgident"
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
