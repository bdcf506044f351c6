package redact

import (
	"errors"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
)

// Unparseable is how a connection string that does not parse is shown:
// without parsing it there is no telling which part is the password, so
// none of it is.
const Unparseable = "[unparseable connection string]"

// ParseConn parses a connection string as libpq does (pgx's parser: URL or
// keyword/value form, with the PG* environment variables) and refuses one
// whose host holds an '@' or a space — a password's '@' or space that was not
// percent-encoded, which the parser takes for part of the host name. Its
// error never quotes the string: it says what is wrong and how to write it.
func ParseConn(s string) (*pgconn.Config, error) {
	cfg, err := pgconn.ParseConfig(migrateScheme(s))
	if err != nil {
		return nil, &ConnError{reason: parseReason(err)}
	}
	for _, host := range hosts(cfg) {
		if strings.ContainsAny(host, "@ \t\r\n") && !strings.HasPrefix(host, "/") {
			return nil, &ConnError{reason: "its host name holds an '@' or a space: percent-encode those characters " +
				"in the password (an '@' is %40, a space %20) or use the keyword form, password='…'"}
		}
	}
	if isURL(s) && strings.Contains(cfg.Database, "@") {
		// postgres://u:/pw@host/db: the parser took "u" for the host and
		// "pw@host/db" for the database name, password and all.
		return nil, &ConnError{reason: "its database name holds an '@': a password with a '/' or a ':' that was not " +
			"percent-encoded ('/' is %2F, ':' %3A, '@' %40)"}
	}
	return cfg, nil
}

// ConnError is a connection string that does not parse. Its message names
// the problem without quoting any of the string: callers put it after the
// string as Conn shows it, "database URL [unparseable connection string]:
// does not parse: …".
type ConnError struct{ reason string }

func (e *ConnError) Error() string { return "does not parse: " + e.reason }

// Conn is how a connection string is shown to people and logs:
// user@host:port/database (each fallback host after a comma), never the
// password nor any other setting. A string that does not parse is shown as
// Unparseable.
func Conn(s string) string {
	cfg, err := ParseConn(s)
	if err != nil {
		return Unparseable
	}
	return cfg.User + "@" + strings.Join(addresses(cfg), ",") + "/" + cfg.Database
}

// hosts are the config's host and its fallbacks' hosts.
func hosts(cfg *pgconn.Config) []string {
	out := []string{cfg.Host}
	for _, fb := range cfg.Fallbacks {
		out = append(out, fb.Host)
	}
	return out
}

// addresses are the config's host:port and its fallbacks', each once: the
// parser lists a host twice when the TLS mode tries it with and without TLS.
func addresses(cfg *pgconn.Config) []string {
	out := []string{cfg.Host + ":" + strconv.Itoa(int(cfg.Port))}
	for _, fb := range cfg.Fallbacks {
		if a := fb.Host + ":" + strconv.Itoa(int(fb.Port)); !slices.Contains(out, a) {
			out = append(out, a)
		}
	}
	return out
}

func isURL(s string) bool {
	s = migrateScheme(s)
	return strings.HasPrefix(s, "postgres://") || strings.HasPrefix(s, "postgresql://")
}

// migrateScheme reads golang-migrate's scheme for the pgx driver (pgx5://)
// as postgres://, which it stands for.
func migrateScheme(s string) string {
	for _, scheme := range []string{"pgx5://", "pgx://"} {
		if rest, ok := strings.CutPrefix(s, scheme); ok {
			return "postgres://" + rest
		}
	}
	return s
}

// parseReason is what pgx's parser found wrong, without the string itself:
// its error quotes the string with the password masked only as far as a
// malformed string lets it tell where the password is, and the parse errors
// it wraps quote pieces of the string.
func parseReason(err error) string {
	var pce *pgconn.ParseConfigError
	if !errors.As(err, &pce) {
		return "it does not parse"
	}
	bare := *pce
	bare.ConnString = ""
	reason := strings.TrimPrefix(bare.Error(), "cannot parse ``: ")
	if inner := errors.Unwrap(pce); inner != nil {
		reason = strings.TrimSuffix(reason, " ("+inner.Error()+")")
	}
	switch reason {
	case "failed to parse as URL":
		return "not a valid URL: percent-encode special characters in the user name and password " +
			"(a space is %20, '@' %40, ':' %3A, '/' %2F, '%' %25: p@ss is written p%40ss)"
	case "failed to parse as keyword/value":
		return "not valid keyword=value settings: quote a value that holds spaces or quotes, " +
			`e.g. password='my pass' (a quote inside as \')`
	}
	// pgx's other reasons, as far as they name no value of the string: a
	// value may be a password that landed in the wrong setting.
	for _, safe := range []string{"invalid port", "invalid connect_timeout", "invalid sslcertmode", "failed to configure TLS",
		"failed to read service", "invalid require_auth", "min_protocol_version cannot be greater than max_protocol_version",
		"unknown target_session_attrs value", "unknown channel_binding value", "invalid min_protocol_version",
		"invalid max_protocol_version", "could not match"} {
		if strings.HasPrefix(reason, safe) {
			if safe == "could not match" {
				return "the hosts and the ports do not pair up"
			}
			return safe
		}
	}
	return "it does not parse"
}

// Error masks a connection string wherever err's message quotes it — shown
// as Conn shows it — and its password wherever the message holds it alone,
// raw or escaped. When the string does not parse, no part of it can be told
// to be the password: the whole string is masked, and so is what pgx's parser
// said about it, which is replaced by what ParseConn says. Text shaped like a
// password in a URL or keyword setting is masked too. errors.Is and errors.As
// still reach err. A nil err stays nil.
func Error(err error, connString string) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	var pce *pgconn.ParseConfigError
	if errors.As(err, &pce) {
		msg = strings.ReplaceAll(msg, pce.Error(), (&ConnError{reason: parseReason(pce)}).Error())
	}
	if connString != "" {
		// The string is set aside first, so that masking its password
		// cannot reach into what is shown in its place (user@host/db).
		const placeholder = "\x00conn\x00"
		for _, form := range escapes(connString) {
			msg = strings.ReplaceAll(msg, form, placeholder)
		}
		if cfg, perr := pgconn.ParseConfig(migrateScheme(connString)); perr == nil && len(cfg.Password) >= minSecret {
			for _, form := range escapes(cfg.Password) {
				msg = strings.ReplaceAll(msg, form, Mask)
			}
		}
		// The patterns are a last line for text that merely looks like a
		// password; they must not reach into what is shown for the string.
		msg = strings.ReplaceAll(patterns(msg), placeholder, Conn(connString))
		return &maskedError{msg: msg, err: err}
	}
	return &maskedError{msg: patterns(msg), err: err}
}

// minSecret is the shortest secret masked wherever it appears in free text:
// masking "a" would mask every a of a message. A shorter password is
// masked where the message quotes its connection string, as every other.
const minSecret = 4

// escapes are the ways a message may quote s: as it is, inside %q's quotes,
// and percent-encoded as a URL's query, path or user info encodes it.
func escapes(s string) []string {
	quoted := strconv.Quote(s)
	userinfo := strings.TrimPrefix(url.UserPassword("", s).String(), ":")
	var out []string
	for _, f := range []string{s, quoted[1 : len(quoted)-1], url.QueryEscape(s), url.PathEscape(s), userinfo} {
		if f != "" && !slices.Contains(out, f) {
			out = append(out, f)
		}
	}
	return out
}
