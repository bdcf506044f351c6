// Package redact hides secrets in what people and logs read: a connection
// string is parsed (pgx's parser) and shown as user@host:port/db, or as
// "[unparseable connection string]" — never as the string itself — and
// masked wherever a message quotes it; tokens and passwords in text are shown
// as a short fingerprint.
// It is the one place the harness, the commands and the reference API mask
// them, so they all mask alike.
package redact

import (
	"crypto/sha256"
	"encoding/hex"
	"net/url"
	"regexp"
	"strings"
)

// Mask is what a password is replaced with.
const Mask = "xxxxx"

// URL returns a URL that is not a connection string — an API's, a
// panel's — with the password of its user info and the value of any
// password or token query parameter replaced by Mask. A URL that does not
// parse is shown as "[unparseable URL]". Connection strings are shown by
// Conn.
func URL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "[unparseable URL]"
	}
	if _, has := u.User.Password(); has {
		u.User = url.UserPassword(u.User.Username(), Mask)
	}
	q := u.Query()
	masked := false
	for key := range q {
		if k := strings.ToLower(key); strings.Contains(k, "password") || strings.Contains(k, "token") || strings.Contains(k, "secret") {
			q[key] = []string{Mask}
			masked = true
		}
	}
	if masked {
		u.RawQuery = q.Encode()
	}
	return u.String()
}

var (
	userinfoPassword = regexp.MustCompile(`(://[^:/@\s]*:)[^@\s]*@`)
	keywordPassword  = regexp.MustCompile(`(?i)(password\s*=\s*)('(?:[^'\\]|\\.)*'|[^\s&]*)`)
)

// patterns masks what looks like a password in free text — in a URL's user
// info, or after password= — as a last line: Error masks the string it is
// given exactly, and this catches one a message quotes that it was not given.
func patterns(s string) string {
	s = userinfoPassword.ReplaceAllString(s, "${1}"+Mask+"@")
	return keywordPassword.ReplaceAllString(s, "${1}"+Mask)
}

// maskedError carries an error whose message has had passwords masked, while
// errors.Is and errors.As still reach the original.
type maskedError struct {
	msg string
	err error
}

func (e *maskedError) Error() string { return e.msg }
func (e *maskedError) Unwrap() error { return e.err }

// Fingerprint is how a secret is shown where one must be told apart from
// another: "sha256:" and the first eight hex digits of its SHA-256. It
// identifies a token in a log without letting anyone use it.
func Fingerprint(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return "sha256:" + hex.EncodeToString(sum[:4])
}

// jwtShape is a JSON Web Token: a base64url JSON header ("eyJ…"), a payload
// and a signature, the last possibly empty (alg none).
var jwtShape = regexp.MustCompile(`eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*`)

// Secrets replaces, in s, every JSON Web Token and every one of secrets (a
// password, an opaque token) with "[" + Fingerprint + "]". Empty secrets
// and secrets of fewer than four characters are left alone: masking "a"
// would mask every a.
func Secrets(s string, secrets ...string) string {
	s = jwtShape.ReplaceAllStringFunc(s, func(jwt string) string { return "[jwt " + Fingerprint(jwt) + "]" })
	for _, secret := range secrets {
		if len(secret) >= minSecret {
			s = strings.ReplaceAll(s, secret, "["+Fingerprint(secret)+"]")
		}
	}
	return s
}
