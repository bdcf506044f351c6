package schema

import (
	_ "embed"
	"regexp"
	"strings"
	"sync"
)

// castsFile lists PostgreSQL 15's built-in casts (pg_cast), one
// "source<TAB>target" a line, as format_type(oid, NULL) prints the types.
//
//go:embed casts.tsv
var castsFile string

var builtInCasts = sync.OnceValue(func() map[[2]string]bool {
	casts := map[[2]string]bool{}
	for _, line := range strings.Split(castsFile, "\n") {
		if source, target, ok := strings.Cut(line, "\t"); ok && !strings.HasPrefix(line, "#") {
			casts[[2]string{source, target}] = true
		}
	}
	return casts
})

// stringTypes are those every type converts to and from through its text
// form (PostgreSQL's I/O conversion casts).
var stringTypes = map[string]bool{"text": true, "character varying": true, "character": true, "name": true, `"char"`: true}

var typeModifier = regexp.MustCompile(`\([^)]*\)`)

// hasCast reports whether PostgreSQL can cast a value of type from to type
// to (as format_type prints them, COLLATE left off): the same type with
// another length or precision, to or from a string type, or a cast in
// pg_cast. Only built-in types are known: they print bare, and the
// schema's own (enums, domains, composite types) qualified; a type of the
// schema's, or an array, is taken to cast.
func hasCast(from, to string) bool {
	from, to = typeModifier.ReplaceAllString(from, ""), typeModifier.ReplaceAllString(to, "")
	switch {
	case from == to, stringTypes[from], stringTypes[to]:
		return true
	case strings.Contains(from, ".") || strings.Contains(to, ".") || strings.HasSuffix(from, "[]") || strings.HasSuffix(to, "[]"):
		return true
	}
	return builtInCasts()[[2]string{from, to}]
}
