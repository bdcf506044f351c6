// The SQL the fixes are written in: columns and grants, from a snapshot's
// definitions.

package schema

import (
	"maps"
	"slices"
	"strings"

	"github.com/appydex/smoke/schema/pgident"
)

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

// baseType is a column type without its COLLATE clause, for a USING cast.
func baseType(t string) string {
	base, _, _ := strings.Cut(t, " COLLATE ")
	return base
}

// grants compares an object's grants and writes the GRANT and REVOKE
// statements that make got's want's. kind is TABLE, SEQUENCE, FUNCTION or
// SCHEMA; key names the object in findings, name in SQL.
func (d *differ) grants(kind, key, name string, want, got map[string]string) {
	if maps.Equal(want, got) {
		return
	}
	d.add(Finding{ObjectType: "privilege", Object: key, Kind: PrivilegesDiffer, Severity: Warning,
		Want: describeGrants(want), Got: describeGrants(got)}, grantStmts(kind, name, want, got)...)
}

// grantStmts grants what want has and got lacks, and revokes the rest.
func grantStmts(kind, name string, want, got map[string]string) []stmt {
	var stmts []stmt
	for _, grantee := range unionKeys(want, got) {
		w, g := privilegeSet(want[grantee]), privilegeSet(got[grantee])
		if add := minus(w, g); len(add) > 0 {
			stmts = append(stmts, stmt{phase: phaseGrants, sql: "GRANT " + strings.Join(add, ", ") + " ON " + kind + " " + name + " TO " + grantee + ";"})
		}
		if remove := minus(g, w); len(remove) > 0 {
			stmts = append(stmts, stmt{phase: phaseGrants, sql: "REVOKE " + strings.Join(remove, ", ") + " ON " + kind + " " + name + " FROM " + grantee + ";"})
		}
	}
	return stmts
}

// columnGrantStmts is grantStmts for one column's grants.
func columnGrantStmts(table, column string, want, got map[string]string) []stmt {
	var stmts []stmt
	col := " (" + pgident.Quote(column) + ")"
	for _, grantee := range unionKeys(want, got) {
		w, g := privilegeSet(want[grantee]), privilegeSet(got[grantee])
		for _, p := range minus(w, g) {
			stmts = append(stmts, stmt{phase: phaseGrants, sql: "GRANT " + p + col + " ON TABLE " + table + " TO " + grantee + ";"})
		}
		for _, p := range minus(g, w) {
			stmts = append(stmts, stmt{phase: phaseGrants, sql: "REVOKE " + p + col + " ON TABLE " + table + " FROM " + grantee + ";"})
		}
	}
	return stmts
}

func privilegeSet(list string) []string {
	if list == "" {
		return nil
	}
	return strings.Split(list, ", ")
}

func minus(a, b []string) []string {
	var out []string
	for _, x := range a {
		if !slices.Contains(b, x) {
			out = append(out, x)
		}
	}
	return out
}

// describeGrants is grants as "grantee: P1, P2; grantee2: P3".
func describeGrants(g map[string]string) string {
	if len(g) == 0 {
		return "none"
	}
	var parts []string
	for _, grantee := range slices.Sorted(maps.Keys(g)) {
		parts = append(parts, grantee+": "+g[grantee])
	}
	return strings.Join(parts, "; ")
}
