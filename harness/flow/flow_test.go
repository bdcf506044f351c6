package flow_test

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/appydex/smoke/app/apitest"
	"github.com/appydex/smoke/app/seed"
	"github.com/appydex/smoke/harness/flow"
	"github.com/appydex/smoke/harness/pgtest"
	"github.com/appydex/smoke/migrations"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

func adminFlow(baseURL, databaseURL string) flow.Config {
	return flow.Config{BaseURL: baseURL, DatabaseURL: databaseURL,
		Email: seed.AdminEmail, Password: seed.AdminPassword, OTP: seed.DevOTP}
}

// The whole flow against the reference API in-process, on its own clone.
func TestFlowAgainstTheReferenceAPI(t *testing.T) {
	api := apitest.Start(t, apitest.Options{})
	res, err := flow.Run(context.Background(), adminFlow(api.URL, api.DatabaseURL))
	require.NoError(t, err)
	t.Logf("flow:\n%s", res.Text())
	require.True(t, res.Passed, "failed checks:\n%v", res.Failures())

	var names []string
	checks := 0
	for _, s := range res.Steps {
		names = append(names, s.Name)
		checks += len(s.Checks)
	}
	assert.Equal(t, []string{"health", "openapi", "ready", "login", "me", "stored token row", "refresh", "reuse",
		"logout", "wrong credentials", "malformed requests"}, names)
	assert.Greater(t, checks, 60, "every response is checked against the OpenAPI document as well")
}

// Against the incident's database the flow fails where users did: ready
// names the drift, and login answers 500.
func TestFlowAgainstTheIncidentHeadFailsAtLogin(t *testing.T) {
	ctx := context.Background()
	db := pgtest.AtVersion(t, migrations.IncidentHead)
	api := apitest.Start(t, apitest.Options{DatabaseURL: db.URL})

	res, err := flow.Run(ctx, adminFlow(api.URL, db.URL))
	require.NoError(t, err)
	t.Logf("flow:\n%s", res.Text())
	assert.False(t, res.Passed)
	failures := strings.Join(res.Failures(), "\n")
	assert.Contains(t, failures, "ready: the database answers and its schema matches the model (200): status 503")
	assert.Contains(t, failures, "column refresh_tokens.token_hash: missing in database")
	assert.Contains(t, failures, `login: signed in (200): status 500: {"code":"INTERNAL_ERROR","message":"Something went wrong","details":{}}`)
	assert.Equal(t, "login", res.Steps[len(res.Steps)-1].Name, "nothing runs after a failed login")
}

func TestFlowRefusesABadBaseURL(t *testing.T) {
	_, err := flow.Run(context.Background(), flow.Config{BaseURL: "localhost:16110"})
	require.Error(t, err)
	assert.Contains(t, err.Error(), `API URL "localhost:16110": want http(s)://host[:port]`)
}
