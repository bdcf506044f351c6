package pgident_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/appydex/smoke/schema/pgident"
)

func TestQuoteLikeQuoteIdent(t *testing.T) {
	for in, want := range map[string]string{
		"refresh_tokens": "refresh_tokens",
		"user":           `"user"`, // reserved
		"Users":          `"Users"`,
		"token hash":     `"token hash"`,
		`say"hi`:         `"say""hi"`,
		"9lives":         `"9lives"`,
		"col$1":          "col$1",
	} {
		assert.Equal(t, want, pgident.Quote(in), "Quote(%q)", in)
	}
}

func TestLiteral(t *testing.T) {
	assert.Equal(t, `'it''s'`, pgident.Literal("it's"))
	assert.Equal(t, `''`, pgident.Literal(""))
}

func TestUnquoteReadsWhatQuoteWrites(t *testing.T) {
	for _, name := range []string{"users", "Users", `we"ird`, "select", "a b"} {
		got, ok := pgident.Unquote(pgident.Quote(name))
		if !ok || got != name {
			t.Errorf("Unquote(Quote(%q)) = %q, %t; want %q, true", name, got, ok, name)
		}
	}
	for _, notAName := range []string{"lower(email)", `"a"b"`, "s.t", ""} {
		if got, ok := pgident.Unquote(notAName); ok {
			t.Errorf("Unquote(%q) = %q, true; want false", notAName, got)
		}
	}
}
