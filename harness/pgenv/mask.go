package pgenv

import (
	"net/url"
	"regexp"
	"strings"
)

const mask = "xxxxx"

// MaskURL returns a connection string with its password replaced by xxxxx,
// in URL form (postgres://user:pass@host/db, ?password=…) and in keyword form
// (password=… host=…). Use it for anything a person or a log will read.
func MaskURL(s string) string {
	if u, err := url.Parse(s); err == nil && u.Scheme != "" {
		if _, has := u.User.Password(); has {
			u.User = url.UserPassword(u.User.Username(), mask)
		}
		if q := u.Query(); q.Has("password") {
			q.Set("password", mask)
			u.RawQuery = q.Encode()
		}
		return u.String()
	}
	return maskPatterns(s)
}

var (
	userinfoPassword = regexp.MustCompile(`(://[^:/@\s]*:)[^@\s]*@`)
	keywordPassword  = regexp.MustCompile(`(?i)(password=)('[^']*'|[^\s&]*)`)
)

// maskPatterns masks passwords in text that may not parse as one URL, such as
// an error message quoting a malformed one.
func maskPatterns(s string) string {
	s = userinfoPassword.ReplaceAllString(s, "${1}"+mask+"@")
	return keywordPassword.ReplaceAllString(s, "${1}"+mask)
}

// maskedError carries an error whose message has had passwords masked, while
// errors.Is and errors.As still reach the original.
type maskedError struct {
	msg string
	err error
}

func (e *maskedError) Error() string { return e.msg }
func (e *maskedError) Unwrap() error { return e.err }

// MaskError masks the password of connString (and anything shaped like a
// password) wherever it appears in err's message.
func MaskError(err error, connString string) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	if pw := passwordOf(connString); pw != "" {
		msg = strings.ReplaceAll(msg, pw, mask)
		if esc := url.QueryEscape(pw); esc != pw {
			msg = strings.ReplaceAll(msg, esc, mask)
		}
	}
	return &maskedError{msg: maskPatterns(msg), err: err}
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
