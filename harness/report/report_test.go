package report_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/appydex/smoke/harness/browser"
	"github.com/appydex/smoke/harness/flow"
	"github.com/appydex/smoke/harness/report"
	"github.com/appydex/smoke/schema"
)

func TestAReportPassesOnlyWhenEveryStepDid(t *testing.T) {
	rep := report.New("verify")
	rep.Start("database").Pass("reachable")
	rep.Start("api").Skip("no --api-url")
	rep.Finish("fine")
	assert.True(t, rep.Passed, "a skipped step fails nothing")

	step := rep.Start("schema check")
	step.Findings = []schema.Finding{{ObjectType: schema.ObjectColumn, Object: "refresh_tokens.token_hash", Kind: schema.Missing,
		Severity: schema.Error, Want: "character varying(255)", WantSource: "model", GotSource: "live"}}
	step.Fail("1 problem")
	rep.Start("unfinished")
	rep.Finish("do not deploy")
	assert.False(t, rep.Passed)

	var text bytes.Buffer
	assert.NoError(t, rep.WriteText(&text))
	lines := strings.Split(strings.TrimRight(text.String(), "\n"), "\n")
	assert.Equal(t, "smoke verify", lines[0])
	assert.Regexp(t, `^FAIL schema check +\d+ms  1 problem$`, lines[3])
	assert.Equal(t, "       error   column refresh_tokens.token_hash: missing in live (model has character varying(255))", lines[4])
	assert.Regexp(t, `^\?\?\?  unfinished`, lines[5], "a step never finished shows as such, and fails the report")
	assert.Equal(t, "FAIL with 1 error: do not deploy", lines[6])
}

// Findings are counted by severity, and the verdict line says how many of
// each; each finding is followed by the rule that judged it and why. A
// strict report says so.
func TestTheVerdictCountsFindingsBySeverity(t *testing.T) {
	finding := func(severity schema.Severity, rule string) schema.Finding {
		return schema.Finding{ObjectType: schema.ObjectIndex, Object: "users.users_created_at_idx", Kind: schema.Unexpected, Severity: severity,
			Rule: rule, Reason: "it costs writes a little and breaks nothing", WantSource: "migrations", GotSource: "live"}
	}
	rep := report.New("verify")
	step := rep.Start("schema check")
	step.Findings = []schema.Finding{finding(schema.Notice, "index.unexpected"), finding(schema.Notice, "index.unexpected"),
		finding(schema.Warning, "index.missing")}
	step.Pass("agree")
	rep.Finish("deploy")
	assert.Equal(t, schema.Counts{Warnings: 1, Notices: 2}, rep.Counts)

	var text bytes.Buffer
	require.NoError(t, rep.WriteText(&text))
	assert.Contains(t, text.String(), "which migrations does not have\n               why index.unexpected: it costs writes a little and breaks nothing\n")
	assert.True(t, strings.HasSuffix(text.String(), "PASS with 1 warning, 2 notices: deploy\n"), "%s", text.String())

	var out bytes.Buffer
	require.NoError(t, rep.WriteJSON(&out))
	var doc map[string]any
	require.NoError(t, json.Unmarshal(out.Bytes(), &doc))
	assert.Equal(t, map[string]any{"errors": 0.0, "warnings": 1.0, "notices": 2.0}, doc["counts"])
	sch := &openapi3.Schema{}
	require.NoError(t, json.Unmarshal(report.Schema, sch))
	require.NoError(t, sch.VisitJSON(any(doc)), "the report follows report.schema.json")

	var junit bytes.Buffer
	rep.Strict = true
	require.NoError(t, rep.WriteJUnit(&junit))
	assert.Contains(t, junit.String(), `<property name="smoke.notices" value="2"></property>`)
	assert.Contains(t, junit.String(), `<property name="smoke.strict" value="true"></property>`)
	assert.Contains(t, junit.String(), "why index.missing: it costs writes a little")
	text.Reset()
	require.NoError(t, rep.WriteText(&text))
	assert.Contains(t, text.String(), "PASS with 1 warning, 2 notices (strict: warnings fail): deploy")
}

// Every kind of object a finding names is one the JSON schema allows.
func TestTheJSONSchemaNamesEveryObjectType(t *testing.T) {
	sch := &openapi3.Schema{}
	require.NoError(t, json.Unmarshal(report.Schema, sch))
	objectType := sch.Properties["steps"].Value.Items.Value.Properties["findings"].Value.Items.Value.Properties["object_type"].Value
	for _, ot := range schema.ObjectTypes() {
		assert.Contains(t, objectType.Enum, any(string(ot)))
	}
}

// An interrupt marks the step that was running, drops what failed only
// because the run was cancelled, and says so in the verdict.
func TestAnInterruptedReportNamesTheStepThatWasRunning(t *testing.T) {
	rep := report.New("run")
	rep.Start("postgres").Pass("PostgreSQL 15.18")
	migrate := rep.Start("migrate")
	at := time.Now()
	migrate.Fail("the migrations do not apply") // what the cancellation made of it
	migrate.Line("context canceled")
	for !time.Now().After(at) {
	}
	rep.Start("clone").Fail("no clone: context canceled") // began after the signal

	step := rep.Interrupt("interrupt", at, nil)
	assert.Equal(t, "migrate", step)
	assert.False(t, rep.Passed)
	require.Len(t, rep.Steps, 2, "nothing after the interrupted step is reported")
	assert.Equal(t, report.Pass, rep.Steps[0].Status, "a step that ended before the signal keeps its outcome")
	assert.Equal(t, report.Interrupted, rep.Steps[1].Status)

	var text, junit bytes.Buffer
	require.NoError(t, rep.WriteText(&text))
	assert.Contains(t, text.String(), "STOP migrate")
	assert.Contains(t, text.String(), `INTERRUPTED: interrupted (interrupt) during step "migrate"`)
	var doc any
	var out bytes.Buffer
	require.NoError(t, rep.WriteJSON(&out))
	require.NoError(t, json.Unmarshal(out.Bytes(), &doc))
	sch := &openapi3.Schema{}
	require.NoError(t, json.Unmarshal(report.Schema, sch))
	require.NoError(t, sch.VisitJSON(doc), "an interrupted report follows report.schema.json")
	require.NoError(t, rep.WriteJUnit(&junit))
	assert.Contains(t, junit.String(), `errors="1"`)
	assert.Contains(t, junit.String(), `<error message="interrupted (interrupt) while this step ran" type="smoke.interrupted">`)
}

// An interrupted run's verdict says what is true of its clean-up: that all
// it started was removed only when it was.
func TestAnInterruptedReportSaysWhatCouldNotBeRemoved(t *testing.T) {
	clean := report.New("run")
	clean.Start("postgres")
	clean.Interrupt("interrupt", time.Now(), nil)
	assert.Contains(t, clean.Verdict, "the servers, databases and containers it started have been removed")

	left := report.New("run")
	left.Start("postgres")
	left.Interrupt("interrupt", time.Now(), errors.New("the harness's PostgreSQL: drop database smoke_db_1: connection refused"))
	assert.NotContains(t, left.Verdict, "have been removed")
	assert.Contains(t, left.Verdict, "not all it started could be removed (the harness's PostgreSQL: drop database smoke_db_1: connection refused)")
	assert.NotContains(t, left.Verdict, "\n", "a verdict is one line")
}

// failingReport is a run that failed three ways: a migration PostgreSQL
// refused (its file and line in the step's lines), a finding that fails
// the verdict and a warning that does not, and a flow check.
func failingReport() *report.Report {
	rep := report.New("run")
	rep.Start("postgres").Pass("PostgreSQL 15.18 | container")
	mig := rep.Start("migrate")
	mig.Line("applied migrations/000003_add_service_type_requests_table.up.sql")
	mig.Line("migrations/000004_add_token_hash.up.sql:12:5: syntax error at or near \"COLUMN\" (SQLSTATE 42601)")
	mig.Fail("the migrations do not apply")
	check := rep.Start("schema check")
	check.Findings = []schema.Finding{
		{ObjectType: schema.ObjectColumn, Object: "refresh_tokens.token_hash", Kind: schema.Missing, Severity: schema.Error,
			Rule: "column.missing", Reason: "every write of it fails", Want: "character varying(255)", WantSource: "model", GotSource: "live",
			Fix: "ALTER TABLE refresh_tokens ADD COLUMN token_hash character varying(255);"},
		{ObjectType: schema.ObjectIndex, Object: "users.users_email_idx", Kind: schema.Missing, Severity: schema.Warning,
			Rule: "index.missing", Reason: "reads get slower", WantSource: "migrations", GotSource: "live", Fix: "CREATE INDEX users_email_idx ON users (email);"},
	}
	check.Fail("1 error among the model, the migrations and the database")
	fl := rep.Start("flow")
	fl.Flow = &flow.Result{Steps: []*flow.Step{{Name: flow.StepLogin, Checks: []flow.Check{
		{What: "status", OK: true}, {What: "status", OK: false, Detail: "want 200, got 500"}}}}}
	fl.Fail("1 of 2 checks failed in 1 steps")
	rep.Start("browser").Skip("no browser")
	rep.Finish("a check failed")
	return rep
}

// A CI job's summary says the verdict, every step in a table, and under
// "What failed" what to do: the lines, the failing checks, the findings
// that fail the verdict with the SQL that mends them.
func TestTheMarkdownSummarySaysWhatFailedAndHowToMendIt(t *testing.T) {
	var md bytes.Buffer
	require.NoError(t, failingReport().WriteMarkdown(&md))
	out := md.String()
	t.Log(out)
	assert.True(t, strings.HasPrefix(out, "## ❌ smoke run: FAIL\n"))
	assert.Contains(t, out, "| ✅ | postgres | ")
	assert.Contains(t, out, `PostgreSQL 15.18 \| container |`, "a pipe in a cell does not break the table")
	assert.Contains(t, out, "| ⏭️ | browser | ")
	assert.Contains(t, out, "### What failed")
	assert.Contains(t, out, "#### ❌ migrate: the migrations do not apply\n\n```text\napplied migrations/000003_add_service_type_requests_table.up.sql\nmigrations/000004_add_token_hash.up.sql:12:5")
	assert.Contains(t, out, "- **error** column `refresh_tokens.token_hash`")
	assert.Contains(t, out, "```sql\nALTER TABLE refresh_tokens ADD COLUMN token_hash character varying(255);\n```")
	assert.NotContains(t, out, "CREATE INDEX users_email_idx", "a warning fails nothing unless strict")
	assert.Contains(t, out, "- flow **login**: status: want 200, got 500")
	assert.NotContains(t, out, "#### ⏭️", "a skipped step is not a failure")
}

// In GitHub Actions, each failure is an annotation on the job — on the
// migration file and line where the message names one — and a warning
// that fails nothing is a warning.
func TestAnnotationsNameTheMigrationFileAndLine(t *testing.T) {
	var ann bytes.Buffer
	require.NoError(t, failingReport().WriteAnnotations(&ann))
	lines := strings.Split(strings.TrimRight(ann.String(), "\n"), "\n")
	t.Log(ann.String())
	assert.Contains(t, lines, "::error title=smoke run%3A migrate,file=migrations/000004_add_token_hash.up.sql,line=12::the migrations do not apply")
	assert.Contains(t, lines, "::error title=smoke run%3A flow login::status: want 200, got 500")
	assert.Contains(t, lines, "::error title=smoke run%3A flow::1 of 2 checks failed in 1 steps")
	var finding, warning string
	for _, l := range lines {
		if strings.Contains(l, "refresh_tokens.token_hash") {
			finding = l
		}
		if strings.Contains(l, "users_email_idx") {
			warning = l
		}
	}
	assert.True(t, strings.HasPrefix(finding, "::error title=smoke run%3A error column refresh_tokens.token_hash::"), finding)
	assert.Contains(t, finding, "every write of it fails")
	assert.True(t, strings.HasPrefix(warning, "::warning "), warning)
	for _, l := range lines {
		assert.True(t, strings.HasPrefix(l, "::error ") || strings.HasPrefix(l, "::warning "), "one command a line: %q", l)
	}
}

// The admin panel's problems reach every report with their class,
// severity and rule: the JSON (which follows the schema), the JUnit
// case's properties, the Markdown summary — a failing step's under "What
// failed", a passing step's warnings beneath — and a warning's annotation.
func TestTheAdminPanelsProblemsReachEveryReport(t *testing.T) {
	rep := report.New("verify")
	failed := rep.Start("admin panel")
	failed.Browser = &browser.Result{Landed: true, Page: "/dashboard", Requests: []browser.Request{}, Problems: []browser.Problem{
		{Class: browser.ClassSession, What: "the page's sign-out left the session live", Severity: schema.Error, Rule: "panel.session-live"}}}
	failed.Fail("the admin panel's sign-in failed in a browser")
	passed := rep.Start("admin panel again")
	passed.Browser = &browser.Result{Landed: true, Page: "/dashboard", Requests: []browser.Request{}, Problems: []browser.Problem{
		{Class: browser.ClassSecret, What: "the access token is in sessionStorage (under \"token\")", Severity: schema.Warning, Rule: "secret.access-token"}}}
	passed.Pass("signed in")
	rep.Finish("do not deploy")

	var out bytes.Buffer
	require.NoError(t, rep.WriteJSON(&out))
	var doc map[string]any
	require.NoError(t, json.Unmarshal(out.Bytes(), &doc))
	sch := &openapi3.Schema{}
	require.NoError(t, json.Unmarshal(report.Schema, sch))
	require.NoError(t, sch.VisitJSON(any(doc)), "the report follows report.schema.json")
	assert.Contains(t, out.String(), `"severity": "warning"`)
	assert.Contains(t, out.String(), `"rule": "secret.access-token"`)

	var junit bytes.Buffer
	require.NoError(t, rep.WriteJUnit(&junit))
	assert.Contains(t, junit.String(), `<property name="smoke.panel.error" value="session panel.session-live: the page&#39;s sign-out left the session live"></property>`)
	assert.Contains(t, junit.String(), `<property name="smoke.panel.warning" value="secret secret.access-token: the access token is in sessionStorage (under &#34;token&#34;)"></property>`)

	var md bytes.Buffer
	require.NoError(t, rep.WriteMarkdown(&md))
	assert.Contains(t, md.String(), "- **error** panel `session` (panel.session-live): the page's sign-out left the session live")
	assert.Contains(t, md.String(), "### Said of the admin panel, not failing\n\n- **warning** panel `secret` (secret.access-token): the access token is in sessionStorage")

	var ann bytes.Buffer
	require.NoError(t, rep.WriteAnnotations(&ann))
	assert.Contains(t, ann.String(), "::warning title=smoke verify%3A warning panel secret::the access token is in sessionStorage (under \"token\") (secret.access-token)")
}
