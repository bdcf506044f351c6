// The SQL the fixes are written in: columns and grants, from a snapshot's
// definitions.

package schema

import (
	"maps"
	"slices"
	"strings"
	"unicode"

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
// statements that make got's want's, a finding for each grantee whose
// privileges differ. kind is TABLE, SEQUENCE, FUNCTION or SCHEMA; key
// names the object in findings, name in SQL; credentials are the columns
// of got's table that hold credentials (a grant to read them is a warning).
func (d *differ) grants(kind, key, name string, want, got map[string]string, credentials []string) {
	for _, grantee := range unionKeys(want, got) {
		if want[grantee] == got[grantee] {
			continue
		}
		w, g := only(want, grantee), only(got, grantee)
		rule := privilegeRule(privilegeSet(want[grantee]), privilegeSet(got[grantee]), len(credentials) > 0)
		d.add(rule, Finding{ObjectType: ObjectPrivilege, Object: key, Kind: PrivilegesDiffer, Grantee: grantee,
			Want: describeGrants(w), Got: describeGrants(g)}, grantStmts(kind, name, w, g)...)
	}
}

// columnGrants is grants for one column of t.
func (d *differ) columnGrants(t *Table, column string, want, got map[string]string) {
	var credentials []string
	if holdsCredentials(column) {
		credentials = []string{column}
	}
	for _, grantee := range unionKeys(want, got) {
		if want[grantee] == got[grantee] {
			continue
		}
		w, g := only(want, grantee), only(got, grantee)
		rule := privilegeRule(privilegeSet(want[grantee]), privilegeSet(got[grantee]), len(credentials) > 0)
		d.add(rule, Finding{ObjectType: ObjectPrivilege, Object: Qualify(t.Schema, t.Name) + "." + column, Kind: PrivilegesDiffer, Grantee: grantee,
			Want: describeGrants(w), Got: describeGrants(g)}, columnGrantStmts(t.sql(), column, w, g)...)
	}
}

// only is grants with grantee's alone (nil when it has none).
func only(grants map[string]string, grantee string) map[string]string {
	if grants[grantee] == "" {
		return nil
	}
	return map[string]string{grantee: grants[grantee]}
}

// privilegeRule judges one grantee's privileges on an object: any the
// expected side grants and got lacks are missing; else a grant to read
// credentials is a risk, and any other extra grant harmless.
func privilegeRule(want, got []string, credentials bool) Rule {
	switch {
	case len(minus(want, got)) > 0:
		return rulePrivilegeMissing
	case credentials && slices.Contains(minus(got, want), "SELECT"):
		return rulePrivilegeCredentials
	}
	return rulePrivilegeExtra
}

// credentialWords are the words a column's name holds when it keeps what
// lets one sign in as someone: a password or its hash, a secret, a token
// or its hash, a one-time code's seed, a key. A name is split into words
// at underscores and case changes ("password_hash", "refreshToken"), so
// "tokens_count" and "footprint" hold none.
var credentialWords = map[string]bool{"password": true, "passwd": true, "pwd": true, "secret": true, "token": true, "hash": true,
	"otp": true, "totp": true, "apikey": true, "credential": true, "credentials": true, "salt": true}

// credentialPairs are two words that say it together ("api_key").
var credentialPairs = map[[2]string]bool{{"api", "key"}: true, {"private", "key"}: true, {"secret", "key"}: true, {"access", "key"}: true}

// holdsCredentials reports whether a column's name says it holds credentials.
func holdsCredentials(column string) bool {
	words := nameWords(column)
	for i, w := range words {
		if credentialWords[w] || (i > 0 && credentialPairs[[2]string{words[i-1], w}]) {
			return true
		}
	}
	return false
}

// nameWords splits a name into lower-case words at anything but letters and
// digits, and where a lower-case letter meets an upper-case one.
func nameWords(name string) []string {
	var words []string
	var word []rune
	var prev rune
	flush := func() {
		if len(word) > 0 {
			words = append(words, strings.ToLower(string(word)))
			word = word[:0]
		}
	}
	for _, r := range name {
		switch {
		case !unicode.IsLetter(r) && !unicode.IsDigit(r):
			flush()
		case unicode.IsUpper(r) && unicode.IsLower(prev):
			flush()
			word = append(word, r)
		default:
			word = append(word, r)
		}
		prev = r
	}
	flush()
	return words
}

// credentialColumns are the columns of t that hold credentials.
func credentialColumns(t *Table) []string {
	var out []string
	for _, c := range sortedColumns(t) {
		if holdsCredentials(c.Name) {
			out = append(out, c.Name)
		}
	}
	return out
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
