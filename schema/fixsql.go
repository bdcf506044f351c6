// The SQL the fixes are written in: columns and grants, from a snapshot's
// definitions.

package schema

import (
	"fmt"
	"maps"
	"math"
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
	s := "GENERATED " + c.Identity + " AS IDENTITY"
	if q := c.IdentitySequence; q != nil {
		if opts := strings.TrimSpace(alterSequence(q, defaultSequence(q.Type, q.Increment))); opts != "" {
			s += " (" + opts + ")"
		}
	}
	return s
}

// identitySet is what ALTER COLUMN needs to give an identity's sequence
// want's options: SET INCREMENT BY 5 SET MAXVALUE 1000 …
func identitySet(want, got *Sequence) string {
	var s string
	for _, opt := range sequenceOptions(want, got) {
		s += " SET " + opt
	}
	return s
}

// defaultSequence is the sequence PostgreSQL makes of type typ counting
// by increment's sign, when no option is given.
func defaultSequence(typ string, increment int64) *Sequence {
	hi := map[string]int64{"smallint": math.MaxInt16, "integer": math.MaxInt32, "bigint": math.MaxInt64}[typ]
	lo := map[string]int64{"smallint": math.MinInt16, "integer": math.MinInt32, "bigint": math.MinInt64}[typ]
	if increment < 0 {
		return &Sequence{Type: typ, Increment: -1, Min: lo, Max: -1, Start: -1, Cache: 1}
	}
	return &Sequence{Type: typ, Increment: 1, Min: 1, Max: hi, Start: 1, Cache: 1}
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
	case len(minus(bases(want), bases(got))) > 0:
		return rulePrivilegeMissing
	case credentials && slices.Contains(minus(bases(got), bases(want)), "SELECT"):
		return rulePrivilegeCredentials
	case slices.Equal(slices.Sorted(slices.Values(bases(want))), slices.Sorted(slices.Values(bases(got)))):
		return rulePrivilegeGrantOption
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
		c := grantChange(privilegeSet(want[grantee]), privilegeSet(got[grantee]))
		stmts = append(stmts, c.statements("", kind+" "+name, grantee)...)
	}
	return stmts
}

// statements are the GRANT and REVOKE statements of the change for one
// grantee, on what on names ("TABLE users", or "TABLES" after an ALTER
// DEFAULT PRIVILEGES prefix).
func (c privilegeChange) statements(prefix, on, grantee string) []stmt {
	var stmts []stmt
	add := func(privs []string, format string) {
		if len(privs) > 0 {
			stmts = append(stmts, stmt{phase: phaseGrants, sql: prefix + fmt.Sprintf(format, strings.Join(privs, ", ")+" ON "+on, grantee)})
		}
	}
	add(c.grant, "GRANT %s TO %s;")
	add(c.grantOption, "GRANT %s TO %s WITH GRANT OPTION;")
	add(c.revokeOption, "REVOKE GRANT OPTION FOR %s FROM %s;")
	add(c.revoke, "REVOKE %s FROM %s;")
	return stmts
}

// columnGrantStmts is grantStmts for one column's grants.
func columnGrantStmts(table, column string, want, got map[string]string) []stmt {
	var stmts []stmt
	on := " (" + pgident.Quote(column) + ") ON TABLE " + table
	for _, grantee := range unionKeys(want, got) {
		c := grantChange(privilegeSet(want[grantee]), privilegeSet(got[grantee]))
		add := func(privs []string, format string) {
			for _, p := range privs {
				stmts = append(stmts, stmt{phase: phaseGrants, sql: fmt.Sprintf(format, p+on, grantee)})
			}
		}
		add(c.grant, "GRANT %s TO %s;")
		add(c.grantOption, "GRANT %s TO %s WITH GRANT OPTION;")
		add(c.revokeOption, "REVOKE GRANT OPTION FOR %s FROM %s;")
		add(c.revoke, "REVOKE %s FROM %s;")
	}
	return stmts
}

// withGrantOption marks a privilege its grantee may pass on, as the
// catalog queries write it: "SELECT WITH GRANT OPTION".
const withGrantOption = " WITH GRANT OPTION"

// privilegeChange is what makes one grantee's privileges want's: those
// to grant (without and with the grant option), those whose grant option
// alone goes, and those to revoke.
type privilegeChange struct{ grant, grantOption, revokeOption, revoke []string }

func grantChange(want, got []string) privilegeChange {
	split := func(privs []string) map[string]bool {
		m := map[string]bool{}
		for _, p := range privs {
			base, option := strings.CutSuffix(p, withGrantOption)
			m[base] = option
		}
		return m
	}
	w, g := split(want), split(got)
	var c privilegeChange
	for _, p := range slices.Sorted(maps.Keys(w)) {
		option, has := g[p]
		switch {
		case w[p] && !option:
			c.grantOption = append(c.grantOption, p)
		case !has:
			c.grant = append(c.grant, p)
		case option && !w[p]:
			c.revokeOption = append(c.revokeOption, p)
		}
	}
	for _, p := range slices.Sorted(maps.Keys(g)) {
		if _, ok := w[p]; !ok {
			c.revoke = append(c.revoke, p)
		}
	}
	return c
}

// bases are privileges without their grant option.
func bases(privs []string) []string {
	out := make([]string, len(privs))
	for i, p := range privs {
		out[i] = strings.TrimSuffix(p, withGrantOption)
	}
	return out
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
