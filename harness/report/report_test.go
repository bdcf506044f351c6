package report_test

import (
	"bytes"
	"encoding/json"
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
	step.Findings = []schema.Finding{{ObjectType: "column", Object: "refresh_tokens.token_hash", Kind: schema.Missing,
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
	assert.Equal(t, "FAIL: do not deploy", lines[6])
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

	step := rep.Interrupt("interrupt", at)
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
