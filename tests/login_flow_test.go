package tests

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/appydex/smoke/harness/apitest"
	"github.com/appydex/smoke/harness/flow"
)

// The incident report's verification, in full: sign in, use the access
// token, refresh, present the rotated token again (reuse is detected and the
// family revoked), log out — checking every answer against the API's OpenAPI
// document and every row the API writes.
func TestTheLoginFlowPasses(t *testing.T) {
	t.Parallel()
	api := apitest.Start(t, apitest.Options{})
	res, err := flow.Run(t.Context(), api.Flow())
	require.NoError(t, err)
	t.Logf("flow:\n%s", res.Text())
	require.True(t, res.Passed, "failed checks:\n%s", strings.Join(res.Failures(), "\n"))

	var names []string
	checks := 0
	for _, s := range res.Steps {
		names = append(names, s.Name)
		checks += len(s.Checks)
	}
	assert.Equal(t, []string{flow.StepHealth, flow.StepOpenAPI, flow.StepReady, flow.StepLogin, flow.StepCodeReplay, flow.StepMe, flow.StepForged,
		flow.StepStoredRow, flow.StepRefresh, flow.StepRace, flow.StepReuse, flow.StepLogout, flow.StepWrongCredentials,
		flow.StepMalformed, flow.StepExpired, flow.StepSignOut}, names)
	assert.Greater(t, checks, 150, "every response is checked against the OpenAPI document as well")
	assert.Contains(t, res.Step(flow.StepCodeReplay).Skipped, "a fixed one", "the development account's code is fixed: nothing to replay, and said so")
}
