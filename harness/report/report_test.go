package report_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

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
