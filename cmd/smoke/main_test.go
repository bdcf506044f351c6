package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/appydex/smoke/harness/apitest"
	"github.com/appydex/smoke/harness/browser/kept"
	"github.com/appydex/smoke/harness/pgenv"
	"github.com/appydex/smoke/harness/pgtest"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden from what the commands print")

func TestMain(m *testing.M) {
	kept.ServeIfKeeper() // this binary, started again as a kept browser's keeper (--reuse)
	// The interrupt tests run this test binary as the smoke command itself.
	if os.Getenv(beTheCommand) == "1" {
		main()
	}
	referencePasswords = apitest.Passwords
	pgtest.Main(m)
}

// smoke runs the command as a user would, with this process's environment
// plus env, and returns its exit code and output.
// A failing browser step's screenshot goes to the test's own folder.
func smoke(t *testing.T, env map[string]string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	artifacts := t.TempDir()
	getenv := func(k string) string {
		if v, ok := env[k]; ok {
			return v
		}
		if k == "SMOKE_ARTIFACTS" {
			return artifacts
		}
		return testEnv(k)
	}
	var out, errOut bytes.Buffer
	code = run(t.Context(), args, getenv, &out, &errOut)
	return code, out.String(), errOut.String()
}

// testEnv is this process's environment as the command under test sees
// it: in GitHub Actions too, its summary and annotations are the job's own,
// not the tests' (a test that wants them sets them).
func testEnv(k string) string {
	if k == "GITHUB_ACTIONS" || k == "GITHUB_STEP_SUMMARY" {
		return ""
	}
	return os.Getenv(k)
}

// onTestServer points a command's own PostgreSQL at this test binary's
// server (the external source), so each command does not start another.
func onTestServer(t *testing.T) []string {
	srv := pgtest.Server(t)
	return []string{"--pg-source", "external", "--pg-url", srv.AdminURL()}
}

// normalize replaces what differs from run to run: timings, ports, database
// names, timestamps, the server's exact version and source.
var normalizers = []struct {
	re   *regexp.Regexp
	with string
}{
	{regexp.MustCompile(` +\d+ms`), " Nms"},
	{regexp.MustCompile(`127\.0\.0\.1:\d+`), "127.0.0.1:PORT"},
	{regexp.MustCompile(`smoke_(tpl|db)_[0-9a-f_]+`), "smoke_DB"},
	{regexp.MustCompile(`"time":"[^"]+"`), `"time":"TIME"`},
	{regexp.MustCompile(`PostgreSQL 15\.\d+ \(\w+ source\)`), "PostgreSQL 15.x (SOURCE source)"},
	{regexp.MustCompile(`PostgreSQL 15\.\d+ at`), "PostgreSQL 15.x at"},
}

func normalize(s string) string {
	for _, n := range normalizers {
		s = n.re.ReplaceAllString(s, n.with)
	}
	return s
}

// golden compares output with testdata/name.golden (rewritten with -update).
func golden(t *testing.T, name, output string) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	got := normalize(output)
	if *update {
		require.NoError(t, os.MkdirAll("testdata", 0o755))
		require.NoError(t, os.WriteFile(path, []byte(got), 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run with -update to write %s", path)
	assert.Equal(t, string(want), got, "output of %s (normalized)", name)
}

// The default: auto source, nothing configured, as `make smoke` runs it —
// but for the browser step, which browser_test.go covers (the golden file
// must not depend on whether Chromium is installed).
func TestRunOnItsEmbeddedDefault(t *testing.T) {
	t.Parallel()
	code, out, errOut := smoke(t, map[string]string{pgenv.EnvSource: "", pgenv.EnvURL: ""}, "run", "--no-browser")
	require.Equal(t, exitOK, code, "stdout:\n%s\nstderr:\n%s", out, errOut)
	golden(t, "run", out)
	assert.Contains(t, errOut, "smoke: starting PostgreSQL (auto source)…", "progress goes to stderr, as a plain line when it is no terminal")
	assert.NotRegexp(t, `postgres://postgres:[0-9a-f]{8,}@`, out, "no password in the output")
}

// A build's output, written as it comes (lines in pieces, blank lines),
// shows as whole lines of progress; with --json, nothing shows.
func TestProgressShowsABuildsLinesAsTheyCome(t *testing.T) {
	t.Parallel()
	var w bytes.Buffer
	p := newProgress(&w, false)
	end := p.begin("building appydex-smoke/fastapi:fixed")
	fmt.Fprint(p, "fastapi-image: debootstrap: 40 packages fetched\n\nfastapi-image: docker bu")
	fmt.Fprint(p, "ild appydex-smoke/fastapi:fixed\n")
	end()
	assert.Equal(t, "smoke: building appydex-smoke/fastapi:fixed…\n"+
		"smoke:   fastapi-image: debootstrap: 40 packages fetched\n"+
		"smoke:   fastapi-image: docker build appydex-smoke/fastapi:fixed\n", w.String())

	w.Reset()
	quiet := newProgress(&w, true)
	quiet.begin("building")()
	fmt.Fprint(quiet, "a line\n")
	assert.Empty(t, w.String(), "--json: no progress")
}

func TestReproTellsTheIncidentAndExitsZero(t *testing.T) {
	t.Parallel()
	code, out, errOut := smoke(t, nil, append([]string{"repro", "--no-browser"}, onTestServer(t)...)...)
	require.Equal(t, exitOK, code, "stdout:\n%s\nstderr:\n%s", out, errOut)
	golden(t, "repro", out)
	for _, want := range []string{
		"HTTP/1.1 500 Internal Server Error",
		`{"code":"INTERNAL_ERROR","message":"Something went wrong","details":{}}`,
		`column \"token_hash\" of relation \"refresh_tokens\" does not exist (SQLSTATE 42703)`,
		"error   column refresh_tokens.token_hash: missing in live (model has character varying(255))",
		"schema_migrations says version 3, clean (the newest file is 3)",
	} {
		assert.Contains(t, out, want)
	}
}

func TestUsageErrorsExitTwo(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"no command", nil, "no command given"},
		{"unknown command", []string{"launch"}, `unknown command "launch"`},
		{"unknown flag", []string{"run", "--bogus"}, "flag provided but not defined: -bogus"},
		{"unknown source", []string{"run", "--pg-source", "cloud"}, `unknown PostgreSQL source "cloud"`},
		{"stray argument", []string{"run", "extra"}, `unexpected arguments ["extra"]`},
		{"verify without a database", []string{"verify"}, "verify needs --database-url"},
		{"an API without credentials", []string{"verify", "--database-url", "postgres://x@127.0.0.1/db", "--api-url", "http://127.0.0.1:1"},
			"--api-url needs the account's --password and --totp-secret or --otp"},
		{"a password in the API's address", []string{"verify", "--database-url", "postgres://x@127.0.0.1/db", "--api-url", "https://ops:s3cret@api.example.com",
			"--otp", "000000", "--password", "pw"}, "--api-url carries a user name or password"},
		{"an admin panel without a browser", []string{"verify", "--database-url", "postgres://x@127.0.0.1/db", "--admin-url", "http://127.0.0.1:1/",
			"--otp", "000000", "--password", "pw", "--no-browser"}, "--admin-url signs in to the panel in a browser, and --no-browser leaves the browser out"},
		{"an admin landing that is not a path", []string{"verify", "--database-url", "postgres://x@127.0.0.1/db", "--admin-landing", "/home,admins"},
			`"admins" is not a path`},
		{"a refresh lifetime of zero", []string{"verify", "--database-url", "postgres://x@127.0.0.1/db", "--refresh-ttl", "0"},
			`invalid value "0" for flag -refresh-ttl: want a positive duration`},
		{"a negative access lifetime", []string{"verify", "--database-url", "postgres://x@127.0.0.1/db", "--access-ttl", "-1h"},
			`invalid value "-1h" for flag -access-ttl: want a positive duration`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, errOut := smoke(t, map[string]string{"SMOKE_PASSWORD": "", "SMOKE_OTP": ""}, tc.args...)
			assert.Equal(t, exitProblem, code)
			assert.Contains(t, errOut, tc.want)
			assert.Contains(t, errOut, "Usage", "a usage error shows the usage")
		})
	}
}

// Where the run will write is checked before it starts: a run must not
// print PASS and then fail to write its report.
func TestOutputsThatCannotBeWrittenAreRefusedBeforeTheRun(t *testing.T) {
	t.Parallel()
	file := filepath.Join(t.TempDir(), "a-file")
	require.NoError(t, os.WriteFile(file, nil, 0o600))
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"--junit under a file", []string{"run", "--no-browser", "--junit", filepath.Join(file, "report.xml")}, "--junit " + filepath.Join(file, "report.xml") + ": " + file + " is a file, not a folder"},
		{"--junit that is a folder", []string{"run", "--no-browser", "--junit", t.TempDir()}, "is a folder: give the file to write"},
		{"--artifacts under a file", []string{"run", "--artifacts", filepath.Join(file, "shots")}, "--artifacts " + filepath.Join(file, "shots") + " (where a failing browser step's screenshot goes): " + file + " is a file, not a folder"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := smoke(t, nil, tc.args...)
			assert.Equal(t, exitProblem, code)
			assert.Contains(t, errOut, tc.want)
			assert.Empty(t, out, "nothing ran")
		})
	}

	// A folder that does not exist yet is made when the report is written;
	// verify without --admin-url takes no screenshot, so --artifacts is
	// not its concern.
	junit := filepath.Join(t.TempDir(), "reports", "ci", "smoke.xml")
	code, _, errOut := verify(t, nil, pgtest.Clone(t).URL, "--junit", junit, "--artifacts", filepath.Join(file, "shots"))
	require.Equal(t, exitOK, code, errOut)
	raw, err := os.ReadFile(junit)
	require.NoError(t, err)
	assert.Contains(t, string(raw), "<testsuites")
}

func TestHelpDocumentsTheExitCodes(t *testing.T) {
	t.Parallel()
	code, out, _ := smoke(t, nil, "--help")
	assert.Equal(t, exitOK, code)
	for _, want := range []string{"0    all good", "1    findings or failed checks", "2    usage or infrastructure error", "130  interrupted"} {
		assert.Contains(t, out, want)
	}
	code, _, errOut := smoke(t, nil, "verify", "-h")
	assert.Equal(t, exitOK, code)
	assert.Contains(t, errOut, "Exit codes: 0 all good, 1 findings or failed checks, 2 usage or infrastructure error, 130 interrupted.")
	assert.Contains(t, errOut, "-database-url")
}

// The help shows flag defaults; one taken from the environment would show
// a password.
func TestHelpShowsNoSecretFromTheEnvironment(t *testing.T) {
	t.Parallel()
	env := map[string]string{"SMOKE_PASSWORD": "pw-from-env", "SMOKE_TOTP_SECRET": "JBSWY3DPEHPK3PXP",
		"SMOKE_INACTIVE_PASSWORD": "other-pw", pgenv.EnvURL: "postgres://smoke:url-secret@db:5432/postgres"}
	code, _, errOut := smoke(t, env, "verify", "-h")
	assert.Equal(t, exitOK, code)
	for _, secret := range []string{"pw-from-env", "JBSWY3DPEHPK3PXP", "other-pw", "url-secret"} {
		assert.NotContains(t, errOut, secret)
	}
	assert.Contains(t, errOut, "-totp-secret")
}

func TestRunWithNoPostgresAnywhereExitsTwo(t *testing.T) {
	t.Parallel()
	code, _, errOut := smoke(t, map[string]string{pgenv.EnvSource: "", pgenv.EnvURL: "",
		"DOCKER_HOST": "unix:///nonexistent/docker.sock", pgenv.EnvBinDir: "/nonexistent/bin"}, "run")
	assert.Equal(t, exitProblem, code)
	assert.Contains(t, errOut, "no PostgreSQL server could be started; tried:")
	assert.True(t, strings.Contains(errOut, "apt-get install postgresql-15"), errOut)
}

// --reuse keeps the harness's PostgreSQL for the next run, which attaches
// to it and finds its template built; smoke down stops it. The runs leave
// out the browser: what is kept is the server, and the browser's step has
// tests of its own (browser_test.go).
func TestReuseKeepsTheServerForTheNextRun(t *testing.T) {
	t.Parallel()
	pgtest.RequireSource(t, pgenv.Local, nil)
	// A folder of shared servers of this test's own: `smoke down` stops
	// only what this test kept, not what other packages share meanwhile.
	env := map[string]string{pgenv.EnvSharedDir: t.TempDir(), pgenv.EnvReuse: ""}
	t.Cleanup(func() { smoke(t, env, "down") })

	// The first two runs sign in through the panel too: the browser is kept
	// beside the server (where there is a browser), and the second run
	// signs in with it.
	code, out, errOut := smoke(t, env, "run", "--pg-source", "local", "--reuse")
	require.Equal(t, exitOK, code, "stdout:\n%s\nstderr:\n%s", out, errOut)
	assert.Regexp(t, `ok   postgres .*PostgreSQL 15\.\d+ \(local source\), kept for the next run until unused for 30m0s \(smoke down stops it\)`, out)
	keptBrowser := regexp.MustCompile(`ok   browser .*landed on /dashboard\n\s+browser: .*, kept for the next run`)
	browsed := !strings.Contains(out, "skip browser")
	if browsed {
		assert.Regexp(t, keptBrowser, out)
	}
	assert.Contains(t, out, "4 migrations applied to a template database")
	assert.NotContains(t, out, "as an earlier run on this kept server read them")

	code, out, errOut = smoke(t, env, "run", "--pg-source", "local", "--reuse=45m")
	require.Equal(t, exitOK, code, "stdout:\n%s\nstderr:\n%s", out, errOut)
	if browsed {
		assert.Regexp(t, keptBrowser, out)
	}
	assert.Contains(t, out, "4 migrations: their template database was already built on this server")
	assert.Contains(t, out, "kept for the next run until unused for 45m0s")
	assert.Contains(t, out, "model and migrations: as an earlier run on this kept server read them (the same files, server and smoke build); the database read now")
	assert.Contains(t, out, "model vs live: the same schema")

	code, out, _ = smoke(t, env, "down")
	require.Equal(t, exitOK, code)
	assert.Regexp(t, `smoke down: stopped PostgreSQL 15\.\d+ .*local cluster in`, out)
	if browsed {
		assert.Regexp(t, `smoke down: stopped the browser (on this host|in a container) \(`, out)
	}

	code, out, _ = smoke(t, env, "run", "--no-browser", "--pg-source", "local", "--reuse")
	require.Equal(t, exitOK, code)
	assert.Contains(t, out, "4 migrations applied to a template database", "a new server")
	assert.NotContains(t, out, "as an earlier run on this kept server read them", "what the stopped server's runs kept went with it")
	code, _, _ = smoke(t, env, "down")
	require.Equal(t, exitOK, code)

	code, out, _ = smoke(t, env, "run", "--no-browser", "--pg-source", "local", "--reuse=0")
	require.Equal(t, exitOK, code)
	assert.Contains(t, out, "4 migrations applied to a template database", "a new server, and not kept")
	assert.NotContains(t, out, "kept for the next run")

	code, _, errOut = smoke(t, map[string]string{EnvInImage: "1"}, "run", "--reuse")
	assert.Equal(t, exitProblem, code)
	assert.Contains(t, errOut, "--reuse (or $SMOKE_REUSE) keeps nothing in the smoke image")

	code, _, errOut = smoke(t, env, "run", "--reuse=sometimes")
	assert.Equal(t, exitProblem, code)
	assert.Contains(t, errOut, "give --reuse alone, --reuse=0, or how long to keep the server, e.g. --reuse=2h")
}

// A deployment's secrets are read once and withheld from what the command
// starts: a backend's build command, a keeper, a browser.
func TestSecretsAreWithheldFromWhatTheCommandStarts(t *testing.T) {
	t.Setenv("SMOKE_PASSWORD", "not-for-children")
	t.Setenv(EnvVerifyDatabaseURL, "postgres://ro:not-for-children@db:5432/appydex")
	getenv := withholdSecrets()
	assert.Equal(t, "not-for-children", getenv("SMOKE_PASSWORD"), "the command reads it")
	assert.Equal(t, "postgres://ro:not-for-children@db:5432/appydex", getenv(EnvVerifyDatabaseURL))
	out, err := exec.Command("env").Output()
	require.NoError(t, err)
	assert.NotContains(t, string(out), "not-for-children", "a child process does not inherit it")
	assert.Equal(t, os.Getenv("PATH"), getenv("PATH"), "the rest of the environment as it is")
}
