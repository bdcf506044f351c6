// Package redact hides secrets in what people and logs read: the password of
// a connection string, in URL form and in keyword form, wherever it appears
// in a message; tokens and passwords in text, shown as a short fingerprint.
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

// URL returns a connection string with its password replaced by Mask, in
// URL form (postgres://user:pass@host/db, ?password=…) and in keyword form
// (password=… host=…). Use it for anything a person or a log will read.
func URL(s string) string {
	if u, err := url.Parse(s); err == nil && u.Scheme != "" {
		if _, has := u.User.Password(); has {
			u.User = url.UserPassword(u.User.Username(), Mask)
		}
		if q := u.Query(); q.Has("password") {
			q.Set("password", Mask)
			u.RawQuery = q.Encode()
		}
		return u.String()
	}
	return patterns(s)
}

var (
	userinfoPassword = regexp.MustCompile(`(://[^:/@\s]*:)[^@\s]*@`)
	keywordPassword  = regexp.MustCompile(`(?i)(password=)('[^']*'|[^\s&]*)`)
)

// patterns masks passwords in text that may not parse as one URL, such as
// an error message quoting a malformed one.
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

// Error masks the password of connString (and anything shaped like a
// password) wherever it appears in err's message. errors.Is and errors.As
// still reach err. A nil err stays nil.
func Error(err error, connString string) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	if pw := passwordOf(connString); pw != "" {
		msg = strings.ReplaceAll(msg, pw, Mask)
		if esc := url.QueryEscape(pw); esc != pw {
			msg = strings.ReplaceAll(msg, esc, Mask)
		}
	}
	return &maskedError{msg: patterns(msg), err: err}
}

func passwordOf(connString string) string {
	if u, err := url.Parse(connString); err == nil {
		if pw, ok := u.User.Password(); ok {
			return pw
		}
		return u.Query().Get("password")
	}
	if m := keywordPassword.FindStringSubmatch(connString); m != nil {
		return strings.Trim(m[2], "'")
	}
	return ""
}

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
		if len(secret) >= 4 {
			s = strings.ReplaceAll(s, secret, "["+Fingerprint(secret)+"]")
		}
	}
	return s
}
