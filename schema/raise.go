package schema

import (
	"regexp"
	"strings"
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
	code := plpgsqlCode(body)
	for _, m := range raiseWord.FindAllStringSubmatch(code, -1) {
		if !raiseLevels[strings.ToLower(m[1])] {
			return true
		}
	}
	return assertWord.MatchString(code)
}

// plpgsqlCode is body with its comments and string literals blanked out.
func plpgsqlCode(body string) string {
	var b strings.Builder
	for i := 0; i < len(body); {
		switch {
		case strings.HasPrefix(body[i:], "--"):
			end := strings.IndexByte(body[i:], '\n')
			if end < 0 {
				return b.String()
			}
			i += end
		case strings.HasPrefix(body[i:], "/*"):
			end := strings.Index(body[i+2:], "*/")
			if end < 0 {
				return b.String()
			}
			i += end + 4
			b.WriteByte(' ')
		case body[i] == '\'':
			// A literal runs to the next lone quote ('' is a quote inside it).
			j := i + 1
			for j < len(body) {
				if body[j] == '\'' {
					if j+1 < len(body) && body[j+1] == '\'' {
						j += 2
						continue
					}
					break
				}
				j++
			}
			b.WriteString("''")
			i = j + 1
		default:
			b.WriteByte(body[i])
			i++
		}
	}
	return b.String()
}
