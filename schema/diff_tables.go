// Differences in tables and what hangs off them: columns, constraints,
// indexes, triggers, policies, grants.

package schema

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/appydex/smoke/schema/pgident"
)

func (d *differ) tables() {
	handledFK := map[string]bool{} // table.constraint of foreign keys already dropped
	for _, key := range unionKeys(d.want.Tables, d.got.Tables) {
		w, g := d.want.Tables[key], d.got.Tables[key]
		switch {
		case g == nil:
			d.add(ruleTableMissing, Finding{ObjectType: ObjectTable, Object: key, Kind: Missing, Want: notPlain(w)}, d.createTable(w)...)
		case w == nil:
			d.disturbed[key], d.fkDisturbed[key] = true, true
			d.add(ruleTableUnexpected, Finding{ObjectType: ObjectTable, Object: key, Kind: Unexpected, Got: notPlain(g)}, d.dropTable(g, handledFK)...)
		case w.Partitioned != g.Partitioned || w.PartitionKey != g.PartitionKey:
			// A table cannot become partitioned, or change its key, in place.
			d.disturbed[key], d.fkDisturbed[key], d.rebuilt[key] = true, true, true
			stmts := append(d.dropTable(g, handledFK), d.createTable(w)...)
			d.add(ruleTablePartitioning, Finding{ObjectType: ObjectTable, Object: key, Kind: DefinitionDiffers, Want: describeTable(w), Got: describeTable(g)},
				append(stmts, stmt{phase: phaseDropTables, sql: "-- " + key + " is made anew: its rows are not kept"})...)
		default:
			d.alterTable(w, g, handledFK)
		}
	}
	d.foreignKeysOfDisturbed(handledFK)
}

// describeTable says what kind of table it is, for findings.
func describeTable(t *Table) string {
	var parts []string
	if t.Unlogged {
		parts = append(parts, "unlogged")
	}
	switch {
	case t.Partitioned:
		parts = append(parts, "table partitioned by "+t.PartitionKey)
	default:
		parts = append(parts, "table")
	}
	if t.PartitionOf != "" {
		parts = append(parts, "partition of "+t.PartitionOf+" "+t.PartitionBound)
	}
	if len(t.Inherits) > 0 {
		parts = append(parts, "inheriting from "+strings.Join(t.Inherits, ", "))
	}
	return strings.Join(parts, " ")
}

// notPlain describes a table for a missing or unexpected finding, when it
// is more than a plain table.
func notPlain(t *Table) string {
	if d := describeTable(t); d != "table" {
		return d
	}
	return ""
}

// depth is how many parents deep a table is: parents are made first and
// dropped last.
func depth(s *Snapshot, key string) int {
	t := s.Tables[key]
	if t == nil {
		return 0
	}
	parents := slices.Clone(t.Inherits)
	if t.PartitionOf != "" {
		parents = append(parents, t.PartitionOf)
	}
	deepest := 0
	for _, p := range parents {
		if p != key {
			deepest = max(deepest, 1+depth(s, p))
		}
	}
	return deepest
}

func (t *Table) sql() string { return sqlName(t.Schema, t.Name) }

// createTable writes the expected table whole: the table, then its
// constraints and indexes, foreign keys, triggers, policies and grants, each
// in its phase.
func (d *differ) createTable(t *Table) []stmt {
	key := Qualify(t.Schema, t.Name)
	rank := depth(d.want, key)
	var create string
	switch {
	case t.PartitionOf != "":
		create = fmt.Sprintf("CREATE TABLE %s PARTITION OF %s%s %s", t.sql(), d.wantTableSQL(t.PartitionOf), d.partitionColumns(t), t.PartitionBound)
	default:
		var cols []string
		for _, c := range sortedColumns(t) {
			if !c.Inherited {
				cols = append(cols, columnDefinition(c))
			}
		}
		unlogged := ""
		if t.Unlogged {
			unlogged = "UNLOGGED "
		}
		create = fmt.Sprintf("CREATE %sTABLE %s (%s)", unlogged, t.sql(), strings.Join(cols, ", "))
		if len(t.Inherits) > 0 {
			var parents []string
			for _, p := range t.Inherits {
				parents = append(parents, d.wantTableSQL(p))
			}
			create += " INHERITS (" + strings.Join(parents, ", ") + ")"
		}
	}
	if t.Partitioned {
		create += " PARTITION BY " + t.PartitionKey
	}
	stmts := []stmt{{phase: phaseTables, rank: rank, sql: create + ";"}}
	alter := "ALTER TABLE " + t.sql()
	if t.RowSecurity {
		stmts = append(stmts, stmt{phase: phaseTables, rank: rank, sql: alter + " ENABLE ROW LEVEL SECURITY;"})
	}
	if t.ForceSecurity {
		stmts = append(stmts, stmt{phase: phaseTables, rank: rank, sql: alter + " FORCE ROW LEVEL SECURITY;"})
	}
	if len(t.Options) > 0 {
		stmts = append(stmts, stmt{phase: phaseTables, rank: rank, sql: alter + " SET (" + strings.Join(t.Options, ", ") + ");"})
	}
	if t.ReplicaIdentity != "" {
		// After the keys and indexes: USING INDEX names one of them.
		stmts = append(stmts, stmt{phase: phaseConstraints, rank: 2, sql: alter + " REPLICA IDENTITY " + t.ReplicaIdentity + ";"})
	}
	for _, con := range t.Constraints {
		if !con.Inherited {
			stmts = append(stmts, addConstraint(t, con))
		}
	}
	for _, ix := range t.Indexes {
		if !ix.Inherited {
			stmts = append(stmts, d.createIndex(key, ix))
		}
	}
	for _, name := range slices.Sorted(maps.Keys(t.Triggers)) {
		stmts = append(stmts, stmt{phase: phaseCreateDependents, rank: triggerRank, sql: createTrigger(t.sql(), t.Triggers[name])})
	}
	for _, name := range slices.Sorted(maps.Keys(t.Policies)) {
		stmts = append(stmts, stmt{phase: phaseCreateDependents, rank: triggerRank, sql: createPolicy(t, t.Policies[name])})
	}
	stmts = append(stmts, grantStmts("TABLE", t.sql(), t.Privileges, nil)...)
	for _, col := range slices.Sorted(maps.Keys(t.ColumnPrivileges)) {
		stmts = append(stmts, columnGrantStmts(t.sql(), col, t.ColumnPrivileges[col], nil)...)
	}
	return stmts
}

// partitionColumns is what a partition declares of the columns it has
// from its parent — NOT NULL beyond the parent's, a default of its own —
// as CREATE TABLE … PARTITION OF writes it: " (c WITH OPTIONS NOT NULL)".
func (d *differ) partitionColumns(t *Table) string {
	var cols []string
	for _, c := range sortedColumns(t) {
		p := parentColumn(d.want, t, c.Name)
		if p == nil {
			continue
		}
		var opts string
		if c.NotNull && !p.NotNull {
			opts += " NOT NULL"
		}
		if c.Default != p.Default && c.Default != "" {
			opts += " DEFAULT " + c.Default
		}
		if opts != "" {
			cols = append(cols, pgident.Quote(c.Name)+" WITH OPTIONS"+opts)
		}
	}
	if len(cols) == 0 {
		return ""
	}
	return " (" + strings.Join(cols, ", ") + ")"
}

// triggerRank puts triggers and policies after the functions and views
// they call, and their drops before.
const triggerRank = rankLast

// wantTableSQL writes a table of want, by its key, in SQL.
func (d *differ) wantTableSQL(key string) string {
	if t := d.want.Tables[key]; t != nil {
		return t.sql()
	}
	return quoteKey(key)
}

// quoteKey writes a key (name, or schema.name) in SQL.
func quoteKey(key string) string {
	schema, name, ok := strings.Cut(key, ".")
	if !ok {
		return pgident.Quote(key)
	}
	return sqlName(schema, name)
}

// dropTable drops the table of got, the foreign keys it has first (so that
// tables dropped together need no order among them), and detaches it from
// parents that stay.
func (d *differ) dropTable(t *Table, handledFK map[string]bool) []stmt {
	key := Qualify(t.Schema, t.Name)
	var stmts []stmt
	for _, con := range t.Constraints {
		if con.Kind == "foreign key" && !con.Inherited {
			handledFK[key+"."+con.Name] = true
			stmts = append(stmts, stmt{phase: phaseDropForeignKeys, sql: "ALTER TABLE " + t.sql() + " DROP CONSTRAINT " + pgident.Quote(con.Name) + ";"})
		}
	}
	if t.PartitionOf != "" && d.want.Tables[t.PartitionOf] != nil {
		stmts = append(stmts, stmt{phase: phaseDropTables, rank: rankFirst,
			sql: "ALTER TABLE " + quoteKey(t.PartitionOf) + " DETACH PARTITION " + t.sql() + ";"})
	}
	return append(stmts, stmt{phase: phaseDropTables, rank: -depth(d.got, key), sql: "DROP TABLE " + t.sql() + "; -- drops its rows"})
}

func (d *differ) alterTable(w, g *Table, handledFK map[string]bool) {
	key := Qualify(w.Schema, w.Name)
	alter := "ALTER TABLE " + w.sql()
	rank := depth(d.want, key)
	if w.Unlogged != g.Unlogged {
		sql := alter + " SET LOGGED;"
		if w.Unlogged {
			sql = alter + " SET UNLOGGED;"
		}
		rule := ruleTableLogged
		if g.Unlogged {
			rule = ruleTableUnlogged
		}
		d.add(rule, Finding{ObjectType: ObjectTable, Object: key, Kind: PersistenceDiffers, Want: logged(w), Got: logged(g)},
			stmt{phase: phaseTables, rank: rank, sql: sql})
	}
	if w.PartitionOf != g.PartitionOf || w.PartitionBound != g.PartitionBound {
		var stmts []stmt
		if g.PartitionOf != "" {
			stmts = append(stmts, stmt{phase: phaseDropTables, rank: rankFirst, sql: "ALTER TABLE " + quoteKey(g.PartitionOf) + " DETACH PARTITION " + w.sql() + ";"})
		}
		if w.PartitionOf != "" {
			attach := stmt{phase: phaseTables, rank: rank + 1,
				sql: "ALTER TABLE " + d.wantTableSQL(w.PartitionOf) + " ATTACH PARTITION " + w.sql() + " " + w.PartitionBound + ";"}
			if w.PartitionOf == g.PartitionOf {
				// Only the bound changes: attached again at once, after the
				// partitions dropped, so that the parent's column changes
				// reach it as they reach its siblings.
				attach.phase, attach.rank = phaseDropTables, 1<<20
			}
			stmts = append(stmts, attach)
		}
		d.add(ruleTablePartitioning, Finding{ObjectType: ObjectTable, Object: key, Kind: PartitionDiffers,
			Want: orNone(partitionOf(w)), Got: orNone(partitionOf(g))}, stmts...)
	}
	if !slices.Equal(w.Inherits, g.Inherits) {
		var stmts []stmt
		for _, p := range g.Inherits {
			if !slices.Contains(w.Inherits, p) {
				stmts = append(stmts, stmt{phase: phaseDropTables, rank: rankFirst, sql: alter + " NO INHERIT " + quoteKey(p) + ";"})
			}
		}
		for _, p := range w.Inherits {
			if !slices.Contains(g.Inherits, p) {
				stmts = append(stmts, stmt{phase: phaseTables, rank: rank + 1, sql: alter + " INHERIT " + d.wantTableSQL(p) + ";"})
			}
		}
		d.add(ruleTablePartitioning, Finding{ObjectType: ObjectTable, Object: key, Kind: InheritanceDiffers,
			Want: orNone(strings.Join(w.Inherits, ", ")), Got: orNone(strings.Join(g.Inherits, ", "))}, stmts...)
	}
	if w.RowSecurity != g.RowSecurity || w.ForceSecurity != g.ForceSecurity {
		var stmts []stmt
		if w.RowSecurity != g.RowSecurity {
			stmts = append(stmts, stmt{phase: phaseTables, rank: rank, sql: alter + map[bool]string{true: " ENABLE", false: " DISABLE"}[w.RowSecurity] + " ROW LEVEL SECURITY;"})
		}
		if w.ForceSecurity != g.ForceSecurity {
			stmts = append(stmts, stmt{phase: phaseTables, rank: rank, sql: alter + map[bool]string{true: " FORCE", false: " NO FORCE"}[w.ForceSecurity] + " ROW LEVEL SECURITY;"})
		}
		d.add(ruleTableRowSecurity, Finding{ObjectType: ObjectTable, Object: key, Kind: RowSecurityDiffers, Want: rowSecurity(w), Got: rowSecurity(g)}, stmts...)
	}
	d.replicaIdentity(w, g)
	d.reloptions(ObjectTable, key, alter, w.Options, g.Options, ruleStorageParameters)
	d.columns(w, g, rank)
	d.constraints(w, g, handledFK)
	d.indexes(key, w.Indexes, g.Indexes)
	d.triggers(key, w.Triggers, g.Triggers)
	d.policies(w, g)
	d.grants("TABLE", key, w.sql(), w.Privileges, g.Privileges, credentialColumns(g))
	for _, col := range unionKeys(w.ColumnPrivileges, g.ColumnPrivileges) {
		if _, ok := w.Columns[col]; !ok {
			continue // the column goes, and its grants with it
		}
		wp, gp := w.ColumnPrivileges[col], g.ColumnPrivileges[col]
		if !maps.Equal(wp, gp) {
			d.columnGrants(w, col, wp, gp)
		}
	}
}

func logged(t *Table) string {
	if t.Unlogged {
		return "UNLOGGED"
	}
	return "LOGGED"
}

func partitionOf(t *Table) string {
	if t.PartitionOf == "" {
		return ""
	}
	return "partition of " + t.PartitionOf + " " + t.PartitionBound
}

func rowSecurity(t *Table) string {
	s := "row level security disabled"
	if t.RowSecurity {
		s = "row level security enabled"
	}
	if t.ForceSecurity {
		s += ", forced"
	}
	return s
}

func sortedColumns(t *Table) []*Column {
	cols := slices.Collect(maps.Values(t.Columns))
	slices.SortFunc(cols, func(a, b *Column) int { return a.Position - b.Position })
	return cols
}

// columns compares the columns a table declares itself; a column it only
// inherits is its parent's to change.
func (d *differ) columns(w, g *Table, rank int) {
	key := Qualify(w.Schema, w.Name)
	alter := "ALTER TABLE " + w.sql()
	at := func(sql string) stmt { return stmt{phase: phaseTables, rank: rank, sql: sql} }
	for _, name := range unionKeys(w.Columns, g.Columns) {
		wc, gc := w.Columns[name], g.Columns[name]
		obj := key + "." + name
		switch {
		case wc != nil && gc != nil && wc.Inherited && gc.Inherited:
			d.inheritedColumn(w, g, key, alter, wc, gc, at)
			continue
		case (wc == nil || wc.Inherited) && (gc == nil || gc.Inherited):
			continue // the parent's
		case gc != nil && gc.Inherited && !d.parentsKeep(w, name) && d.detachedFromAll(w, g, name):
			// Only inherited in got, from parents it leaves: detached, the
			// table keeps the column as its own.
			local := *gc
			local.Inherited = false
			gc = &local
		case gc != nil && gc.Inherited && !d.parentsKeep(w, name):
			// Declared here in want, only inherited in got, and the parent
			// drops it: the column goes with the parent's, then comes back.
			gc = nil
		case wc != nil && wc.Inherited && gc != nil && !gc.Inherited && w.PartitionOf != "" && w.PartitionOf != g.PartitionOf:
			continue // the script attaches the table: its columns become its parent's
		case gc != nil && gc.Inherited, wc != nil && wc.Inherited:
			d.add(ruleColumnInheritance, Finding{ObjectType: ObjectColumn, Object: obj, Kind: InheritanceDiffers,
				Want: declared(wc), Got: declared(gc)}, comment(phaseTables, obj+" is declared by the table in one and only inherited in the other: no statement changes that"))
			continue
		}
		if gc == nil {
			add := at(alter + " ADD COLUMN " + columnDefinition(wc) + ";" + addNotNullNote(wc))
			add.order = orderColumns
			d.add(ruleColumnMissing, Finding{ObjectType: ObjectColumn, Object: obj, Kind: Missing, Want: describeColumn(wc)}, add)
			continue
		}
		if wc == nil {
			rule := ruleColumnUnexpected
			if gc.NotNull && gc.Default == "" && gc.Identity == "" && gc.Generated == "" {
				rule = ruleColumnRequired // every INSERT written from the expected schema leaves it null and fails
			}
			d.disturbed[key] = true
			drop := at(alter + " DROP COLUMN " + pgident.Quote(name) + "; -- drops its data")
			drop.order = orderDropDefault
			d.add(rule, Finding{ObjectType: ObjectColumn, Object: obj, Kind: Unexpected, Got: describeColumn(gc)}, drop)
			continue
		}
		d.column(key, alter, wc, gc, at)
	}
}

// inheritedColumn compares what a partition or child may declare of a
// column it inherits — NOT NULL beyond its parent's, its own default —
// where its parent's does not differ the same way (the parent's change
// reaches it).
func (d *differ) inheritedColumn(w, g *Table, key, alter string, wc, gc *Column, at func(string) stmt) {
	pw, pg := parentColumn(d.want, w, wc.Name), parentColumn(d.got, g, gc.Name)
	if pw == nil || pg == nil {
		return
	}
	obj := key + "." + wc.Name
	col := alter + " ALTER COLUMN " + pgident.Quote(wc.Name)
	// The parent's own change reaches the child (it recurses): what the
	// child then has is the parent's new setting, and the child's own
	// statement, after the parent's, gives it want's.
	notNullAfter, defaultAfter := gc.NotNull, gc.Default
	if pw.NotNull != pg.NotNull {
		notNullAfter = pw.NotNull
	}
	if pw.Default != pg.Default {
		defaultAfter = pw.Default
	}
	if wc.NotNull != notNullAfter {
		f := Finding{ObjectType: ObjectColumn, Object: obj, Kind: NullabilityDiffers, Want: nullability(wc), Got: nullability(gc)}
		rule, sql := ruleNotNullDropped, col+" SET NOT NULL;"
		if !wc.NotNull {
			rule, sql = ruleNotNullAdded, col+" DROP NOT NULL;"
		}
		s := at(sql)
		s.order = orderNull
		if wc.NotNull == gc.NotNull {
			d.script(s) // the same now; the parent's change would undo it
		} else {
			d.add(rule, f, s)
		}
	}
	if wc.Default != defaultAfter && wc.Default == gc.Default {
		sql := col + " SET DEFAULT " + wc.Default + ";"
		if wc.Default == "" {
			sql = col + " DROP DEFAULT;"
		}
		s := at(sql)
		s.order = orderSetDefault
		d.script(s)
	} else if wc.Default != defaultAfter {
		f := Finding{ObjectType: ObjectColumn, Object: obj, Want: wc.Default, Got: gc.Default}
		rule, sql := ruleDefaultDiffers, col+" SET DEFAULT "+wc.Default+";"
		switch {
		case wc.Default == "":
			f.Kind, rule, sql = DefaultAdded, ruleDefaultAdded, col+" DROP DEFAULT;"
		case gc.Default == "":
			f.Kind, rule = DefaultRemoved, ruleDefaultRemoved
		default:
			f.Kind = DefaultDiffers
		}
		s := at(sql)
		s.order = orderSetDefault
		d.add(rule, f, s)
	}
}

// parentColumn is the column of t's parent (its partitioned table, or the
// first it inherits from that has it) in s.
func parentColumn(s *Snapshot, t *Table, name string) *Column {
	for _, p := range append([]string{t.PartitionOf}, t.Inherits...) {
		if pt := s.Tables[p]; pt != nil && pt.Columns[name] != nil {
			return pt.Columns[name]
		}
	}
	return nil
}

// parentsKeep reports whether some parent of t in want has the column.
func (d *differ) parentsKeep(t *Table, column string) bool {
	parents := slices.Clone(t.Inherits)
	if t.PartitionOf != "" {
		parents = append(parents, t.PartitionOf)
	}
	for _, p := range parents {
		if pt := d.want.Tables[p]; pt != nil && pt.Columns[column] != nil {
			return true
		}
	}
	return false
}

// detachedFromAll reports whether every parent of g (in got) with the
// column stops being a parent of the table in want: detached or no longer
// inherited from, the table keeps the column.
func (d *differ) detachedFromAll(w, g *Table, column string) bool {
	parents := func(t *Table) []string {
		ps := slices.Clone(t.Inherits)
		if t.PartitionOf != "" {
			ps = append(ps, t.PartitionOf)
		}
		return ps
	}
	wantParents := parents(w)
	for _, p := range parents(g) {
		if pt := d.got.Tables[p]; pt != nil && pt.Columns[column] != nil && slices.Contains(wantParents, p) {
			return false
		}
	}
	return true
}

func declared(c *Column) string {
	switch {
	case c == nil:
		return "none"
	case c.Inherited:
		return "inherited only"
	}
	return "declared by the table"
}

// The order of a column's steps within its table: a generation or default
// dropped, columns dropped and added, the type, an identity dropped (an
// identity column cannot drop NOT NULL), nullability, identity added or
// changed (it needs NOT NULL), then the default set.
const (
	orderDropDefault = iota
	orderColumns
	orderType
	orderDropIdentity
	orderNull
	orderIdentity
	orderSetDefault
)

// column compares one column both tables declare.
func (d *differ) column(key, alter string, wc, gc *Column, at func(string) stmt) {
	obj := key + "." + wc.Name
	col := alter + " ALTER COLUMN " + pgident.Quote(wc.Name)
	step := func(order int, sql string) stmt {
		s := at(sql)
		s.order = order
		return s
	}
	if wc.Generated != gc.Generated {
		switch {
		case wc.Generated == "":
			d.add(ruleColumnGenerated, Finding{ObjectType: ObjectColumn, Object: obj, Kind: GeneratedDiffers, Want: "none", Got: gc.Generated},
				step(orderDropDefault, col+" DROP EXPRESSION;"))
		default:
			// PostgreSQL cannot change a generation expression in place.
			d.disturbed[key] = true
			d.add(ruleColumnGenerated, Finding{ObjectType: ObjectColumn, Object: obj, Kind: GeneratedDiffers, Want: wc.Generated, Got: orNone(gc.Generated)},
				step(orderColumns, alter+" DROP COLUMN "+pgident.Quote(wc.Name)+";"), step(orderColumns, alter+" ADD COLUMN "+columnDefinition(wc)+";"))
			return
		}
	}
	typeChanges := wc.Type != gc.Type
	if typeChanges {
		d.disturbed[key] = true
		retype := step(orderType, col+" TYPE "+wc.Type+" USING "+d.cast(pgident.Quote(wc.Name), gc.Type, wc.Type)+";")
		if !d.isEnum(baseType(gc.Type)) && !d.isEnum(baseType(wc.Type)) && !hasCast(baseType(gc.Type), baseType(wc.Type)) {
			then := ""
			if wc.Default != "" {
				then = "; then " + col + " SET DEFAULT " + oneLine(wc.Default)
			}
			retype = step(orderType, "-- "+col+" TYPE "+wc.Type+" USING /* an expression of "+pgident.Quote(wc.Name)+
				" */"+then+"; -- PostgreSQL has no cast from "+baseType(gc.Type)+" to "+baseType(wc.Type)+": a person must decide how each value becomes one")
			d.add(ruleColumnType, Finding{ObjectType: ObjectColumn, Object: obj, Kind: TypeDiffers, Want: wc.Type, Got: gc.Type}, retype)
			// The default is of the new type: it waits for the person too.
			wc = withDefault(wc, gc.Default)
			typeChanges = false
		} else {
			d.add(ruleColumnType, Finding{ObjectType: ObjectColumn, Object: obj, Kind: TypeDiffers, Want: wc.Type, Got: gc.Type}, retype)
		}
	}
	// An old default may not cast to a new type, nor sit beside a new
	// identity: it is dropped before them, and the new one set after.
	dropDefault, setDefault := step(orderDropDefault, col+" DROP DEFAULT;"), step(orderSetDefault, col+" SET DEFAULT "+wc.Default+";")
	switch {
	case wc.Default == gc.Default:
		if gc.Default != "" && typeChanges {
			d.script(dropDefault, setDefault)
		}
	case wc.Default == "":
		d.add(ruleDefaultAdded, Finding{ObjectType: ObjectColumn, Object: obj, Kind: DefaultAdded, Got: gc.Default}, dropDefault)
	case gc.Default == "":
		d.add(ruleDefaultRemoved, Finding{ObjectType: ObjectColumn, Object: obj, Kind: DefaultRemoved, Want: wc.Default}, setDefault)
	default:
		stmts := []stmt{setDefault}
		if typeChanges || wc.Identity != gc.Identity {
			stmts = []stmt{dropDefault, setDefault}
		}
		d.add(ruleDefaultDiffers, Finding{ObjectType: ObjectColumn, Object: obj, Kind: DefaultDiffers, Want: wc.Default, Got: gc.Default}, stmts...)
	}
	if wc.NotNull != gc.NotNull {
		f := Finding{ObjectType: ObjectColumn, Object: obj, Kind: NullabilityDiffers, Want: nullability(wc), Got: nullability(gc)}
		rule, sql := ruleNotNullDropped, col+" SET NOT NULL;"
		if gc.NotNull {
			rule, sql = ruleNotNullAdded, col+" DROP NOT NULL;" // writes of a null now fail
		}
		d.add(rule, f, step(orderNull, sql))
	}
	// An identity's options (its type follows the column's).
	var set string
	ws, gs := wc.IdentitySequence, gc.IdentitySequence
	if ws != nil && gs != nil {
		set = identitySet(ws, gs)
	}
	if wc.Identity != gc.Identity {
		var sql string
		order := orderIdentity
		switch {
		case gc.Identity == "":
			sql = col + " ADD " + identity(wc) + ";"
		case wc.Identity == "":
			sql, order = col+" DROP IDENTITY;", orderDropIdentity
		default:
			sql = restartingBelow(ws, gs, col+" SET GENERATED "+wc.Identity+set, " RESTART WITH ")
		}
		d.add(ruleColumnIdentity, Finding{ObjectType: ObjectColumn, Object: obj, Kind: IdentityDiffers,
			Want: orNone(identity(wc)), Got: orNone(identity(gc))}, step(order, sql))
	} else if set != "" {
		d.add(sequenceRule(ws, gs), Finding{ObjectType: ObjectColumn, Object: obj, Kind: IdentityDiffers,
			Want: identity(wc), Got: identity(gc)}, step(orderIdentity, restartingBelow(ws, gs, col+set, " RESTART WITH ")))
	}
	if wc.Storage != gc.Storage && !typeChanges {
		to := wc.Storage
		if to == "" {
			to = gc.TypeStorage // back to the type's own
		}
		rule := ruleColumnStorage
		if gc.Storage == "PLAIN" && canBeLong(gc.Type) {
			rule = ruleColumnStoragePlain
		}
		d.add(rule, Finding{ObjectType: ObjectColumn, Object: obj, Kind: StorageDiffers, Want: storage(wc), Got: storage(gc)},
			step(orderSetDefault, col+" SET STORAGE "+to+";"))
	}
	if wc.Compression != gc.Compression {
		to := wc.Compression
		if to == "" {
			to = "default"
		}
		d.add(ruleColumnCompression, Finding{ObjectType: ObjectColumn, Object: obj, Kind: StorageDiffers,
			Want: "COMPRESSION " + orDefault(wc.Compression), Got: "COMPRESSION " + orDefault(gc.Compression)},
			step(orderSetDefault, col+" SET COMPRESSION "+to+";"))
	}
}

// boundedType is a type of bounded length, as format_type prints it.
var boundedType = regexp.MustCompile(`^(character varying|character|bit varying|bit)\((\d+)\)`)

// canBeLong reports whether a value of the variable-length type typ can
// take more than about 2 kB — where PostgreSQL would compress it or move it
// out of line, and under STORAGE PLAIN cannot. (A fixed-length type's
// storage is always PLAIN, and never differs.) A varchar(n) takes up to 4n
// bytes.
func canBeLong(typ string) bool {
	m := boundedType.FindStringSubmatch(baseType(typ))
	if m == nil || strings.HasSuffix(baseType(typ), "[]") {
		return true // text, bytea, json, arrays, numeric without a precision, …
	}
	n, err := strconv.Atoi(m[2])
	return err != nil || n > 500
}

// storage says a column's STORAGE.
func storage(c *Column) string {
	if c.Storage == "" {
		return "STORAGE of its type"
	}
	return "STORAGE " + c.Storage
}

func orDefault(s string) string {
	if s == "" {
		return "default"
	}
	return s
}

// cast is the USING expression that converts a column from one type to
// another: through text where an enum is involved (PostgreSQL has no cast
// from one enum to another, nor from most types to an enum).
func (d *differ) cast(column, from, to string) string {
	if d.isEnum(baseType(from)) || d.isEnum(baseType(to)) {
		return column + "::text::" + baseType(to)
	}
	return column + "::" + baseType(to)
}

// isEnum reports whether a type, as format_type prints it, is an enum of
// either snapshot.
func (d *differ) isEnum(typ string) bool {
	typ = strings.TrimSuffix(typ, "[]")
	for _, s := range []*Snapshot{d.want, d.got} {
		for _, e := range s.Enums {
			if typ == sqlName(e.Schema, e.Name) || typ == pgident.Quote(e.Schema)+"."+pgident.Quote(e.Name) {
				return true
			}
		}
	}
	return false
}

// constraints compares the constraints a table declares itself: pairs
// first by definition (a differing name is a notice), then by kind and name
// (the definition differs); the rest is missing or unexpected.
func (d *differ) constraints(w, g *Table, handledFK map[string]bool) {
	key := Qualify(w.Schema, w.Name)
	alter := "ALTER TABLE " + w.sql()
	local := func(cs []*Constraint) []*Constraint {
		return slices.DeleteFunc(slices.Clone(cs), func(c *Constraint) bool { return c.Inherited })
	}
	detached := d.detachedByScript(key)
	gotLocal := local(g.Constraints)
	if detached {
		gotLocal = slices.Clone(g.Constraints) // detached, its constraints are its own
	}
	pairs, missing, unexpected := pair(local(w.Constraints), gotLocal,
		func(a, b *Constraint) bool { return a.Kind == b.Kind && a.Def == b.Def },
		func(a, b *Constraint) bool { return a.Kind == b.Kind && (a.Name == b.Name || onlyColumnOrder(a, b)) })
	drop := func(c *Constraint) stmt {
		if c.Inherited && detached {
			// Only once the table is detached is it its own to drop — if
			// the parent's own drop has not taken it already.
			return stmt{phase: phaseDropTables, rank: rankFirst + 1, sql: alter + " DROP CONSTRAINT IF EXISTS " + pgident.Quote(c.Name) + ";"}
		}
		if c.Kind == "foreign key" {
			handledFK[key+"."+c.Name] = true
			return stmt{phase: phaseDropForeignKeys, sql: alter + " DROP CONSTRAINT " + pgident.Quote(c.Name) + ";"}
		}
		if c.Kind == "primary key" || c.Kind == "unique" {
			d.fkDisturbed[key] = true
		}
		return stmt{phase: phaseDropConstraints, sql: alter + " DROP CONSTRAINT " + pgident.Quote(c.Name) + ";"}
	}
	for _, p := range pairs {
		wc, gc := p[0], p[1]
		obj := key + "." + wc.Name
		if wc.Def != gc.Def {
			rule := ruleConstraintDiffers
			if onlyColumnOrder(wc, gc) {
				rule = ruleConstraintColumnOrder
			}
			d.add(rule, Finding{ObjectType: wc.Kind, Object: obj, Kind: DefinitionDiffers, Want: wc.Def, Got: gc.Def},
				drop(gc), addConstraint(w, wc))
		} else if wc.Name != gc.Name && (wc.Validated || !gc.Validated) { // made anew NOT VALID below, under want's name
			d.add(ruleConstraintRenamed, Finding{ObjectType: wc.Kind, Object: obj, Kind: NameDiffers, Want: wc.Name, Got: gc.Name},
				stmt{phase: phaseConstraints, sql: alter + " RENAME CONSTRAINT " + pgident.Quote(gc.Name) + " TO " + pgident.Quote(wc.Name) + ";"})
		}
		if wc.Def == gc.Def && (len(wc.Unenforced) > 0) != (len(gc.Unenforced) > 0) {
			d.enforcement(key, wc, gc)
		}
		if wc.Def == gc.Def && wc.Validated && !gc.Validated {
			d.add(ruleConstraintNotValid, Finding{ObjectType: wc.Kind, Object: key + "." + gc.Name, Kind: NotValidated,
				Want: "validated", Got: "NOT VALID: existing rows were never checked"},
				stmt{phase: phaseForeignKeys, rank: 1, sql: alter + " VALIDATE CONSTRAINT " + pgident.Quote(wc.Name) + ";"})
		}
		if wc.Def == gc.Def && !wc.Validated && gc.Validated {
			// No statement makes a constraint NOT VALID again: it is made anew.
			d.add(ruleConstraintValidatedHere, Finding{ObjectType: wc.Kind, Object: key + "." + gc.Name, Kind: NotValidated,
				Want: "NOT VALID", Got: "validated: every row was checked"}, drop(gc), addConstraint(w, wc))
		}
	}
	for _, wc := range missing {
		d.add(ruleConstraintMissing, Finding{ObjectType: wc.Kind, Object: key + "." + wc.Name, Kind: Missing, Want: wc.Def}, addConstraint(w, wc))
	}
	for _, gc := range unexpected {
		d.add(ruleConstraintUnexpected, Finding{ObjectType: gc.Kind, Object: key + "." + gc.Name, Kind: Unexpected, Got: gc.Def}, drop(gc))
	}
}

// onlyColumnOrder reports whether two primary keys, or two uniques, are
// the same but for the order of their columns: they refuse the same rows.
func onlyColumnOrder(w, g *Constraint) bool {
	if w.Kind != g.Kind || (w.Kind != ObjectPrimaryKey && w.Kind != ObjectUnique) || slices.Equal(w.Columns, g.Columns) {
		return false
	}
	if !slices.Equal(slices.Sorted(slices.Values(w.Columns)), slices.Sorted(slices.Values(g.Columns))) {
		return false
	}
	list := func(cols []string) string {
		quoted := make([]string, len(cols))
		for i, c := range cols {
			quoted[i] = pgident.Quote(c)
		}
		return "(" + strings.Join(quoted, ", ") + ")"
	}
	return strings.Replace(g.Def, list(g.Columns), list(w.Columns), 1) == w.Def
}

// enforcement compares whether a constraint's own triggers fire: a foreign
// key's checks and actions are triggers, which DISABLE TRIGGER ALL turns
// off with the table's others. Turning them back on needs a superuser
// (they are system triggers).
func (d *differ) enforcement(key string, wc, gc *Constraint) {
	obj := key + "." + wc.Name
	if len(gc.Unenforced) > 0 {
		var stmts []stmt
		for _, t := range gc.Unenforced {
			stmts = append(stmts, stmt{phase: phaseForeignKeys, rank: 2, sql: "ALTER TABLE " + quoteKey(t) +
				" ENABLE TRIGGER ALL; -- as a superuser; rows written while it was off were never checked"})
		}
		d.add(ruleConstraintUnenforced, Finding{ObjectType: wc.Kind, Object: obj, Kind: Unenforced, Want: "enforced",
			Got: "its triggers are disabled on " + strings.Join(gc.Unenforced, ", ") + ": it is not checked, and its actions do not run"}, stmts...)
		return
	}
	var stmts []stmt
	for _, t := range wc.Unenforced {
		stmts = append(stmts, stmt{phase: phaseForeignKeys, rank: 2, sql: "ALTER TABLE " + quoteKey(t) + " DISABLE TRIGGER ALL;"})
	}
	d.add(ruleConstraintEnforcedHere, Finding{ObjectType: wc.Kind, Object: obj, Kind: Unenforced,
		Want: "its triggers are disabled on " + strings.Join(wc.Unenforced, ", "), Got: "enforced"}, stmts...)
}

// addConstraint adds a constraint of want to its table: foreign keys in
// their own phase, after every key they may reference.
func addConstraint(t *Table, c *Constraint) stmt {
	sql := "ALTER TABLE " + t.sql() + " ADD CONSTRAINT " + pgident.Quote(c.Name) + " " + c.Def
	if !c.Validated {
		sql += " NOT VALID"
	}
	phase := phaseConstraints
	if c.Kind == "foreign key" {
		phase = phaseForeignKeys
	}
	return stmt{phase: phase, sql: sql + ";"}
}

// foreignKeysOfDisturbed drops the foreign keys that reference a table
// whose keys are dropped (or the table itself), and adds again those want
// still has: PostgreSQL refuses to drop a key a foreign key needs.
func (d *differ) foreignKeysOfDisturbed(handledFK map[string]bool) {
	for _, key := range slices.Sorted(maps.Keys(d.got.Tables)) {
		g := d.got.Tables[key]
		w := d.want.Tables[key]
		if w == nil || d.rebuilt[key] {
			continue // dropped whole, its keys with it
		}
		for _, c := range g.Constraints {
			if c.Kind != "foreign key" || c.Inherited || !d.fkDisturbed[c.References] || handledFK[key+"."+c.Name] {
				continue
			}
			handledFK[key+"."+c.Name] = true
			stmts := []stmt{{phase: phaseDropForeignKeys, sql: "ALTER TABLE " + g.sql() + " DROP CONSTRAINT " + pgident.Quote(c.Name) + ";"}}
			for _, wc := range w.Constraints {
				if wc.Name == c.Name && wc.Kind == c.Kind && !wc.Inherited {
					stmts = append(stmts, addConstraint(w, wc))
				}
			}
			d.script(stmts...)
		}
	}
}

// indexes pairs indexes as constraints pairs constraints, leaving out a
// partition's indexes attached to its parent's.
func (d *differ) indexes(key string, want, got []*Index) {
	local := func(ix []*Index) []*Index {
		return slices.DeleteFunc(slices.Clone(ix), func(i *Index) bool { return i.Inherited })
	}
	detached := d.detachedByScript(key)
	gotLocal := local(got)
	if detached {
		gotLocal = slices.Clone(got) // detached, its indexes are its own
	}
	pairs, missing, unexpected := pair(local(want), gotLocal,
		func(a, b *Index) bool { return a.Def == b.Def },
		func(a, b *Index) bool { return a.Name == b.Name })
	schema, _, _ := strings.Cut(key, ".")
	if !strings.Contains(key, ".") {
		schema = "public"
	}
	drop := func(ix *Index) stmt {
		if ix.Unique {
			d.fkDisturbed[key] = true
		}
		if ix.Inherited && detached {
			// Only once the table is detached can its parent's index let
			// it go.
			return stmt{phase: phaseDropTables, rank: rankFirst + 1, sql: "DROP INDEX IF EXISTS " + sqlName(schema, ix.Name) + ";"}
		}
		return stmt{phase: phaseDropConstraints, sql: "DROP INDEX " + sqlName(schema, ix.Name) + ";"}
	}
	unexpected = d.partitionIndexes(key, schema, want, got, &missing, unexpected)
	partitioned := d.want.Tables[key] != nil && d.want.Tables[key].Partitioned
	for _, p := range pairs {
		wi, gi := p[0], p[1]
		obj := key + "." + wi.Name
		if wi.Def != gi.Def {
			rule := ruleIndexDiffers
			if wi.Unique || gi.Unique {
				rule = ruleIndexDiffersUnique
			}
			d.add(rule, Finding{ObjectType: ObjectIndex, Object: obj, Kind: DefinitionDiffers, Want: wi.Def, Got: gi.Def},
				drop(gi), d.createIndex(key, wi))
		} else if wi.Name != gi.Name {
			d.add(ruleIndexRenamed, Finding{ObjectType: ObjectIndex, Object: obj, Kind: NameDiffers, Want: wi.Name, Got: gi.Name},
				stmt{phase: phaseConstraints, sql: "ALTER INDEX " + sqlName(schema, gi.Name) + " RENAME TO " + pgident.Quote(wi.Name) + ";"})
		}
		// A partitioned table's index is invalid while a partition has none
		// attached to it: the partitions' findings say which, and mend it.
		if wi.Def == gi.Def && wi.Valid && !gi.Valid && !partitioned {
			d.add(ruleIndexInvalid, Finding{ObjectType: ObjectIndex, Object: key + "." + gi.Name, Kind: Invalid,
				Want: "valid", Got: "invalid: a CREATE INDEX CONCURRENTLY failed, so queries do not use it"},
				stmt{phase: phaseConstraints, sql: "REINDEX INDEX " + sqlName(schema, gi.Name) + ";"})
		}
	}
	for _, wi := range missing {
		rule := ruleIndexMissing
		if wi.Unique {
			rule = ruleIndexMissingUnique
		}
		d.add(rule, Finding{ObjectType: ObjectIndex, Object: key + "." + wi.Name, Kind: Missing, Want: wi.Def},
			d.createIndex(key, wi))
	}
	for _, gi := range unexpected {
		rule := ruleIndexUnexpected
		if gi.Unique {
			rule = ruleIndexUnexpectedUnique // it can reject writes the expected schema allows
		}
		d.add(rule, Finding{ObjectType: ObjectIndex, Object: key + "." + gi.Name, Kind: Unexpected, Got: gi.Def}, drop(gi))
	}
}

// partitionIndexes compares a partition's indexes with the ones attached
// to its parent's: a local index of got where want has one attached is
// attached (named as want names it); one want attaches that got lacks is
// made, and attached, when the parent's index is already there (made
// whole, the parent's makes its partitions' itself); one want keeps on its
// own that got has attached cannot be detached (PostgreSQL has no DETACH
// for an index). It returns the unexpected indexes left, and leaves in
// missing those left.
func (d *differ) partitionIndexes(key, schema string, want, got []*Index, missing *[]*Index, unexpected []*Index) []*Index {
	if w, g := d.want.Tables[key], d.got.Tables[key]; w != nil && g != nil && w.PartitionOf != "" && w.PartitionOf != g.PartitionOf {
		// The script attaches the table itself, and ATTACH PARTITION
		// attaches (or makes) its indexes for its parent's.
		return unexpected
	}
	for _, wi := range want {
		if !wi.Inherited {
			continue
		}
		if slices.ContainsFunc(got, func(gi *Index) bool { return gi.Inherited && gi.Def == wi.Def }) {
			continue
		}
		obj := key + "." + wi.Name
		parentIndex := "ALTER INDEX " + quoteKey(wi.AttachedTo) + " ATTACH PARTITION " + sqlName(schema, wi.Name) + ";"
		if i := slices.IndexFunc(unexpected, func(gi *Index) bool { return gi.Def == wi.Def }); i >= 0 {
			gi := unexpected[i]
			unexpected = slices.Delete(unexpected, i, i+1)
			var stmts []stmt
			if gi.Name != wi.Name {
				stmts = append(stmts, stmt{phase: phaseConstraints, sql: "ALTER INDEX " + sqlName(schema, gi.Name) + " RENAME TO " + pgident.Quote(wi.Name) + ";"})
			}
			stmts = append(stmts, stmt{phase: phaseConstraints, rank: 2, sql: parentIndex})
			d.add(ruleIndexNotAttached, Finding{ObjectType: ObjectIndex, Object: obj, Kind: PartitionDiffers,
				Want: "attached to " + wi.AttachedTo, Got: gi.Name + ", on its own"}, stmts...)
			continue
		}
		if d.parentIndexMade(wi.AttachedTo) {
			continue // made with the parent's index, which makes its partitions'
		}
		rule := ruleIndexMissing
		if wi.Unique {
			rule = ruleIndexMissingUnique
		}
		d.add(rule, Finding{ObjectType: ObjectIndex, Object: obj, Kind: Missing, Want: wi.Def + " attached to " + wi.AttachedTo},
			d.createIndex(key, wi), stmt{phase: phaseConstraints, rank: 2, sql: parentIndex})
	}
	for _, gi := range got {
		if !gi.Inherited {
			continue
		}
		if i := slices.IndexFunc(*missing, func(wi *Index) bool { return wi.Def == gi.Def }); i >= 0 {
			wi := (*missing)[i]
			*missing = slices.Delete(*missing, i, i+1)
			d.add(ruleIndexAttachedHere, Finding{ObjectType: ObjectIndex, Object: key + "." + wi.Name, Kind: PartitionDiffers,
				Want: "on its own", Got: gi.Name + ", attached to " + gi.AttachedTo},
				comment(phaseConstraints, key+"."+gi.Name+" is attached to "+gi.AttachedTo+", and PostgreSQL cannot detach an index: drop the parent's index and make it again ON ONLY the parent to leave it out"))
		}
	}
	return unexpected
}

// detachedByScript reports whether the script detaches the table of got
// named key from its parent: its inherited indexes and constraints then
// stay with it, its own.
func (d *differ) detachedByScript(key string) bool {
	w, g := d.want.Tables[key], d.got.Tables[key]
	return w != nil && g != nil && g.PartitionOf != "" && w.PartitionOf != g.PartitionOf && !d.rebuilt[key]
}

// parentIndexMade reports whether the script makes the partitioned index
// named by key (schema.name outside public): got lacks it, or has it
// defined otherwise (it is dropped and made again). Made, it makes its
// partitions' indexes, or attaches those that match.
func (d *differ) parentIndexMade(key string) bool {
	w, g := findIndex(d.want, key), findIndex(d.got, key)
	return g == nil || w == nil || w.Def != g.Def
}

// findIndex is the index of a table of s named by key (schema.name
// outside public).
func findIndex(s *Snapshot, key string) *Index {
	schema, name, ok := strings.Cut(key, ".")
	if !ok {
		schema, name = "public", key
	}
	for _, t := range s.Tables {
		if t.Schema != schema {
			continue
		}
		if i := slices.IndexFunc(t.Indexes, func(ix *Index) bool { return ix.Name == name }); i >= 0 {
			return t.Indexes[i]
		}
	}
	return nil
}

// createIndex makes an index of want's table key. A partitioned table's
// comes after the keys of its partitions: made, it attaches the indexes
// of theirs that match (a partition's primary key may serve it) rather
// than make new ones; the partitions' own attach after it.
func (d *differ) createIndex(key string, ix *Index) stmt {
	rank := 0
	if t := d.want.Tables[key]; t != nil && t.Partitioned {
		rank = 1
	}
	return stmt{phase: phaseConstraints, rank: rank, sql: createIndex(ix) + ";"}
}

// createIndex puts the index's name back into its name-less definition.
func createIndex(ix *Index) string {
	return strings.Replace(ix.Def, "INDEX ON ", "INDEX "+pgident.Quote(ix.Name)+" ON ", 1)
}

// triggers compares the triggers of a table or view by name: their
// definitions, then whether they fire.
func (d *differ) triggers(key string, want, got map[string]*Trigger) {
	on := quoteKey(key)
	for _, name := range unionKeys(want, got) {
		w, g := want[name], got[name]
		obj := key + "." + name
		dropSQL := stmt{phase: phaseDropDependents, rank: -triggerRank, sql: "DROP TRIGGER " + pgident.Quote(name) + " ON " + on + ";"}
		switch {
		case g == nil:
			d.add(ruleTriggerMissing, Finding{ObjectType: ObjectTrigger, Object: obj, Kind: Missing, Want: w.Def},
				stmt{phase: phaseCreateDependents, rank: triggerRank, sql: createTrigger(on, w)})
		case w == nil:
			rule := ruleTriggerAfter
			switch {
			case !fires(g.Enabled):
				rule = ruleTriggerInert
			case g.Timing != "AFTER":
				rule = ruleTriggerBefore // BEFORE or INSTEAD OF: it can change or drop the row
			}
			d.add(rule, Finding{ObjectType: ObjectTrigger, Object: obj, Kind: Unexpected, Got: describeTrigger(g)}, dropSQL)
		case w.Def != g.Def:
			d.add(ruleTriggerDiffers, Finding{ObjectType: ObjectTrigger, Object: obj, Kind: DefinitionDiffers, Want: w.Def, Got: g.Def},
				dropSQL, stmt{phase: phaseCreateDependents, rank: triggerRank, sql: createTrigger(on, w)})
		case w.Enabled != g.Enabled:
			rule := ruleTriggerEnabledOther
			if fires(w.Enabled) && !fires(g.Enabled) {
				rule = ruleTriggerDisabled
			}
			d.add(rule, Finding{ObjectType: ObjectTrigger, Object: obj, Kind: EnabledDiffers, Want: firing(w), Got: firing(g)},
				stmt{phase: phaseCreateDependents, rank: triggerRank, sql: enableTrigger(on, name, w.Enabled)})
		}
	}
}

// fires reports whether a trigger (or an event trigger) enabled so fires
// in an ordinary session (not one replicating: session_replication_role =
// replica).
func fires(enabled string) bool { return enabled == "" || enabled == "always" }

// firing says in words when a trigger fires.
func firing(t *Trigger) string {
	switch t.Enabled {
	case "disabled":
		return "disabled"
	case "replica":
		return "enabled for replication sessions only (ENABLE REPLICA): it does not fire on the application's writes"
	case "always":
		return "enabled always (ENABLE ALWAYS)"
	}
	return "enabled"
}

// describeTrigger is a trigger's definition and, when it does not fire as
// triggers do, how.
func describeTrigger(t *Trigger) string {
	if t.Enabled == "" {
		return t.Def
	}
	return t.Def + " [" + firing(t) + "]"
}

// createTrigger makes a trigger of want, and sets whether it fires.
func createTrigger(on string, t *Trigger) string {
	if t.Enabled == "" {
		return t.Def + ";"
	}
	return t.Def + "; " + enableTrigger(on, t.Name, t.Enabled)
}

// enableTrigger sets whether a trigger fires.
func enableTrigger(on, name, enabled string) string {
	how := map[string]string{"": "ENABLE", "disabled": "DISABLE", "replica": "ENABLE REPLICA", "always": "ENABLE ALWAYS"}[enabled]
	return "ALTER TABLE " + on + " " + how + " TRIGGER " + pgident.Quote(name) + ";"
}

func (d *differ) policies(w, g *Table) {
	key := Qualify(w.Schema, w.Name)
	for _, name := range unionKeys(w.Policies, g.Policies) {
		wp, gp := w.Policies[name], g.Policies[name]
		obj := key + "." + name
		dropSQL := stmt{phase: phaseDropDependents, rank: -triggerRank, sql: "DROP POLICY " + pgident.Quote(name) + " ON " + w.sql() + ";"}
		switch {
		case gp == nil:
			d.add(rulePolicyMissing, Finding{ObjectType: ObjectPolicy, Object: obj, Kind: Missing, Want: describePolicy(wp)},
				stmt{phase: phaseCreateDependents, rank: triggerRank, sql: createPolicy(w, wp)})
		case wp == nil:
			rule := rulePolicyInert
			if g.RowSecurity {
				rule = rulePolicyUnexpected
			}
			d.add(rule, Finding{ObjectType: ObjectPolicy, Object: obj, Kind: Unexpected, Got: describePolicy(gp)}, dropSQL)
		case *wp != *gp:
			d.add(rulePolicyDiffers, Finding{ObjectType: ObjectPolicy, Object: obj, Kind: DefinitionDiffers, Want: describePolicy(wp), Got: describePolicy(gp)},
				dropSQL, stmt{phase: phaseCreateDependents, rank: triggerRank, sql: createPolicy(w, wp)})
		}
	}
}

func describePolicy(p *Policy) string {
	return strings.TrimSuffix(strings.TrimPrefix(policyClauses(p), " "), ";")
}

func policyClauses(p *Policy) string {
	s := " AS RESTRICTIVE"
	if p.Permissive {
		s = " AS PERMISSIVE"
	}
	s += " FOR " + p.Command + " TO " + p.Roles
	if p.Using != "" {
		s += " USING (" + p.Using + ")"
	}
	if p.WithCheck != "" {
		s += " WITH CHECK (" + p.WithCheck + ")"
	}
	return s + ";"
}

func createPolicy(t *Table, p *Policy) string {
	return "CREATE POLICY " + pgident.Quote(p.Name) + " ON " + t.sql() + policyClauses(p)
}

// reloptions compares storage parameters, or a view's options, as
// "name=value" items: SET what want has otherwise, RESET what only got
// has. alter is the ALTER statement's start, naming the object.
func (d *differ) reloptions(kind ObjectType, key, alter string, want, got []string, rule Rule) {
	if slices.Equal(want, got) {
		return
	}
	var set, reset []string
	wantNames := map[string]bool{}
	for _, o := range want {
		name, _, _ := strings.Cut(o, "=")
		wantNames[name] = true
		if !slices.Contains(got, o) {
			set = append(set, o)
		}
	}
	for _, o := range got {
		if name, _, _ := strings.Cut(o, "="); !wantNames[name] {
			reset = append(reset, name)
		}
	}
	var stmts []stmt
	if len(reset) > 0 {
		stmts = append(stmts, stmt{phase: phaseTables, sql: alter + " RESET (" + strings.Join(reset, ", ") + ");"})
	}
	if len(set) > 0 {
		stmts = append(stmts, stmt{phase: phaseTables, sql: alter + " SET (" + strings.Join(set, ", ") + ");"})
	}
	d.add(rule, Finding{ObjectType: kind, Object: key, Kind: OptionsDiffer, Want: withOptions(want), Got: withOptions(got)}, stmts...)
}

func withOptions(o []string) string {
	if len(o) == 0 {
		return "no options"
	}
	return "WITH (" + strings.Join(o, ", ") + ")"
}

// withDefault is a copy of c with another default.
func withDefault(c *Column, def string) *Column {
	out := *c
	out.Default = def
	return &out
}
