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
