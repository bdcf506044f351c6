// Views, materialized views and functions: the objects built on others.
// A changed one is dropped and made again, and so is everything built on
// what is dropped, changed beneath it, or retyped: dependents dropped first,
// made again after, in the order PostgreSQL's own pg_depend gives.

package schema

import (
	"maps"
	"slices"
	"strings"

	"github.com/appydex/smoke/schema/pgident"
)

// dependents compares views and functions, works out what must be
// dropped and made again around the other changes, and writes it.
func (d *differ) dependents() {
	drop := map[string]bool{}        // keys of got's views and functions to drop
	findings := map[string]Finding{} // their findings, written with their statements below
	rules := map[string]Rule{}       // and the rules that judge them
	for _, key := range unionKeys(d.want.Views, d.got.Views) {
		w, g := d.want.Views[key], d.got.Views[key]
		switch {
		case g == nil:
			d.created[key] = true
			findings[key], rules[key] = Finding{ObjectType: viewKind(w), Object: key, Kind: Missing, Want: oneLine(w.Def)}, ruleViewMissing
		case w == nil:
			drop[key] = true
			findings[key], rules[key] = Finding{ObjectType: viewKind(g), Object: key, Kind: Unexpected, Got: oneLine(g.Def)}, ruleViewUnexpected
		case w.Materialized != g.Materialized || w.Def != g.Def:
			drop[key], d.created[key] = true, true
			findings[key], rules[key] = Finding{ObjectType: viewKind(w), Object: key, Kind: DefinitionDiffers,
				Want: string(viewKind(w)) + " " + oneLine(w.Def), Got: string(viewKind(g)) + " " + oneLine(g.Def)}, ruleViewDiffers
		}
	}
	for _, key := range unionKeys(d.want.Functions, d.got.Functions) {
		w, g := d.want.Functions[key], d.got.Functions[key]
		switch {
		case g == nil:
			d.created[key] = true
			findings[key], rules[key] = Finding{ObjectType: w.Kind, Object: key, Kind: Missing, Want: returns(w)}, ruleFunctionMissing
		case w == nil:
			drop[key] = true
			findings[key], rules[key] = Finding{ObjectType: g.Kind, Object: key, Kind: Unexpected, Got: returns(g)}, ruleFunctionUnexpected
		case w.Def != g.Def:
			findings[key], rules[key] = Finding{ObjectType: w.Kind, Object: key, Kind: DefinitionDiffers, Want: oneLine(w.Def), Got: oneLine(g.Def)}, ruleFunctionDiffers
			if w.Kind != g.Kind || w.Result != g.Result {
				drop[key], d.created[key] = true, true
			}
		}
	}

	// What is built on a dropped or disturbed object goes too.
	for changed := true; changed; {
		changed = false
		for _, key := range d.gotDependents() {
			if drop[key] {
				continue
			}
			for _, on := range d.gotDependsOn(key) {
				if drop[on] || d.disturbed[on] {
					drop[key], changed = true, true
					break
				}
			}
		}
	}
	for key := range drop {
		if d.want.Views[key] != nil || d.want.Functions[key] != nil {
			d.created[key] = true
		}
	}

	keys := slices.Sorted(maps.Keys(findings))
	for key := range drop {
		keys = appendNew(keys, key)
	}
	for key := range d.created {
		keys = appendNew(keys, key)
	}
	slices.Sort(keys)
	for _, key := range keys {
		var stmts []stmt
		if drop[key] {
			stmts = append(stmts, stmt{phase: phaseDropDependents, rank: -2 * d.gotDepth(key), sql: d.dropDependent(key)})
		}
		switch {
		case d.created[key]:
			stmts = append(stmts, d.createDependent(key)...)
		case d.want.Functions[key] != nil && findings[key].Kind == DefinitionDiffers:
			// Replaced in place: what is built on it stays.
			stmts = append(stmts, stmt{phase: phaseCreateDependents, rank: 2 * d.wantDepth(key), sql: d.want.Functions[key].Def + ";"})
		}
		if f, ok := findings[key]; ok {
			d.add(rules[key], f, stmts...)
		} else {
			d.script(stmts...)
		}
	}

	// What stays compares its indexes, triggers and grants.
	for _, key := range unionKeys(d.want.Views, d.got.Views) {
		w, g := d.want.Views[key], d.got.Views[key]
		if w != nil && g != nil && !drop[key] {
			d.indexes(key, w.Indexes, g.Indexes)
			d.triggers(key, w.Triggers, g.Triggers)
			d.grants("TABLE", key, sqlName(w.Schema, w.Name), w.Privileges, g.Privileges, nil)
			kind, rule := "VIEW", ruleViewOptions
			if w.Materialized {
				kind, rule = "MATERIALIZED VIEW", ruleStorageParameters
			}
			d.reloptions(viewKind(w), key, "ALTER "+kind+" "+sqlName(w.Schema, w.Name), w.Options, g.Options, rule)
		}
	}
	for _, key := range unionKeys(d.want.Functions, d.got.Functions) {
		w, g := d.want.Functions[key], d.got.Functions[key]
		if w != nil && g != nil && !drop[key] {
			d.grants("FUNCTION", key, functionSQL(w), w.Privileges, g.Privileges, nil)
		}
	}

	// A table's trigger on a function dropped goes first, and comes back.
	for _, tkey := range slices.Sorted(maps.Keys(d.got.Tables)) {
		t := d.got.Tables[tkey]
		for _, name := range slices.Sorted(maps.Keys(t.Triggers)) {
			tr := t.Triggers[name]
			if !drop[tr.Function] || d.want.Tables[tkey] == nil || d.rebuilt[tkey] {
				continue
			}
			wt := d.want.Tables[tkey].Triggers[name]
			if wt == nil || wt.Def != tr.Def {
				continue // dropped or changed by its own finding
			}
			d.script(stmt{phase: phaseDropDependents, rank: -triggerRank, sql: "DROP TRIGGER " + pgident.Quote(name) + " ON " + quoteKey(tkey) + ";"},
				stmt{phase: phaseCreateDependents, rank: triggerRank, sql: createTrigger(quoteKey(tkey), wt)})
		}
	}
}

// createDependent makes a view (with its indexes and triggers) or a
// function of want.
func (d *differ) createDependent(key string) []stmt {
	rank := 2 * d.wantDepth(key)
	if v := d.want.Views[key]; v != nil {
		stmts := []stmt{{phase: phaseCreateDependents, rank: rank, sql: createView(v)}}
		for _, ix := range v.Indexes {
			stmts = append(stmts, stmt{phase: phaseCreateDependents, rank: rank + 1, sql: createIndex(ix) + ";"})
		}
		for _, name := range slices.Sorted(maps.Keys(v.Triggers)) {
			stmts = append(stmts, stmt{phase: phaseCreateDependents, rank: triggerRank, sql: createTrigger(sqlName(v.Schema, v.Name), v.Triggers[name])})
		}
		return stmts
	}
	return []stmt{{phase: phaseCreateDependents, rank: rank, sql: d.want.Functions[key].Def + ";"}}
}

// grantsOfRecreated gives the views and functions made anew the grants of
// want: a new object has only the defaults.
func (d *differ) grantsOfRecreated() {
	for _, key := range slices.Sorted(maps.Keys(d.created)) {
		if v := d.want.Views[key]; v != nil {
			d.script(grantStmts("TABLE", sqlName(v.Schema, v.Name), v.Privileges, nil)...)
		}
		if f := d.want.Functions[key]; f != nil {
			d.script(grantStmts("FUNCTION", functionSQL(f), f.Privileges, defaultFunctionGrants)...)
		}
	}
}

// defaultFunctionGrants are what a new function grants: EXECUTE to PUBLIC.
var defaultFunctionGrants = map[string]string{"PUBLIC": "EXECUTE"}

func viewKind(v *View) ObjectType {
	if v.Materialized {
		return "materialized view"
	}
	return "view"
}

func createView(v *View) string {
	kind := "VIEW"
	if v.Materialized {
		kind = "MATERIALIZED VIEW"
	}
	with := ""
	if len(v.Options) > 0 {
		with = " WITH (" + strings.Join(v.Options, ", ") + ")"
	}
	return "CREATE " + kind + " " + sqlName(v.Schema, v.Name) + with + " AS " + trimSemicolon(v.Def) + ";"
}

func trimSemicolon(s string) string {
	for len(s) > 0 && (s[len(s)-1] == ';' || s[len(s)-1] == '\n' || s[len(s)-1] == ' ') {
		s = s[:len(s)-1]
	}
	return s
}

func functionSQL(f *Function) string {
	return sqlName(f.Schema, f.Name) + "(" + f.Arguments + ")"
}

// dropDependent drops a view or function of got.
func (d *differ) dropDependent(key string) string {
	if v := d.got.Views[key]; v != nil {
		if v.Materialized {
			return "DROP MATERIALIZED VIEW " + sqlName(v.Schema, v.Name) + ";"
		}
		return "DROP VIEW " + sqlName(v.Schema, v.Name) + ";"
	}
	f := d.got.Functions[key]
	kind := "FUNCTION"
	if f.Kind == "procedure" {
		kind = "PROCEDURE"
	}
	return "DROP " + kind + " " + functionSQL(f) + ";"
}

// gotDependents lists got's views and functions.
func (d *differ) gotDependents() []string {
	keys := slices.Collect(maps.Keys(d.got.Views))
	keys = append(keys, slices.Collect(maps.Keys(d.got.Functions))...)
	slices.Sort(keys)
	return keys
}

func dependsOn(s *Snapshot, key string) []string {
	if v := s.Views[key]; v != nil {
		return v.DependsOn
	}
	if f := s.Functions[key]; f != nil {
		return f.DependsOn
	}
	return nil
}

func (d *differ) gotDependsOn(key string) []string { return dependsOn(d.got, key) }

// gotDepth and wantDepth are how deep a view or function is built on
// others of its snapshot: dropped deepest first, made shallowest first.
func (d *differ) gotDepth(key string) int  { return dependencyDepth(d.got, key, map[string]bool{}) }
func (d *differ) wantDepth(key string) int { return dependencyDepth(d.want, key, map[string]bool{}) }

func dependencyDepth(s *Snapshot, key string, seen map[string]bool) int {
	if seen[key] {
		return 0 // a cycle: PostgreSQL allows none among these, but be safe
	}
	seen[key] = true
	deepest := 0
	for _, on := range dependsOn(s, key) {
		if s.Views[on] != nil || s.Functions[on] != nil {
			deepest = max(deepest, 1+dependencyDepth(s, on, seen))
		}
	}
	delete(seen, key)
	return deepest
}

// oneLine folds a definition PostgreSQL prints over several lines onto one,
// for a finding.
func oneLine(def string) string {
	return strings.TrimSuffix(strings.Join(strings.Fields(def), " "), ";")
}

// returns says what a function returns ("" for a procedure).
func returns(f *Function) string {
	if f.Result == "" {
		return ""
	}
	return "returns " + f.Result
}
