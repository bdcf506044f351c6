package schema

import (
	"maps"
	"regexp"
	"slices"
	"strings"

	"github.com/appydex/smoke/schema/pgident"
)

// Diff compares got with want and returns every difference, in a stable
// order, each with the SQL that would make got match want. Column order is
// not compared: PostgreSQL cannot reorder columns without rebuilding the
// table, and nothing that names its columns depends on it.
func Diff(want, got *Snapshot) []Finding {
	return diff(want, got).findings
}

// Script is the SQL that turns got into want: every finding's fix, in an
// order that applies in one pass — what depends on an object dropped
// before it and made after it, views dropped and made again around the
// changes beneath them. A difference no statement can mend safely is a
// comment ("-- …") saying why. It is Plan's transactions, one after the
// other: one transaction, unless Plan says otherwise.
func Script(want, got *Snapshot) []string {
	var out []string
	for _, tx := range Plan(want, got) {
		out = append(out, tx.Statements...)
	}
	return out
}

// Transaction is a part of the script that runs as one transaction.
type Transaction struct {
	// Why says why it is a transaction of its own; "" for the script's
	// only one.
	Why        string   `json:"why,omitempty"`
	Statements []string `json:"sql"`
}

// Plan is Script cut into the transactions it must run as, in order: one,
// unless PostgreSQL forbids it — an enum label added is not usable until
// the transaction that adds it commits ("unsafe use of new value"), so
// labels the rest of the script uses are added in a transaction first.
func Plan(want, got *Snapshot) []Transaction {
	d := diff(want, got)
	if slices.ContainsFunc(d.stmts, func(s stmt) bool { return createsFunction.MatchString(s.sql) }) {
		// As pg_dump does: a body in a string is checked when the function
		// is made, and may call one made after it (PostgreSQL records no
		// dependency for it to be ordered by).
		d.script(stmt{phase: phaseCreateSchemas, rank: rankFirst, sql: "SET LOCAL check_function_bodies = off; -- a function's body may call one made after it"})
	}
	slices.SortStableFunc(d.stmts, byScriptOrder)
	all := make([]string, 0, len(d.stmts))
	cut := 0 // after the last label added
	var uses []string
	for i, s := range d.stmts {
		all = append(all, s.sql)
		if s.addsLabel != "" {
			cut = i + 1
			// A later statement uses a label by naming it, or by converting
			// values (which may hold it) into its type.
			uses = append(uses, pgident.Literal(s.addsLabel), "::"+s.labelType)
		}
	}
	if len(all) == 0 {
		return nil
	}
	if !slices.ContainsFunc(all[cut:], func(sql string) bool {
		return slices.ContainsFunc(uses, func(use string) bool { return strings.Contains(sql, use) })
	}) {
		return []Transaction{{Statements: all}}
	}
	// Cut in two, each statement where the script has it: nothing before
	// the labels can use them.
	return []Transaction{
		{Why: "up to the enum labels added, committed before the rest uses them (PostgreSQL refuses a label in the transaction that adds it)", Statements: all[:cut]},
		{Why: "the rest, which uses them", Statements: all[cut:]},
	}
}

// byScriptOrder orders statements as the script runs them.
func byScriptOrder(a, b stmt) int {
	if a.phase != b.phase {
		return a.phase - b.phase
	}
	if a.rank != b.rank {
		return a.rank - b.rank
	}
	if a.order != b.order {
		return a.order - b.order
	}
	return a.seq - b.seq
}

// createsFunction matches pg_get_functiondef's first line.
var createsFunction = regexp.MustCompile(`^CREATE OR REPLACE (FUNCTION|PROCEDURE) `)

// The phases of a script, in the order they run.
const (
	phaseCreateSchemas    = iota // schemas, extensions, collations
	phaseDropDependents          // triggers, policies, views, functions: dependents first
	phaseDropForeignKeys         // before the keys they reference, and the tables
	phaseDropConstraints         // other constraints, and indexes
	phaseTypes                   // enum types and labels, sequences
	phaseDropTables              // partitions and children first
	phaseTables                  // CREATE TABLE (parents first), ALTER TABLE, columns
	phaseConstraints             // primary keys, uniques, checks, exclusions, indexes, sequence ownership
	phaseForeignKeys             //
	phaseCreateDependents        // functions and views (what they need first), triggers, policies
	phaseGrants                  //
	phaseDropLast                // unexpected types, sequences, collations, extensions, schemas
)

// Ranks that order statements within a phase beyond any dependency depth
// (a view on a view on a table is depth 3): first, last, and around last.
const (
	// rankFirst: before all else of its phase — partitions detached and
	// children disinherited before any table is dropped; an event trigger
	// dropped before the script's first DDL can fire it.
	rankFirst = -1 << 20
	// rankLast: after all else of its phase — triggers and policies after
	// the functions and views they call (their drops: -rankLast, before);
	// a schema dropped after what was in it.
	rankLast = 1 << 20
	// rankBeforeLast: an extension dropped before the schema it lives in.
	rankBeforeLast = rankLast / 2
	// rankAfterAll: an event trigger made after the script's last DDL,
	// which it would otherwise block or see.
	rankAfterAll = rankLast * 2
)

// stmt is one statement of the script.
type stmt struct {
	phase int
	rank  int // order within a phase: dependency depth
	order int // order within a rank: a column's steps
	seq   int // order of emission
	sql   string
	// addsLabel is the enum label an ALTER TYPE … ADD VALUE adds: what
	// uses it must run in a later transaction (Plan).
	addsLabel string
	labelType string // the enum's type, schema-qualified as a USING cast names it
}

type differ struct {
	want, got *Snapshot
	findings  []Finding
	stmts     []stmt

	// disturbed names the relations, types and functions of got whose
	// change or removal takes the views, functions and triggers built on
	// them down (to be made again after).
	disturbed map[string]bool
	// recreated names the views and functions of got dropped to be made
	// again; created, those of want to make.
	recreated, created map[string]bool
	// rebuilt names the tables of got dropped to be made again.
	rebuilt map[string]bool
	// fkDisturbed names the tables whose keys are dropped: foreign keys
	// referencing them are dropped first and added again after.
	fkDisturbed map[string]bool
}

func diff(want, got *Snapshot) *differ {
	d := &differ{want: want, got: got, disturbed: map[string]bool{}, recreated: map[string]bool{}, created: map[string]bool{},
		rebuilt: map[string]bool{}, fkDisturbed: map[string]bool{}}
	d.namespaces()
	d.extensions()
	d.collations()
	d.enums()
	d.sequences()
	d.tables()
	d.ownedSequences()
	d.defaultPrivileges()
	d.publications()
	d.eventTriggers()
	d.dependents() // after everything that can disturb them
	d.grantsOfRecreated()
	d.others()
	sortFindings(d.findings)
	return d
}

// add records a finding, judged by rule, and its statements; the finding's
// Fix shows them together, in the order the script runs them.
func (d *differ) add(rule Rule, f Finding, stmts ...stmt) {
	rule.Judge(&f)
	f.WantSource, f.GotSource = d.want.Source, d.got.Source
	for i := range stmts {
		stmts[i].seq = len(d.stmts)
		d.stmts = append(d.stmts, stmts[i])
	}
	slices.SortStableFunc(stmts, byScriptOrder)
	var sqls []string
	for _, s := range stmts {
		if len(stmts) > 1 {
			s.sql = blockComments(s.sql)
		}
		sqls = append(sqls, s.sql)
	}
	if len(sqls) > 0 {
		f.Fix = strings.Join(sqls, " ")
	}
	d.findings = append(d.findings, f)
}

// blockComments turns a statement's "-- why" (the whole statement, or a
// note after its semicolon) into "/* why */", so that statements joined on
// one line, as a finding's Fix shows them, still all run.
func blockComments(sql string) string {
	if why, ok := strings.CutPrefix(sql, "-- "); ok && !strings.Contains(why, "\n") {
		return "/* " + why + " */"
	}
	if i := strings.LastIndex(sql, "; -- "); i >= 0 && !strings.Contains(sql[i:], "\n") {
		return sql[:i+1] + " /* " + sql[i+5:] + " */"
	}
	return sql
}

// script adds statements no finding of its own shows (a dependent made
// again, a grant restored after a view was made anew).
func (d *differ) script(stmts ...stmt) {
	for _, s := range stmts {
		s.seq = len(d.stmts)
		d.stmts = append(d.stmts, s)
	}
}

// comment is a difference no statement can mend: the script carries it as
// a comment saying why.
func comment(phase int, why string) stmt {
	return stmt{phase: phase, sql: "-- " + why}
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
