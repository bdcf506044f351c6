// Package pgident writes PostgreSQL identifiers and string literals into SQL
// text the way PostgreSQL itself prints them.
package pgident

import (
	"regexp"
	"strings"
)

var plainIdent = regexp.MustCompile(`^[a-z_][a-z0-9_$]*$`)

// reserved holds PostgreSQL's reserved key words (and the ones it reserves
// for function or type names): an identifier spelled like one needs quotes.
var reserved = map[string]bool{}

func init() {
	for _, w := range strings.Fields(`all analyse analyze and any array as asc asymmetric authorization binary
		both case cast check collate collation column concurrently constraint create cross current_catalog
		current_date current_role current_schema current_time current_timestamp current_user default
		deferrable desc distinct do else end except false fetch for foreign freeze from full grant group
		having ilike in initially inner intersect into is isnull join lateral leading left like limit
		localtime localtimestamp natural not notnull null offset on only or order outer overlaps placing
		primary references returning right select session_user similar some symmetric system_user table
		tablesample then to trailing true union unique user using variadic verbose when where window with`) {
		reserved[w] = true
	}
}

// Quote writes an identifier as PostgreSQL's quote_ident does: bare
// when it is lower case and not a reserved word, else in double quotes.
func Quote(name string) string {
	if plainIdent.MatchString(name) && !reserved[name] {
		return name
	}
	return `"` + strings.ReplaceAll(name, `"`, `""`) + `"`
}

// Literal writes a string literal.
func Literal(s string) string {
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}

// Unquote reads an identifier as Quote (or PostgreSQL) prints it: a bare
// name, or one in double quotes. ok is false for anything else — an
// expression, a qualified name.
func Unquote(s string) (name string, ok bool) {
	if plainIdent.MatchString(s) {
		return s, true
	}
	if len(s) < 2 || s[0] != '"' || s[len(s)-1] != '"' {
		return "", false
	}
	inner := s[1 : len(s)-1]
	if strings.Contains(strings.ReplaceAll(inner, `""`, ""), `"`) {
		return "", false
	}
	return strings.ReplaceAll(inner, `""`, `"`), true
}
