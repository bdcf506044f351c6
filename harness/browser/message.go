package browser

// What a failed sign-in's message says, against what the API answered:
// the incident's panel said "Cannot connect to server" for a 500, which
// sent the team to the network instead of the database. Each side is
// classified, and a pair that misleads is a [panel] problem.

import (
	"fmt"
	"regexp"
	"strings"
)

// Answer is the kind of the API's answer behind a failed sign-in.
type Answer string

const (
	AnswerNone        Answer = "no answer"           // none reached the page: no connection, or withheld by the browser
	AnswerCredentials Answer = "credentials refused" // 401, 403
	AnswerValidation  Answer = "validation refused"  // 400, 413, 415, 422
	AnswerRateLimited Answer = "rate-limited"        // 429
	AnswerServer      Answer = "server error"        // 5xx
	AnswerOther       Answer = "another answer"      // any other status
)

// classifyAnswer is the kind of q's answer, as the page could read it.
func classifyAnswer(q *Request) Answer {
	switch s := q.Status; {
	case s == 0 || q.Withheld:
		return AnswerNone
	case s == 401 || s == 403:
		return AnswerCredentials
	case s == 400 || s == 413 || s == 415 || s == 422:
		return AnswerValidation
	case s == 429:
		return AnswerRateLimited
	case s >= 500:
		return AnswerServer
	}
	return AnswerOther
}

// Message is the kind of what a failed sign-in's page showed.
type Message string

const (
	MessageCredentials Message = "blames the credentials" // "Invalid email or password"
	MessageConnection  Message = "blames the connection"  // "Cannot connect to server"
	MessageServer      Message = "says the server failed" // "Something went wrong"
	MessageGeneric     Message = "a generic message"      // anything else
	MessageNone        Message = "no message"
)

// Phrases are the words by which a page's message is classified: each a
// regular expression, matched without regard to case. DefaultPhrases are
// English; a panel in another language adds its own (SignInOptions.Phrases,
// a backend description's panel_phrases). A message that matches several
// kinds is taken as the first of connection, server, credentials.
type Phrases struct {
	Credentials []string `json:"credentials,omitempty" yaml:"credentials"`
	Connection  []string `json:"connection,omitempty" yaml:"connection"`
	Server      []string `json:"server,omitempty" yaml:"server"`
}

// DefaultPhrases are the English phrases (docs/browser.md lists them).
var DefaultPhrases = Phrases{
	Credentials: []string{`(invalid|incorrect|wrong|unknown|bad)\b.{0,30}\b(e-?mail|password|credentials|login|user ?name|phone|code|otp)`,
		`(e-?mail|password|credentials|login|code)\b.{0,20}\b(is |are )?(invalid|incorrect|wrong|not recogni[sz]ed|do(es)? not match)`,
		`authentication failed`, `not authori[sz]ed`},
	Connection: []string{`cannot connect`, `can't connect`, `could not connect`, `unable to connect`, `unable to reach`, `could not reach`,
		`cannot reach`, `network error`, `failed to fetch`, `connection (refused|failed|error|problem)`, `check your (internet|connection)`,
		`you('re| are) offline`, `no internet`},
	Server: []string{`something went wrong`, `server error`, `internal error`, `unexpected error`, `service unavailable`,
		`try again later`, `\b5\d\d\b`, `INTERNAL_ERROR`},
}

// With is p with more's phrases added.
func (p Phrases) With(more Phrases) Phrases {
	return Phrases{Credentials: append(append([]string{}, p.Credentials...), more.Credentials...),
		Connection: append(append([]string{}, p.Connection...), more.Connection...),
		Server:     append(append([]string{}, p.Server...), more.Server...)}
}

// Compile checks each phrase, naming the one that is no regular
// expression.
func (p Phrases) Compile() (func(string) Message, error) {
	compile := func(kind string, list []string) (*regexp.Regexp, error) {
		for _, s := range list {
			if _, err := regexp.Compile(s); err != nil {
				return nil, fmt.Errorf("the %s phrase %q: %w", kind, s, err)
			}
		}
		if len(list) == 0 {
			return nil, nil
		}
		return regexp.Compile(`(?i)(` + strings.Join(list, ")|(") + `)`)
	}
	cred, err := compile("credentials", p.Credentials)
	if err != nil {
		return nil, err
	}
	conn, err := compile("connection", p.Connection)
	if err != nil {
		return nil, err
	}
	server, err := compile("server", p.Server)
	if err != nil {
		return nil, err
	}
	matches := func(re *regexp.Regexp, s string) bool { return re != nil && re.MatchString(s) }
	return func(shown string) Message {
		switch {
		case strings.TrimSpace(shown) == "":
			return MessageNone
		case matches(conn, shown):
			return MessageConnection
		case matches(server, shown):
			return MessageServer
		case matches(cred, shown):
			return MessageCredentials
		}
		return MessageGeneric
	}, nil
}

// misleads says what is wrong with showing a message of kind m for an
// answer of kind a; "" when the pair is truthful enough.
func misleads(a Answer, m Message) string {
	switch {
	case m == MessageNone:
		return "the page showed no message at all"
	case a == AnswerServer && m == MessageCredentials:
		return "the page said the credentials were wrong"
	case a == AnswerServer && m == MessageConnection:
		return "the page blamed the connection"
	case a == AnswerCredentials && m == MessageServer:
		return "the page said the server failed"
	case a == AnswerCredentials && m == MessageConnection:
		return "the page blamed the connection"
	case a != AnswerNone && m == MessageConnection:
		return "the page blamed the connection, though an answer reached it"
	}
	return ""
}
