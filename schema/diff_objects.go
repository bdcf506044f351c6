// Differences in the objects outside tables: schemas, extensions,
// collations, enum types, sequences, and what the snapshot does not compare.

package schema

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/appydex/smoke/schema/pgident"
)

func (d *differ) namespaces() {
	for _, name := range unionKeys(d.want.Schemas, d.got.Schemas) {
		w, g := d.want.Schemas[name], d.got.Schemas[name]
		switch {
		case g == nil:
			stmts := []stmt{{phase: phaseCreateSchemas, sql: "CREATE SCHEMA " + pgident.Quote(name) + ";"}}
			d.add(ruleSchemaMissing, Finding{ObjectType: ObjectSchema, Object: name, Kind: Missing},
				append(stmts, grantStmts("SCHEMA", pgident.Quote(name), w.Privileges, nil)...)...)
		case w == nil:
			d.add(ruleSchemaUnexpected, Finding{ObjectType: ObjectSchema, Object: name, Kind: Unexpected},
				stmt{phase: phaseDropLast, rank: rankLast, sql: "DROP SCHEMA " + pgident.Quote(name) + ";"})
		default:
			d.grants("SCHEMA", name, pgident.Quote(name), w.Privileges, g.Privileges, nil)
		}
	}
}

func (d *differ) extensions() {
	for _, name := range unionKeys(d.want.Extensions, d.got.Extensions) {
		w, g := d.want.Extensions[name], d.got.Extensions[name]
		switch {
		case g == nil:
			d.add(ruleExtensionMissing, Finding{ObjectType: ObjectExtension, Object: name, Kind: Missing, Want: describeExtension(w)},
				stmt{phase: phaseCreateSchemas, rank: 1, sql: fmt.Sprintf("CREATE EXTENSION IF NOT EXISTS %s WITH SCHEMA %s VERSION %s;",
					pgident.Quote(name), pgident.Quote(w.Schema), pgident.Literal(w.Version))})
		case w == nil:
			d.add(ruleExtensionUnexpected, Finding{ObjectType: ObjectExtension, Object: name, Kind: Unexpected, Got: describeExtension(g)},
				stmt{phase: phaseDropLast, rank: rankBeforeLast, sql: "DROP EXTENSION " + pgident.Quote(name) + ";"})
		case w.Version != g.Version && g.UpdatesTo != nil && !slices.Contains(g.UpdatesTo, w.Version):
			d.add(ruleExtensionVersion, Finding{ObjectType: ObjectExtension, Object: name, Kind: VersionDiffers, Want: w.Version, Got: g.Version},
				comment(phaseCreateSchemas, fmt.Sprintf("extension %s has no update path from %s to %s on this server; DROP EXTENSION and CREATE EXTENSION %s VERSION %s would drop what uses it",
					name, g.Version, w.Version, name, pgident.Literal(w.Version))))
		case w.Version != g.Version:
			d.add(ruleExtensionVersion, Finding{ObjectType: ObjectExtension, Object: name, Kind: VersionDiffers, Want: w.Version, Got: g.Version},
				stmt{phase: phaseCreateSchemas, rank: 1, sql: "ALTER EXTENSION " + pgident.Quote(name) + " UPDATE TO " + pgident.Literal(w.Version) + ";"})
		case w.Schema != g.Schema:
			d.add(ruleExtensionSchema, Finding{ObjectType: ObjectExtension, Object: name, Kind: DefinitionDiffers, Want: "in schema " + w.Schema, Got: "in schema " + g.Schema},
				stmt{phase: phaseCreateSchemas, rank: 1, sql: "ALTER EXTENSION " + pgident.Quote(name) + " SET SCHEMA " + pgident.Quote(w.Schema) + ";"})
		}
	}
}

func describeExtension(e *Extension) string { return e.Version + " in schema " + e.Schema }

func (d *differ) collations() {
	for _, key := range unionKeys(d.want.Collations, d.got.Collations) {
		w, g := d.want.Collations[key], d.got.Collations[key]
		switch {
		case g == nil:
			d.add(ruleCollationMissing, Finding{ObjectType: ObjectCollation, Object: key, Kind: Missing, Want: describeCollation(w)},
				stmt{phase: phaseCreateSchemas, rank: 2, sql: createCollation(w)})
		case w == nil:
			d.add(ruleCollationUnexpected, Finding{ObjectType: ObjectCollation, Object: key, Kind: Unexpected, Got: describeCollation(g)},
				stmt{phase: phaseDropLast, sql: "DROP COLLATION " + sqlName(g.Schema, g.Name) + ";"})
		case *w != *g && usesCollation(d.got, g):
			d.add(ruleCollationUsed, Finding{ObjectType: ObjectCollation, Object: key, Kind: DefinitionDiffers, Want: describeCollation(w), Got: describeCollation(g)},
				comment(phaseCreateSchemas, "collation "+key+" differs: columns or indexes use it, so it cannot be dropped and made again here"))
		case *w != *g:
			rule := ruleCollationUnused
			if usesCollation(d.want, w) {
				rule = ruleCollationUsed
			}
			d.add(rule, Finding{ObjectType: ObjectCollation, Object: key, Kind: DefinitionDiffers, Want: describeCollation(w), Got: describeCollation(g)},
				stmt{phase: phaseCreateSchemas, rank: 1, sql: "DROP COLLATION " + sqlName(g.Schema, g.Name) + ";"},
				stmt{phase: phaseCreateSchemas, rank: 2, sql: createCollation(w)})
		}
	}
}

// usesCollation reports whether a column, index, view or domain of s
// names the collation c.
func usesCollation(s *Snapshot, c *Collation) bool {
	names := []string{"COLLATE " + pgident.Quote(c.Schema) + "." + pgident.Quote(c.Name), "COLLATE " + sqlName(c.Schema, c.Name)}
	uses := func(def string) bool {
		for _, n := range names {
			if strings.Contains(def, n) {
				return true
			}
		}
		return false
	}
	for _, t := range s.Tables {
		for _, col := range t.Columns {
			if uses(col.Type) {
				return true
			}
		}
		for _, ix := range t.Indexes {
			if uses(ix.Def) {
				return true
			}
		}
	}
	for _, v := range s.Views {
		if uses(v.Def) {
			return true
		}
	}
	for _, o := range s.Others {
		if uses(o.Def) {
			return true
		}
	}
	return false
}

func describeCollation(c *Collation) string {
	s := c.Provider + " " + c.Locale
	if c.Ctype != "" && c.Ctype != c.Locale {
		s += " (ctype " + c.Ctype + ")"
	}
	if !c.Deterministic {
		s += ", nondeterministic"
	}
	return s
}

func createCollation(c *Collation) string {
	s := fmt.Sprintf("CREATE COLLATION %s (provider = %s, ", sqlName(c.Schema, c.Name), c.Provider)
	if c.Provider == "libc" && c.Ctype != c.Locale {
		s += "lc_collate = " + pgident.Literal(c.Locale) + ", lc_ctype = " + pgident.Literal(c.Ctype)
	} else {
		s += "locale = " + pgident.Literal(c.Locale)
	}
	if !c.Deterministic {
		s += ", deterministic = false"
	}
	return s + ");"
}

// enums compares enum types. Labels added where the order allows it are
// added; labels removed or reordered retype the type: the old one renamed,
// the new one made, every column moved to it through text, the old one
// dropped — and what is built on it made again around that.
func (d *differ) enums() {
	for _, key := range unionKeys(d.want.Enums, d.got.Enums) {
		w, g := d.want.Enums[key], d.got.Enums[key]
		switch {
		case g == nil:
			d.add(ruleEnumMissing, Finding{ObjectType: ObjectEnum, Object: key, Kind: Missing, Want: labelList(w.Labels)},
				stmt{phase: phaseTypes, sql: "CREATE TYPE " + sqlName(w.Schema, w.Name) + " AS ENUM (" + labelList(w.Labels) + ");"})
			continue
		case w == nil:
			d.disturbed[key] = true
			d.add(ruleEnumUnexpected, Finding{ObjectType: ObjectEnum, Object: key, Kind: Unexpected, Got: labelList(g.Labels)},
				stmt{phase: phaseDropLast, sql: "DROP TYPE " + sqlName(g.Schema, g.Name) + ";"})
			continue
		}
		if slices.Equal(w.Labels, g.Labels) {
			continue
		}
		if renames := renamedLabels(w.Labels, g.Labels); renames != nil {
			var stmts []stmt
			for _, r := range renames {
				stmts = append(stmts, stmt{phase: phaseTypes, sql: "ALTER TYPE " + sqlName(w.Schema, w.Name) + " RENAME VALUE " +
					pgident.Literal(r[1]) + " TO " + pgident.Literal(r[0]) + ";"})
			}
			d.add(ruleEnumLabelMissing, Finding{ObjectType: ObjectEnum, Object: key, Kind: LabelsRenamed, Want: labelList(w.Labels), Got: labelList(g.Labels)}, stmts...)
			continue
		}
		if isSubsequence(g.Labels, w.Labels) {
			for i, label := range w.Labels {
				if !slices.Contains(g.Labels, label) {
					d.add(ruleEnumLabelMissing, Finding{ObjectType: ObjectEnumLabel, Object: key, Kind: Missing, Want: pgident.Literal(label)},
						stmt{phase: phaseTypes, addsLabel: label, labelType: pgident.Quote(w.Schema) + "." + pgident.Quote(w.Name), sql: "ALTER TYPE " + sqlName(w.Schema, w.Name) + " ADD VALUE " + pgident.Literal(label) + labelPosition(w.Labels, g.Labels, i) + ";"})
				}
			}
			continue
		}
		d.disturbed[key] = true
		kind := LabelsReordered
		for _, label := range g.Labels {
			if !slices.Contains(w.Labels, label) {
				kind = LabelsRemoved
			}
		}
		stmts := d.retypeEnum(w, g)
		if removed := minus(g.Labels, w.Labels); len(removed) > 0 {
			stmts = append(stmts, comment(phaseTypes, "the retype fails if a row still holds "+labelList(removed)+": change those rows first"))
		}
		rule := ruleEnumLabelsDiffer
		if len(minus(w.Labels, g.Labels)) > 0 {
			rule = ruleEnumLabelMissing
		}
		d.add(rule, Finding{ObjectType: ObjectEnum, Object: key, Kind: kind, Want: labelList(w.Labels), Got: labelList(g.Labels)}, stmts...)
	}
}

// renamedLabels finds labels renamed in place: the same number of labels,
// and where they differ, want's label is not in got and got's not in want.
// It returns [want, got] pairs, or nil when the change is not only that.
func renamedLabels(want, got []string) [][2]string {
	if len(want) != len(got) {
		return nil
	}
	var renames [][2]string
	for i := range want {
		if want[i] == got[i] {
			continue
		}
		if slices.Contains(got, want[i]) || slices.Contains(want, got[i]) {
			return nil
		}
		renames = append(renames, [2]string{want[i], got[i]})
	}
	return renames
}

// isSubsequence reports whether every item of a is in b, in a's order.
func isSubsequence(a, b []string) bool {
	i := 0
	for _, x := range b {
		if i < len(a) && a[i] == x {
			i++
		}
	}
	return i == len(a)
}

// retypeEnum makes the enum anew and moves every column of got that uses
// it, through text. Defaults, checks and indexes whose expressions name
// the type are dropped first and made again after: PostgreSQL would
// otherwise carry them over still bound to the old type.
func (d *differ) retypeEnum(w, g *Enum) []stmt {
	name := sqlName(w.Schema, w.Name)
	old := w.Name + "__old_version_to_be_dropped"
	stmts := []stmt{
		{phase: phaseTypes, sql: "ALTER TYPE " + name + " RENAME TO " + pgident.Quote(old) + ";"},
		{phase: phaseTypes, sql: "CREATE TYPE " + name + " AS ENUM (" + labelList(w.Labels) + ");"},
	}
	for _, tkey := range slices.Sorted(maps.Keys(d.got.Tables)) {
		t := d.got.Tables[tkey]
		wt := d.want.Tables[tkey]
		if wt == nil || d.rebuilt[tkey] {
			continue // dropped whole
		}
		rank := depth(d.want, tkey)
		for _, c := range sortedColumns(t) {
			if c.Inherited || !namesType(strings.TrimSuffix(c.Type, "[]"), g) {
				continue
			}
			wc := wt.Columns[c.Name]
			if wc == nil || wc.Type != c.Type {
				continue // dropped, or retyped by its own finding
			}
			col := "ALTER TABLE " + t.sql() + " ALTER COLUMN " + pgident.Quote(c.Name)
			if c.Default != "" {
				stmts = append(stmts, stmt{phase: phaseTables, rank: rank, order: orderDropDefault, sql: col + " DROP DEFAULT;"})
			}
			via := "text"
			if strings.HasSuffix(c.Type, "[]") {
				via = "text[]"
			}
			stmts = append(stmts, stmt{phase: phaseTables, rank: rank, order: orderType,
				sql: col + " TYPE " + c.Type + " USING " + pgident.Quote(c.Name) + "::" + via + "::" + c.Type + ";"})
			if wc.Default != "" && wc.Default == c.Default {
				stmts = append(stmts, stmt{phase: phaseTables, rank: rank, order: orderSetDefault, sql: col + " SET DEFAULT " + wc.Default + ";"})
			}
		}
		// Constraints and indexes that stay as they are but name the type.
		for _, con := range t.Constraints {
			if con.Inherited || !mentionsType(con.Def, g) {
				continue
			}
			if wcon := findConstraint(wt, con.Name); wcon != nil && wcon.Def == con.Def && wcon.Kind == con.Kind {
				phase := phaseDropConstraints
				if con.Kind == "foreign key" {
					phase = phaseDropForeignKeys
				}
				stmts = append(stmts, stmt{phase: phase, sql: "ALTER TABLE " + t.sql() + " DROP CONSTRAINT " + pgident.Quote(con.Name) + ";"},
					addConstraint(wt, wcon))
			}
		}
		for _, ix := range t.Indexes {
			if ix.Inherited || !mentionsType(ix.Def, g) {
				continue
			}
			for _, wix := range wt.Indexes {
				if wix.Name == ix.Name && wix.Def == ix.Def {
					stmts = append(stmts, stmt{phase: phaseDropConstraints, sql: "DROP INDEX " + sqlName(t.Schema, ix.Name) + ";"},
						stmt{phase: phaseConstraints, sql: createIndex(wix) + ";"})
				}
			}
		}
	}
	return append(stmts, stmt{phase: phaseDropLast, sql: "DROP TYPE " + sqlName(w.Schema, old) + ";"})
}

// namesType reports whether typ, as format_type prints it, is the enum e.
func namesType(typ string, e *Enum) bool {
	return typ == sqlName(e.Schema, e.Name) || typ == pgident.Quote(e.Schema)+"."+pgident.Quote(e.Name)
}

// mentionsType reports whether an expression, as PostgreSQL prints it with
// an empty search_path, names the enum e (in a cast, mostly).
func mentionsType(def string, e *Enum) bool {
	return strings.Contains(def, "::"+pgident.Quote(e.Schema)+"."+pgident.Quote(e.Name)) ||
		strings.Contains(def, "::"+sqlName(e.Schema, e.Name))
}

func findConstraint(t *Table, name string) *Constraint {
	for _, c := range t.Constraints {
		if c.Name == name {
			return c
		}
	}
	return nil
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

func (d *differ) sequences() {
	for _, key := range unionKeys(d.want.Sequences, d.got.Sequences) {
		w, g := d.want.Sequences[key], d.got.Sequences[key]
		switch {
		case g == nil:
			stmts := []stmt{{phase: phaseTypes, sql: createSequence(w)}}
			if w.OwnedBy != "" {
				stmts = append(stmts, stmt{phase: phaseConstraints, rank: 1, sql: "ALTER SEQUENCE " + sqlName(w.Schema, w.Name) + " OWNED BY " + quoteColumn(w.OwnedBy) + ";"})
			}
			stmts = append(stmts, grantStmts("SEQUENCE", sqlName(w.Schema, w.Name), w.Privileges, nil)...)
			d.add(ruleSequenceMissing, Finding{ObjectType: ObjectSequence, Object: key, Kind: Missing, Want: describeSequence(w)}, stmts...)
		case w == nil:
			if owner, _, _ := cutColumn(g.OwnedBy); g.OwnedBy != "" && (d.want.Tables[owner] == nil || d.rebuilt[owner] || !hasColumn(d.want, g.OwnedBy)) {
				// It goes with its column (or table), whose finding says so.
				continue
			}
			d.add(ruleSequenceUnexpected, Finding{ObjectType: ObjectSequence, Object: key, Kind: Unexpected, Got: describeSequence(g)},
				stmt{phase: phaseDropLast, sql: "DROP SEQUENCE " + sqlName(g.Schema, g.Name) + ";"})
		default:
			if alter := alterSequence(w, g); alter != "" {
				d.add(sequenceRule(w, g), Finding{ObjectType: ObjectSequence, Object: key, Kind: DefinitionDiffers, Want: describeSequence(w), Got: describeSequence(g)},
					stmt{phase: phaseTypes, sql: alterSequenceSQL(w, g, alter)})
			}
			if w.OwnedBy != g.OwnedBy {
				owner := "NONE"
				if w.OwnedBy != "" {
					owner = quoteColumn(w.OwnedBy)
				}
				d.add(ruleSequenceOwnedBy, Finding{ObjectType: ObjectSequence, Object: key, Kind: OwnerDiffers,
					Want: "owned by " + orNone(w.OwnedBy), Got: "owned by " + orNone(g.OwnedBy)},
					stmt{phase: phaseConstraints, rank: 1, sql: "ALTER SEQUENCE " + sqlName(w.Schema, w.Name) + " OWNED BY " + owner + ";"})
			}
			d.grants("SEQUENCE", key, sqlName(w.Schema, w.Name), w.Privileges, g.Privileges, nil)
		}
	}
}

// ownedSequences sets free, before the tables and columns are dropped, a
// sequence both sides have that is owned by a column the script drops — a
// table dropped or made anew, a column dropped, or an owner that changes —
// or it would go with it; a table made anew gets its sequence back.
func (d *differ) ownedSequences() {
	for _, key := range slices.Sorted(maps.Keys(d.got.Sequences)) {
		g, w := d.got.Sequences[key], d.want.Sequences[key]
		if w == nil || g.OwnedBy == "" {
			continue
		}
		owner, _, _ := cutColumn(g.OwnedBy)
		if w.OwnedBy == g.OwnedBy && !d.rebuilt[owner] {
			continue
		}
		name := sqlName(w.Schema, w.Name)
		d.script(stmt{phase: phaseDropDependents, rank: rankFirst, sql: "ALTER SEQUENCE " + name + " OWNED BY NONE; -- set free before " + g.OwnedBy + " goes"})
		if w.OwnedBy == g.OwnedBy {
			d.script(stmt{phase: phaseConstraints, rank: 1, sql: "ALTER SEQUENCE " + name + " OWNED BY " + quoteColumn(w.OwnedBy) + ";"})
		}
	}
}

// sequenceRule judges a sequence defined otherwise: one that runs out
// sooner than the expected one is a warning, other options a notice.
func sequenceRule(w, g *Sequence) Rule {
	width := map[string]int{"smallint": 2, "integer": 4, "bigint": 8}
	switch {
	case g.Increment > 0 && g.Max < w.Max, g.Increment < 0 && g.Min > w.Min,
		width[g.Type] < width[w.Type], g.Cycle && !w.Cycle:
		return ruleSequenceLimit
	}
	return ruleSequenceOptions
}

func createSequence(s *Sequence) string {
	return "CREATE SEQUENCE " + sqlName(s.Schema, s.Name) + " AS " + s.Type + fmt.Sprintf(" INCREMENT BY %d MINVALUE %d MAXVALUE %d START WITH %d CACHE %d",
		s.Increment, s.Min, s.Max, s.Start, s.Cache) + map[bool]string{true: " CYCLE", false: ""}[s.Cycle] + ";"
}

// alterSequence is what ALTER SEQUENCE needs to make got's sequence want's.
// alterSequenceSQL is the ALTER SEQUENCE that makes g w. Where the bound
// the sequence moves towards tightens past the value it stands at (a
// MINVALUE raised above an ascending sequence that has not reached it),
// PostgreSQL refuses the ALTER alone: it restarts at the new bound then, a
// value the sequence has never handed out.
func alterSequenceSQL(w, g *Sequence, alter string) string {
	return restartingBelow(w, g, "ALTER SEQUENCE "+sqlName(w.Schema, w.Name)+alter, " RESTART WITH ")
}

// restartingBelow is the statement alter, run as is unless the sequence g
// stands outside w's new bounds; then with restart and the bound added.
// g's name is the one the catalog has.
func restartingBelow(w, g *Sequence, alter, restartWith string) string {
	name := sqlName(g.Schema, g.Name)
	plain := alter + ";"
	var cond string
	var restart int64
	switch {
	case w.Increment > 0 && w.Min > g.Min:
		cond, restart = fmt.Sprintf("last_value < %d", w.Min), w.Min
	case w.Increment < 0 && w.Max < g.Max:
		cond, restart = fmt.Sprintf("last_value > %d", w.Max), w.Max
	default:
		return plain
	}
	return fmt.Sprintf("DO $$ BEGIN IF (SELECT %s FROM %s) THEN %s%s%d; ELSE %s END IF; END $$;",
		cond, name, alter, restartWith, restart, plain)
}

func alterSequence(w, g *Sequence) string {
	var s string
	if w.Type != g.Type {
		s += " AS " + w.Type
	}
	for _, opt := range sequenceOptions(w, g) {
		s += " " + opt
	}
	return s
}

// sequenceOptions are the options, as ALTER SEQUENCE writes them, in
// which w differs from g (its type aside).
func sequenceOptions(w, g *Sequence) []string {
	var opts []string
	for _, o := range []struct {
		differs bool
		opt     string
	}{
		{w.Increment != g.Increment, fmt.Sprintf("INCREMENT BY %d", w.Increment)},
		{w.Min != g.Min, fmt.Sprintf("MINVALUE %d", w.Min)},
		{w.Max != g.Max, fmt.Sprintf("MAXVALUE %d", w.Max)},
		{w.Start != g.Start, fmt.Sprintf("START WITH %d", w.Start)},
		{w.Cache != g.Cache, fmt.Sprintf("CACHE %d", w.Cache)},
		{w.Cycle != g.Cycle, map[bool]string{true: "CYCLE", false: "NO CYCLE"}[w.Cycle]},
	} {
		if o.differs {
			opts = append(opts, o.opt)
		}
	}
	return opts
}

func describeSequence(s *Sequence) string {
	out := s.Type
	if alterSequence(s, defaultSequence(s.Type, s.Increment)) != "" {
		out += fmt.Sprintf(" (increment %d, min %d, max %d, start %d, cache %d, cycle %t)", s.Increment, s.Min, s.Max, s.Start, s.Cache, s.Cycle)
	}
	if s.OwnedBy != "" {
		out += " owned by " + s.OwnedBy
	}
	return out
}

// cutColumn splits table.column (table may be schema.table).
func cutColumn(tableDotColumn string) (table, column string, ok bool) {
	i := strings.LastIndexByte(tableDotColumn, '.')
	if i < 0 {
		return "", "", false
	}
	return tableDotColumn[:i], tableDotColumn[i+1:], true
}

func quoteColumn(tableDotColumn string) string {
	table, column, _ := cutColumn(tableDotColumn)
	return quoteKey(table) + "." + pgident.Quote(column)
}

func hasColumn(s *Snapshot, tableDotColumn string) bool {
	table, column, _ := cutColumn(tableDotColumn)
	t := s.Tables[table]
	return t != nil && t.Columns[column] != nil
}

// others compares the objects of kinds the engine knows only by a summary
// of their definition: what it can write it writes (a domain, a composite
// or range type, an aggregate, a rule made or dropped); the rest is a
// comment saying what to do by hand.
func (d *differ) others() {
	for _, key := range unionKeys(d.want.Others, d.got.Others) {
		w, g := d.want.Others[key], d.got.Others[key]
		kind := otherKind(w, g)
		f := Finding{ObjectType: kind, Object: strings.TrimPrefix(key, string(kind)+" ")}
		createPhase, createRank, dropPhase, dropRank := otherPhases(w, g)
		switch {
		case g == nil:
			f.Kind, f.Want = Missing, w.Def
			rule := map[ObjectType]Rule{ObjectRule: ruleRuleMissing, ObjectTrigger: ruleTriggerMissing, ObjectConstraint: ruleConstraintMissing, ObjectStatistics: ruleStatistics}[kind]
			if rule.ID == "" {
				rule = ruleTypeMissing
			}
			if w.Create == "" {
				d.add(rule, f, comment(createPhase, key+" is missing, and this engine does not write it: add it by hand"))
			} else {
				d.add(rule, f, stmt{phase: createPhase, rank: createRank, sql: w.Create})
			}
		case w == nil:
			f.Kind, f.Got = Unexpected, g.Def
			rule := ruleTypeUnexpected
			switch _, on, _ := strings.Cut(f.Object, " on "); {
			case kind == "rule" && d.want.Tables[on] != nil:
				rule = ruleRuleUnexpected // on a table of the application's
			case kind == "constraint":
				rule = ruleConstraintUnexpected
			case kind == ObjectStatistics:
				rule = ruleStatistics
			}
			if g.Drop == "" {
				d.add(rule, f, comment(dropPhase, key+" is unexpected, and this engine does not drop it: drop it by hand"))
			} else {
				d.add(rule, f, stmt{phase: dropPhase, rank: dropRank, sql: g.Drop})
			}
		case w.Def == "" && g.Def == "":
			f.Kind = NotCompared
			d.add(ruleNotCompared, f, comment(phaseDropLast, key+" is in both, and this engine does not compare its kind: compare it by hand"))
		case w.Def != g.Def:
			f.Kind, f.Want, f.Got = DefinitionDiffers, w.Def, g.Def
			rule := map[ObjectType]Rule{ObjectRule: ruleRuleMissing, ObjectTrigger: ruleTriggerDiffers, ObjectConstraint: ruleConstraintDiffers, ObjectStatistics: ruleStatistics}[kind]
			if rule.ID == "" {
				rule = ruleTypeDiffers
			}
			if (w.Kind == "aggregate" || w.Kind == "rule" || w.Kind == ObjectStatistics) && w.Create != "" && g.Drop != "" {
				d.add(rule, f, stmt{phase: dropPhase, rank: dropRank, sql: g.Drop}, stmt{phase: createPhase, rank: createRank, sql: w.Create})
			} else {
				d.add(rule, f, comment(createPhase, key+" differs, and this engine does not alter its kind: change it by hand (objects that use it stay)"))
			}
		}
	}
}

func otherKind(w, g *Other) ObjectType {
	if w != nil {
		return w.Kind
	}
	return g.Kind
}

// otherPhases says when an object of another kind is made and dropped:
// types before the tables that use them and after those dropped;
// aggregates, rules and triggers after the functions and tables they use
// and before those dropped.
func otherPhases(w, g *Other) (createPhase, createRank, dropPhase, dropRank int) {
	o := w
	if o == nil {
		o = g
	}
	switch o.Kind {
	case "aggregate", "rule", "trigger":
		return phaseCreateDependents, triggerRank + 1, phaseDropDependents, -(triggerRank + 1)
	case "foreign table":
		return phaseTables, 0, phaseDropTables, 0
	case "constraint":
		return phaseConstraints, 0, phaseDropConstraints, 0
	case ObjectStatistics:
		return phaseConstraints, 1, phaseDropConstraints, 0
	}
	return phaseTypes, -1, phaseDropLast, 1
}

// defaultPrivileges compares what ALTER DEFAULT PRIVILEGES grants on the
// objects a role makes later.
func (d *differ) defaultPrivileges() {
	for _, key := range unionKeys(d.want.DefaultPrivileges, d.got.DefaultPrivileges) {
		w, g := d.want.DefaultPrivileges[key], d.got.DefaultPrivileges[key]
		forRole, on, _ := strings.Cut(key, " ON ")
		for _, grantee := range unionKeys(w, g) {
			if w[grantee] == g[grantee] {
				continue
			}
			c := grantChange(privilegeSet(w[grantee]), privilegeSet(g[grantee]))
			stmts := c.statements("ALTER DEFAULT PRIVILEGES "+forRole+" ", on, grantee)
			d.add(ruleDefaultPrivileges, Finding{ObjectType: ObjectDefaultPrivilege, Object: key, Kind: PrivilegesDiffer, Grantee: grantee,
				Want: describeGrants(only(w, grantee)), Got: describeGrants(only(g, grantee))}, stmts...)
		}
	}
}
