package redact_test

import (
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/stretchr/testify/assert"

	"github.com/appydex/smoke/redact"
)

func TestConnShowsWhereAndNeverThePassword(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"postgres://u:pw@h:5432/db?sslmode=disable", "u@h:5432/db"},
		{"postgresql://u@h/db?password=pw&sslmode=disable", "u@h:5432/db"},
		{"pgx5://u:pw@h:6543/db?x-migrations-table=m", "u@h:6543/db"},
		{"host=h port=5433 password=pw user=u dbname=db sslmode=disable", "u@h:5433/db"},
		{"host=h password = 'p w' user=u dbname=db sslmode=disable", "u@h:5432/db"},
		{"postgres://u:pw@h1:5432,h2:5433/db?sslmode=disable", "u@h1:5432,h2:5433/db"},
		// What does not parse shows nothing of itself: there is no telling
		// which part is the password.
		{"postgres://u:S3cret PW@h/db", redact.Unparseable},
		{"postgres://u:p@ss@h/db", redact.Unparseable},
		{"postgres://u:pw@h:port/db", redact.Unparseable},
		{`host=h password='a\' b`, redact.Unparseable},
		{"host=h S3cret", redact.Unparseable},
	} {
		assert.Equal(t, tc.want, redact.Conn(tc.in), "Conn(%q)", tc.in)
	}
}

// The connection strings that leaked their passwords, whole or in part,
// when the masking was regular expressions over the raw string.
var leaked = []struct {
	conn, secret string
	parses       bool // valid libpq syntax; the others are refused
}{
	{"postgres://u:S3cret PW@127.0.0.1:1/db", "S3cret", false},
	{"host=127.0.0.1 port=1 password = S3cretX user=u", "S3cretX", true},
	{`host=127.0.0.1 port=1 password='a\' S3cretQ' user=u`, "S3cretQ", true},
	{"postgres://u:p@S3cretAt@127.0.0.1:1/db", "S3cretAt", false},
	{"postgres://u:S3cret%zz@127.0.0.1:1/db", "S3cret", false},
	{"postgresql://u@127.0.0.1:1/db?password=S3cret&sslmode=bogus", "S3cret", false},
	{"postgres://u:/S3cretPW@db.example.com/app", "S3cretPW", false},
	{"postgres://u:2024/S3cret@db.example.com/app", "S3cret", false},
	{"host=h password=x target_session_attrs=S3cretTSA", "S3cretTSA", false},
}

func TestErrorMasksWhatCommandsQuote(t *testing.T) {
	for _, tc := range leaked {
		_, parseErr := pgconn.ParseConfig(tc.conn)
		for _, err := range []error{
			fmt.Errorf("database URL %s: %w", tc.conn, errors.New("boom")),
			fmt.Errorf("database URL %q: %w", tc.conn, errors.New("boom")),
			fmt.Errorf("open: %w", parseErr),
		} {
			if err == nil {
				continue
			}
			got := redact.Error(err, tc.conn).Error()
			assert.NotContains(t, got, tc.secret, "Error(%q, %q)", err, tc.conn)
		}
		assert.NotContains(t, redact.Conn(tc.conn), tc.secret)
		_, err := redact.ParseConn(tc.conn)
		if tc.parses {
			assert.NoError(t, err, "ParseConn(%q)", tc.conn)
		} else if assert.Error(t, err, "ParseConn(%q) refuses it", tc.conn) {
			assert.NotContains(t, err.Error(), tc.secret)
			assert.Contains(t, err.Error(), "does not parse: ")
		}
	}
}

func TestParseConnSaysHowToWriteIt(t *testing.T) {
	_, err := redact.ParseConn("postgres://u:S3cret PW@h/db")
	assert.ErrorContains(t, err, "percent-encode")
	_, err = redact.ParseConn("postgres://u:p@ss@h/db")
	assert.ErrorContains(t, err, "%40")
	_, err = redact.ParseConn(`host=h password='unterminated`)
	assert.ErrorContains(t, err, "keyword=value")
}

func TestErrorMasksThePasswordAndKeepsTheChain(t *testing.T) {
	conn := "postgres://deploy:s3cr%40t@db:5432/appydex"
	cause := fmt.Errorf("dial postgres://deploy:s3cr%%40t@db:5432: password s3cr@t refused: %w", fs.ErrNotExist)
	err := redact.Error(cause, conn)
	assert.NotContains(t, err.Error(), "s3cr")
	assert.True(t, errors.Is(err, fs.ErrNotExist), "errors.Is reaches the cause")
	assert.NoError(t, redact.Error(nil, conn))
	whole := redact.Error(fmt.Errorf("connect to %s: refused", conn), conn)
	assert.Equal(t, "connect to deploy@db:5432/appydex: refused", whole.Error())

	// A password that is also the user's name masks the password, never
	// the user shown in the string's place (which would tell the two are
	// alike); one too short to mask in free text is masked in its string.
	same := "postgres://postgres:postgres@db:5432/app"
	assert.Equal(t, "connect to postgres@db:5432/app: refused",
		redact.Error(fmt.Errorf("connect to %s: refused", same), same).Error())
	short := "postgres://deploy:a@db:5432/app"
	assert.Equal(t, "connect to deploy@db:5432/app: a bad answer",
		redact.Error(fmt.Errorf("connect to %s: a bad answer", short), short).Error())
}

func TestURLMasksAnHTTPURLsSecrets(t *testing.T) {
	assert.Equal(t, "https://u:xxxxx@api.example.com/v1?token=xxxxx", redact.URL("https://u:pw@api.example.com/v1?token=abc"))
	assert.Equal(t, "http://127.0.0.1:8080", redact.URL("http://127.0.0.1:8080"))
	assert.Equal(t, "[unparseable URL]", redact.URL("http://u:p w@h:x/"))
}

// FuzzRedact: for any connection string the parser accepts with a
// password, Error — of a message quoting the string, raw or %q-quoted, or
// the password itself — holds the password nowhere but in what stands for
// the string, and Conn shows the user, the hosts and ports and the database
// only: the password never, but where it is also one of those.
func FuzzRedact(f *testing.F) {
	for _, tc := range leaked {
		f.Add(tc.conn)
	}
	for _, s := range []string{
		"postgres://u:pw@h:5432/db", "host=h password=secret1 user=u", "postgres://u@h/db?password=abc%20def",
		"host=h password='it''s' user=u", `host=h password='a\'b c' user=u`, "postgres://u:%41bc@h/db",
		"postgres://u:pw@h1,h2:5433/db", "user=u password=\x41bc host=h",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, conn string) {
		shown := redact.Conn(conn)
		cfg, err := pgconn.ParseConfig(conn)
		// What a URL holds between its user name and its last '@' is meant
		// as the password, whatever the parser made of it: it is never
		// shown but where it is also the user or a host (postgres://u:/pw@h/db
		// once showed "pw@h/db" as the database's name).
		if rest, ok := strings.CutPrefix(conn, "postgres://"); ok && err == nil {
			if at := strings.LastIndex(rest, "@"); at > 0 {
				if colon := strings.Index(rest[:at], ":"); colon >= 0 {
					meant := rest[colon+1 : at]
					// Taken for the password, it is judged below with it.
					taken, _ := url.PathUnescape(meant)
					if len(meant) >= 4 && taken != cfg.Password && strings.Contains(shown, meant) && !strings.Contains(cfg.User+"@"+addresses(cfg), meant) {
						t.Fatalf("Conn(%q) = %q shows %q, meant as the password", conn, shown, meant)
					}
				}
			}
		}
		if err != nil || cfg.Password == "" {
			return
		}
		pw := cfg.Password
		// Messages of NULs (which no connection string holds) around the
		// string, raw or %q-quoted, or around the password alone.
		// A password shorter than four characters is masked only inside its
		// string, and may be spelled by a message's quotes: Conn's check
		// below is what holds for it.
		msgs := []string{"\x00" + conn + "\x00", "\x00" + strconv.Quote(conn) + "\x00", "\x00" + pw + "\x00"}
		for _, msg := range msgs {
			if len(pw) < 4 {
				break
			}
			got := redact.Error(errors.New(msg), conn).Error()
			// What stands for the string, user@host:port/db, is judged
			// below; the mask may spell a short password ("x").
			rest := strings.NewReplacer(shown, "\x00", redact.Mask, "\x00").Replace(got)
			if strings.Contains(rest, pw) {
				t.Fatalf("Error(%q) shows the password %q: %q", msg, pw, got)
			}
		}
		// Conn shows the user, the hosts and ports, and the database: nothing
		// else of the string.
		if shown != redact.Unparseable && shown != cfg.User+"@"+addresses(cfg)+"/"+cfg.Database {
			t.Fatalf("Conn(%q) = %q: more than user@host:port/database", conn, shown)
		}
	})
}

func addresses(cfg *pgconn.Config) string {
	out := []string{cfg.Host + ":" + strconv.Itoa(int(cfg.Port))}
	for _, fb := range cfg.Fallbacks {
		if a := fb.Host + ":" + strconv.Itoa(int(fb.Port)); !slices.Contains(out, a) {
			out = append(out, a)
		}
	}
	return strings.Join(out, ",")
}
