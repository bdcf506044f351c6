package schema

import (
	"regexp"
	"strings"

	"github.com/appydex/smoke/schema/sqltext"
)

// raiseLevels are the levels of a PL/pgSQL RAISE that report without
// raising an error.
var raiseLevels = map[string]bool{"debug": true, "log": true, "info": true, "notice": true, "warning": true}

var (
	raiseWord  = regexp.MustCompile(`(?i)\bRAISE\b\s*([A-Za-z_]*)`)
	assertWord = regexp.MustCompile(`(?i)\bASSERT\b`)
)

// canRaise reports whether a function in language, with this body, can
// raise an error of its own: a PL/pgSQL RAISE of level EXCEPTION (the
// default: RAISE 'msg', RAISE SQLSTATE, RAISE a condition, a bare RAISE)
// or an ASSERT. A body in another language cannot be read here, so it is
// taken to be able to. Comments and string literals are left out first, so
// a RAISE in a message does not count. (An error raised deeper — a failing
// query, a function it calls — is not seen: the judgement is of what the
// function itself says it does.)
func canRaise(language, body string) bool {
	if language != "plpgsql" {
		return true
	}
	code := sqltext.WithoutLiterals(sqltext.WithoutComments(body))
	for _, m := range raiseWord.FindAllStringSubmatch(code, -1) {
		if !raiseLevels[strings.ToLower(m[1])] {
			return true
		}
	}
	return assertWord.MatchString(code)
}
