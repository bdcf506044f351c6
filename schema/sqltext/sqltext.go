// Package sqltext reads SQL as text, as PostgreSQL's lexer would split
// it: comments, string literals (with ” and, in E” strings, backslash
// escapes), quoted names and dollar-quoted bodies. It judges nothing; it
// lets a reader find statements and words without being fooled by what a
// comment or a string says.
package sqltext

import (
	"regexp"
	"strings"
)

// WithoutComments blanks out SQL's comments, keeping string literals and
// quoted names whole. (A "--" inside a dollar-quoted body is taken for a
// comment too: a reader of statements finds none there.)
func WithoutComments(sql string) string {
	var b strings.Builder
	for i := 0; i < len(sql); {
		switch {
		case strings.HasPrefix(sql[i:], "--"):
			end := strings.IndexByte(sql[i:], '\n')
			if end < 0 {
				return b.String()
			}
			i += end
		case strings.HasPrefix(sql[i:], "/*"):
			end := strings.Index(sql[i+2:], "*/")
			if end < 0 {
				return b.String()
			}
			b.WriteByte(' ')
			i += end + 4
		case sql[i] == '\'' || sql[i] == '"':
			end := closing(sql, i)
			b.WriteString(sql[i:end])
			i = end
		default:
			b.WriteByte(sql[i])
			i++
		}
	}
	return b.String()
}

// closing is the index just past the quoted text that starts at i ('…' or
// "…", a doubled quote inside it; in an E'…' string, a quote after a
// backslash too).
func closing(sql string, i int) int {
	q := sql[i]
	escapes := q == '\'' && i > 0 && (sql[i-1] == 'E' || sql[i-1] == 'e') && (i == 1 || !isWordByte(sql[i-2]))
	j := i + 1
	for j < len(sql) {
		if escapes && sql[j] == '\\' {
			j += 2
			continue
		}
		if sql[j] == q {
			if j+1 < len(sql) && sql[j+1] == q {
				j += 2
				continue
			}
			return j + 1
		}
		j++
	}
	return len(sql)
}

func isWordByte(b byte) bool {
	return b == '_' || b == '$' || (b >= '0' && b <= '9') || (b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z')
}

// WithoutLiterals blanks out a statement's string literals, so that what
// one says ('DROP x') is not read as what the statement does.
func WithoutLiterals(stmt string) string {
	var b strings.Builder
	for i := 0; i < len(stmt); {
		switch stmt[i] {
		case '\'':
			end := closing(stmt, i)
			b.WriteString("''")
			i = end
		case '"':
			end := closing(stmt, i)
			b.WriteString(stmt[i:end])
			i = end
		default:
			b.WriteByte(stmt[i])
			i++
		}
	}
	return b.String()
}

var dollarTag = regexp.MustCompile(`^\$(?:[A-Za-z_][A-Za-z_0-9]*)?\$`)

// Split splits SQL (its comments left out) at the semicolons
// outside quotes and dollar-quoted bodies.
func Split(sql string) []string {
	var out []string
	start := 0
	for i := 0; i < len(sql); {
		switch c := sql[i]; {
		case c == '\'' || c == '"':
			i = closing(sql, i)
		case c == '$':
			tag := dollarTag.FindString(sql[i:])
			if tag == "" {
				i++
				continue
			}
			end := strings.Index(sql[i+len(tag):], tag)
			if end < 0 {
				i = len(sql)
				continue
			}
			i += len(tag) + end + len(tag)
		case c == ';':
			out = append(out, sql[start:i])
			i++
			start = i
		default:
			i++
		}
	}
	if strings.TrimSpace(sql[start:]) != "" {
		out = append(out, sql[start:])
	}
	return out
}
