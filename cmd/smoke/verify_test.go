package main

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/jackc/pgx/v5"
	"github.com/pquerna/otp/totp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/appydex/smoke/app/auth"
	"github.com/appydex/smoke/app/seed"
	"github.com/appydex/smoke/app/store"
	"github.com/appydex/smoke/harness/apitest"
	"github.com/appydex/smoke/harness/flow"
	"github.com/appydex/smoke/harness/pgtest"
	"github.com/appydex/smoke/harness/report"
	"github.com/appydex/smoke/migrations"
	"github.com/appydex/smoke/schema"
)

// incidentDatabase is a database as the incident's was: migrated to
// add_service_type_requests_table, without token_hash.
func incidentDatabase(t *testing.T) *pgtest.DB { return pgtest.AtVersion(t, migrations.IncidentHead) }

func verify(t *testing.T, env map[string]string, databaseURL string, extra ...string) (int, string, string) {
	args := append([]string{"verify", "--database-url", databaseURL}, onTestServer(t)...)
	return smoke(t, env, append(args, extra...)...)
}

func TestVerifyPassesADatabaseAtTheNewestMigration(t *testing.T) {
	t.Parallel()
	code, out, errOut := verify(t, nil, pgtest.Clone(t).URL)
	require.Equal(t, exitOK, code, "stdout:\n%s\nstderr:\n%s", out, errOut)
	golden(t, "verify-clean", out)
}

func TestVerifyFailsTheIncidentsDatabase(t *testing.T) {
	t.Parallel()
	code, out, errOut := verify(t, nil, incidentDatabase(t).URL)
	require.Equal(t, exitFailed, code, "stdout:\n%s\nstderr:\n%s", out, errOut)
	golden(t, "verify-incident", out)
	assert.Contains(t, out, "error   migration schema_migrations: pending migrations: the database is at version 3")
	assert.Contains(t, out, "error   column refresh_tokens.token_hash: missing in live")
	assert.Contains(t, out, "FAIL with 4 errors: do not deploy")
}

// The incident's real shape: a version that claims the newest migration,
// and a column that is not there.
func TestVerifyFailsADatabaseThatClaimsHeadButDiffers(t *testing.T) {
	t.Parallel()
	db := pgtest.Clone(t)
	db.Exec(t, "ALTER TABLE refresh_tokens DROP COLUMN token_hash")
	code, out, _ := verify(t, nil, db.URL)
	assert.Equal(t, exitFailed, code)
	assert.Contains(t, out, "claims the newest migration but the schema differs: the database says version 4")
}

// verify never alters the database it checks: the catalog and every row
// are the same afterwards, bookkeeping tables included.
func TestVerifyIsReadOnly(t *testing.T) {
	t.Parallel()
	db := incidentDatabase(t)
	db.Exec(t, `INSERT INTO users (email, password_hash) VALUES ('someone@appydex.local', 'x');
		CREATE TABLE alembic_version (version_num varchar(32) PRIMARY KEY); INSERT INTO alembic_version VALUES ('2f6d5f68b472');`)
	before := fingerprint(t, db)
	code, out, _ := verify(t, nil, db.URL)
	require.Equal(t, exitFailed, code, "%s", out)
	assert.Contains(t, out, "alembic_version 2f6d5f68b472")
	assert.Equal(t, before, fingerprint(t, db), "the database changed during verify")
}

// fingerprint is the database's catalog and the contents of every table.
func fingerprint(t *testing.T, db *pgtest.DB) string {
	ctx := t.Context()
	conn := db.Pool
	snap, err := schema.Read(ctx, conn, "public", "fingerprint")
	require.NoError(t, err)
	catalog, err := json.Marshal(snap)
	require.NoError(t, err)
	rows, err := conn.Query(ctx, "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1")
	require.NoError(t, err)
	tables, err := pgx.CollectRows(rows, pgx.RowTo[string])
	require.NoError(t, err)
	var b strings.Builder
	b.Write(catalog)
	for _, table := range tables {
		var contents string
		require.NoError(t, conn.QueryRow(ctx, fmt.Sprintf(`SELECT coalesce(string_agg(t::text, '|' ORDER BY t::text), '') FROM %q t`, table)).Scan(&contents))
		fmt.Fprintf(&b, "\n%s: %s", table, contents)
	}
	var xacts int64
	require.NoError(t, conn.QueryRow(ctx, "SELECT count(*) FROM pg_prepared_xacts").Scan(&xacts))
	fmt.Fprintf(&b, "\nprepared transactions: %d", xacts)
	return b.String()
}

func TestVerifyRunsTheFlowAgainstAnAPI(t *testing.T) {
	t.Parallel()
	api := apitest.Start(t, apitest.Options{})
	env := map[string]string{"SMOKE_PASSWORD": seed.AdminPassword, "SMOKE_OTP": seed.DevOTP}
	code, out, errOut := verify(t, env, api.DatabaseURL, "--api-url", api.URL)
	require.Equal(t, exitOK, code, "stdout:\n%s\nstderr:\n%s", out, errOut)
	assert.Contains(t, out, "ok   flow")
	assert.Contains(t, out, "PASS: the deployment's database matches the model and the migrations, and the login flow passes against its API")

	code, out, _ = verify(t, nil, api.DatabaseURL, "--api-url", api.URL, "--password", "wrong", "--otp", seed.DevOTP)
	assert.Equal(t, exitFailed, code)
	assert.Contains(t, out, "login rejected: INVALID_CREDENTIALS")

	// The same, as a machine reads it: typed fields, not check texts.
	code, out, _ = verify(t, nil, api.DatabaseURL, "--api-url", api.URL, "--password", "wrong", "--otp", seed.DevOTP, "--json")
	assert.Equal(t, exitFailed, code)
	rep := validReport(t, out)
	flowStep := rep.Steps[len(rep.Steps)-1]
	require.NotNil(t, flowStep.Flow, "the last step is the flow")
	assert.False(t, flowStep.Flow.Passed)
	login := flowStep.Flow.Step(flow.StepLogin)
	require.NotNil(t, login)
	assert.Equal(t, 401, login.HTTPStatus)
	assert.Equal(t, "INVALID_CREDENTIALS", login.ErrorCode)
	assert.False(t, login.Unreachable)
}

// validReport checks that out is one JSON document following
// report.schema.json, and decodes it.
func validReport(t *testing.T, out string) *report.Report {
	t.Helper()
	var doc any
	require.NoError(t, json.Unmarshal([]byte(out), &doc), "stdout is one JSON document:\n%s", out)
	sch := &openapi3.Schema{}
	require.NoError(t, json.Unmarshal(report.Schema, sch))
	require.NoError(t, sch.VisitJSON(doc), "the JSON report follows report.schema.json")
	var rep report.Report
	require.NoError(t, json.Unmarshal([]byte(out), &rep))
	return &rep
}

// Against a deployment with real TOTP and no development code, verify signs
// in with a fresh code each time (waiting for the next 30-second step), sees
// a spent code refused, and shows neither the secret nor the password.
func TestVerifyWithATOTPSecretPasses(t *testing.T) {
	t.Parallel()
	api := apitest.Start(t, apitest.Options{NoDevOTP: true})
	key, err := totp.Generate(totp.GenerateOpts{Issuer: "appydex", AccountName: "ops@appydex.local"})
	require.NoError(t, err)
	hash, err := auth.HashPassword("ops-pass-1!", apitest.Passwords)
	require.NoError(t, err)
	_, err = store.New(api.DB).UpsertUser(t.Context(), store.NewUser{Email: "ops@appydex.local", PasswordHash: hash,
		Roles: []string{"admin"}, TOTPSecret: key.Secret()})
	require.NoError(t, err)

	env := map[string]string{"SMOKE_PASSWORD": "ops-pass-1!", "SMOKE_TOTP_SECRET": key.Secret(), "SMOKE_OTP": ""}
	code, out, errOut := verify(t, env, api.DatabaseURL, "--api-url", api.URL, "--email", "ops@appydex.local",
		"--inactive-email", seed.InactiveEmail, "--inactive-password", seed.InactivePassword)
	require.Equal(t, exitOK, code, "stdout:\n%s\nstderr:\n%s", out, errOut)
	assert.Contains(t, out, "ok   one-time code replay")
	for _, secret := range []string{key.Secret(), "ops-pass-1!", seed.InactivePassword} {
		assert.NotContains(t, out+errOut, secret)
	}
	assert.NotRegexp(t, `eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]+\.`, out+errOut, "no whole token in the output")
}

func TestVerifyWithUnreachableTargetsExitsTwo(t *testing.T) {
	t.Parallel()
	code, out, errOut := verify(t, nil, "postgres://deploy:pr0d-secret@127.0.0.1:1/appydex")
	assert.Equal(t, exitProblem, code)
	assert.Contains(t, errOut, "deploy@127.0.0.1:1/appydex")
	assert.Contains(t, out, "FAIL database")
	assert.Contains(t, out, "deploy@127.0.0.1:1/appydex: connection refused: nothing listens at that host and port")
	assert.Contains(t, errOut, "connection refused")
	assert.NotContains(t, out+errOut, "pr0d-secret")
	// The report ends with a verdict like any other: a check that could
	// not finish is no reason to deploy.
	assert.Contains(t, out, "FAIL: do not deploy: the check could not finish: ")

	code, out, errOut = verify(t, nil, pgtest.Clone(t).URL, "--api-url", "http://127.0.0.1:1", "--password", "x", "--otp", "0")
	assert.Equal(t, exitProblem, code)
	assert.Contains(t, out, "FAIL: do not deploy: the check could not finish: API http://127.0.0.1:1 does not answer")
	assert.Contains(t, errOut, "API http://127.0.0.1:1 does not answer: GET /healthz answers")
	assert.Contains(t, errOut, "connection refused")
}

// A connection string is shown as user@host:port/database, or not at all
// when it does not parse: no output path — stdout, stderr, --json, --junit —
// holds its password, however malformed the string.
func TestMalformedConnectionStringsLeakNoPassword(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ conn, says string }{
		{"postgres://deploy:S3cret PW@127.0.0.1:1/appydex", "[unparseable connection string]: does not parse: not a valid URL: percent-encode"},
		{"host=127.0.0.1 port=1 user=deploy password = S3cretKW dbname=appydex", "deploy@127.0.0.1:1/appydex: connection refused"},
		{`host=127.0.0.1 port=1 user=deploy password='a\' S3cretQ' dbname=appydex`, "deploy@127.0.0.1:1/appydex: connection refused"},
		{"postgres://deploy:p@S3cretAt@127.0.0.1:1/appydex", "its host name holds an '@'"},
	} {
		junit := filepath.Join(t.TempDir(), "report.xml")
		for _, format := range [][]string{{"--json"}, {}} {
			code, out, errOut := verify(t, nil, tc.conn, append(format, "--junit", junit)...)
			assert.Equal(t, exitProblem, code, tc.conn)
			raw, err := os.ReadFile(junit)
			require.NoError(t, err)
			all := out + errOut + string(raw)
			assert.Contains(t, all, tc.says, tc.conn)
			assert.NotContains(t, all, "S3cret", "%s: %s", tc.conn, all)
		}
		code, out, errOut := diff(t, tc.conn, "migrations")
		assert.Equal(t, exitProblem, code, tc.conn)
		assert.NotContains(t, out+errOut, "S3cret", tc.conn)
	}
}

// --json follows harness/report/report.schema.json; --junit is JUnit XML a
// CI system reads: counts that add up, a failure per failed step.
func TestJSONAndJUnitOutputsValidate(t *testing.T) {
	t.Parallel()
	junit := filepath.Join(t.TempDir(), "report.xml")
	code, out, _ := verify(t, nil, incidentDatabase(t).URL, "--json", "--junit", junit)
	require.Equal(t, exitFailed, code)

	rep := validReport(t, out)
	assert.Equal(t, "verify", rep.Command)
	assert.False(t, rep.Passed)

	raw, err := os.ReadFile(junit)
	require.NoError(t, err)
	var suites struct {
		XMLName  xml.Name `xml:"testsuites"`
		Tests    int      `xml:"tests,attr"`
		Failures int      `xml:"failures,attr"`
		Suites   []struct {
			Name  string `xml:"name,attr"`
			Tests int    `xml:"tests,attr"`
			Cases []struct {
				Name    string `xml:"name,attr"`
				Time    string `xml:"time,attr"`
				Failure *struct {
					Message string `xml:"message,attr"`
					Text    string `xml:",chardata"`
				} `xml:"failure"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	require.NoError(t, xml.Unmarshal(raw, &suites), "%s", raw)
	require.Len(t, suites.Suites, 1)
	s := suites.Suites[0]
	assert.Equal(t, "smoke verify", s.Name)
	assert.Equal(t, len(s.Cases), s.Tests)
	assert.Equal(t, len(s.Cases), suites.Tests)
	failures := 0
	for _, c := range s.Cases {
		assert.NotEmpty(t, c.Time)
		if c.Failure != nil {
			failures++
			if c.Name == "schema check" {
				assert.Contains(t, c.Failure.Text, "column refresh_tokens.token_hash: missing in live")
			}
		}
	}
	assert.Equal(t, failures, suites.Failures)
	assert.Positive(t, failures)
}

// In GitHub Actions the gate speaks the job's own words: a summary
// appended to the job's ($GITHUB_STEP_SUMMARY) with the SQL that mends
// each error, and an annotation on the job for each failure, on stderr so
// that stdout stays the report. No password reaches either.
func TestVerifyInGitHubActionsWritesTheJobSummaryAndAnnotations(t *testing.T) {
	t.Parallel()
	summary := filepath.Join(t.TempDir(), "step-summary.md")
	require.NoError(t, os.WriteFile(summary, []byte("an earlier step's summary\n"), 0o644))
	db := incidentDatabase(t)
	env := map[string]string{"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": summary}
	code, out, errOut := verify(t, env, db.URL)
	require.Equal(t, exitFailed, code, "stdout:\n%s\nstderr:\n%s", out, errOut)

	b, err := os.ReadFile(summary)
	require.NoError(t, err)
	md := string(b)
	assert.True(t, strings.HasPrefix(md, "an earlier step's summary\n## ❌ smoke verify: FAIL\n"), "appended, as each step of a job appends its own:\n%s", md)
	assert.Contains(t, md, "| ❌ | schema check |")
	assert.Contains(t, md, "- **error** column `refresh_tokens.token_hash`: missing in live")
	assert.Regexp(t, "```sql\nALTER TABLE [^\n]*refresh_tokens[^\n]* ADD COLUMN token_hash ", md, "the SQL that mends it")
	assert.Contains(t, errOut, "::error title=smoke verify%3A schema check::")
	assert.Contains(t, errOut, "::error title=smoke verify%3A error column refresh_tokens.token_hash::missing in live")
	assert.NotContains(t, out, "::error", "stdout stays the report")
	u, err := url.Parse(db.URL)
	require.NoError(t, err)
	if password, ok := u.User.Password(); ok {
		assert.NotContains(t, md+errOut, password)
	}

	// Elsewhere, neither, unless asked for; the database's URL, a CI
	// secret, may come from the environment instead of the command line.
	code, out, errOut = smoke(t, map[string]string{EnvVerifyDatabaseURL: db.URL}, append([]string{"verify"}, onTestServer(t)...)...)
	require.Equal(t, exitFailed, code, "stdout:\n%s\nstderr:\n%s", out, errOut)
	assert.Contains(t, out, "FAIL schema check")
	assert.NotContains(t, errOut, "::error")
	asked := filepath.Join(t.TempDir(), "summary", "smoke.md")
	code, _, _ = verify(t, nil, db.URL, "--summary", asked)
	require.Equal(t, exitFailed, code)
	b, err = os.ReadFile(asked)
	require.NoError(t, err, "--summary makes the file's folder")
	assert.True(t, strings.HasPrefix(string(b), "## ❌ smoke verify: FAIL\n"))
}

func TestVersionNamesTheBuild(t *testing.T) {
	t.Parallel()
	code, out, _ := smoke(t, nil, "version")
	require.Equal(t, exitOK, code)
	assert.Regexp(t, `^smoke \S+ \((commit [0-9a-f]{12}|commit unknown: built outside a git checkout)[^)]*\) go1\.\d+`, out)
}
