package schematest

import (
	"bytes"
	"context"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Dump is what `pg_dump --schema-only` writes of the database at url, cut
// into statements and normalised only for what docs/drift.md says the
// comparison ignores: the order of the statements (pg_dump's follows object
// ids, which differ between a database built and one mended) and the order
// of a table's columns. Comments, SET lines and psql's \restrict guards are
// dropped, and storage parameters are sorted (their order has no effect).
// It is the independent oracle of the two-database fixtures: a
// script that smoke diff calls converged must leave the two dumps equal.
func Dump(tb testing.TB, dbURL string) []string {
	tb.Helper()
	bin := pgDump(tb)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	// The connection goes by libpq's environment, so the password is in
	// no command line and no error message.
	env, err := connEnv(dbURL)
	if err != nil {
		tb.Fatalf("schematest: %v", err)
	}
	cmd := exec.CommandContext(ctx, bin, "--schema-only", "--no-comments")
	cmd.Env = append(os.Environ(), env...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		tb.Fatalf("schematest: pg_dump --schema-only: %v: %s", err, stderr.String())
	}
	return Statements(string(out))
}

// connEnv is a postgres:// URL as libpq's environment variables.
func connEnv(dbURL string) ([]string, error) {
	u, err := url.Parse(dbURL)
	if err != nil || u.Scheme != "postgres" && u.Scheme != "postgresql" {
		return nil, fmt.Errorf("not a postgres:// URL")
	}
	password, _ := u.User.Password()
	env := []string{"PGHOST=" + u.Hostname(), "PGPORT=" + u.Port(), "PGUSER=" + u.User.Username(),
		"PGPASSWORD=" + password, "PGDATABASE=" + strings.TrimPrefix(u.Path, "/")}
	if mode := u.Query().Get("sslmode"); mode != "" {
		env = append(env, "PGSSLMODE="+mode)
	}
	return env, nil
}

// RequireSameDump fails the test unless the dumps of the databases at the
// two URLs hold the same statements, listing those only one of them has.
func RequireSameDump(tb testing.TB, wantName, wantURL, gotName, gotURL string) {
	tb.Helper()
	want, got := Dump(tb, wantURL), Dump(tb, gotURL)
	if only := DumpDiff(want, got); only != "" {
		tb.Fatalf("pg_dump --schema-only of %s differs from %s's:\n%s", gotName, wantName, only)
	}
}

// DumpDiff lists the statements only one of two dumps holds, "-" for want's
// and "+" for got's; "" when they hold the same.
func DumpDiff(want, got []string) string {
	count := map[string]int{}
	for _, s := range want {
		count[s]++
	}
	for _, s := range got {
		count[s]--
	}
	var b strings.Builder
	keys := make([]string, 0, len(count))
	for s := range count {
		keys = append(keys, s)
	}
	sort.Strings(keys)
	for _, s := range keys {
		for n := count[s]; n > 0; n-- {
			fmt.Fprintf(&b, "- %s\n", strings.ReplaceAll(s, "\n", "\n  "))
		}
		for n := count[s]; n < 0; n++ {
			fmt.Fprintf(&b, "+ %s\n", strings.ReplaceAll(s, "\n", "\n  "))
		}
	}
	return b.String()
}

var (
	dollarQuote = regexp.MustCompile(`\$[A-Za-z_0-9]*\$`)
	tableHead   = regexp.MustCompile(`^CREATE (UNLOGGED |FOREIGN )?TABLE `)
	withOptions = regexp.MustCompile(`WITH \([a-z_.]+='[^']*'(, [a-z_.]+='[^']*')*\)`)
)

// Statements cuts a dump into its statements, sorted, each with a table's
// column lines sorted and their trailing commas taken off.
func Statements(dump string) []string {
	var stmts []string
	var cur []string
	quote := "" // the dollar quote a function's body is inside, if any
	for _, line := range strings.Split(dump, "\n") {
		if quote == "" && len(cur) == 0 && skipped(line) {
			continue
		}
		cur = append(cur, line)
		for _, tag := range dollarQuote.FindAllString(line, -1) {
			switch quote {
			case "":
				quote = tag
			case tag:
				quote = ""
			}
		}
		if quote == "" && strings.HasSuffix(strings.TrimSpace(line), ";") {
			stmts = append(stmts, normalise(cur))
			cur = nil
		}
	}
	if len(cur) > 0 {
		stmts = append(stmts, normalise(cur))
	}
	sort.Strings(stmts)
	return stmts
}

func skipped(line string) bool {
	t := strings.TrimSpace(line)
	return t == "" || strings.HasPrefix(t, "--") || strings.HasPrefix(t, "SET ") ||
		strings.HasPrefix(t, "SELECT pg_catalog.set_config(") ||
		strings.HasPrefix(t, `\restrict`) || strings.HasPrefix(t, `\unrestrict`)
}

// normalise joins a statement's lines; a table's columns are sorted, since
// smoke diff adds a column at the end and docs/drift.md ignores their order,
// and so are the items of a WITH (name='value', …).
func normalise(lines []string) string {
	if len(lines) > 2 && tableHead.MatchString(lines[0]) && strings.HasSuffix(lines[0], "(") {
		end := slices.IndexFunc(lines, func(l string) bool { return strings.HasPrefix(l, ")") })
		if end > 1 {
			cols := slices.Clone(lines[1:end])
			for i, c := range cols {
				cols[i] = strings.TrimSuffix(c, ",")
			}
			sort.Strings(cols)
			lines = slices.Concat(lines[:1], cols, lines[end:])
		}
	}
	return withOptions.ReplaceAllStringFunc(strings.Join(lines, "\n"), func(with string) string {
		opts := strings.Split(with[len("WITH ("):len(with)-1], ", ")
		sort.Strings(opts)
		return "WITH (" + strings.Join(opts, ", ") + ")"
	})
}

// pgDump is the pg_dump to run: SMOKE_PG_BINDIR's, pg_config's, PATH's or
// the newest of Debian's. Without one the test is skipped, but not on CI,
// where a missing oracle must not pass unseen.
func pgDump(tb testing.TB) string {
	tb.Helper()
	var places []string
	if dir := os.Getenv("SMOKE_PG_BINDIR"); dir != "" {
		places = append(places, filepath.Join(dir, "pg_dump"))
	}
	if out, err := exec.Command("pg_config", "--bindir").Output(); err == nil {
		places = append(places, filepath.Join(strings.TrimSpace(string(out)), "pg_dump"))
	}
	if p, err := exec.LookPath("pg_dump"); err == nil {
		places = append(places, p)
	}
	debian, _ := filepath.Glob("/usr/lib/postgresql/*/bin/pg_dump")
	sort.Slice(debian, func(i, j int) bool { return majorOf(debian[i]) > majorOf(debian[j]) })
	places = append(places, debian...)
	for _, p := range places {
		if fi, err := os.Stat(p); err == nil && fi.Mode()&0o111 != 0 && majorOf(p) >= 15 {
			return p
		}
	}
	msg := "schematest: no pg_dump of PostgreSQL 15 or newer to judge the end state by: install postgresql-client-15 or set SMOKE_PG_BINDIR"
	if os.Getenv("CI") != "" {
		tb.Fatal(msg)
	}
	tb.Skip(msg)
	return ""
}

var pgDumpVersion = regexp.MustCompile(`\(PostgreSQL\) (\d+)`)

// majorOf is the major version pg_dump at path says it is; 0 when it
// says none.
func majorOf(path string) int {
	out, err := exec.Command(path, "--version").Output()
	if err != nil {
		return 0
	}
	m := pgDumpVersion.FindSubmatch(out)
	if m == nil {
		return 0
	}
	n, _ := strconv.Atoi(string(m[1]))
	return n
}
