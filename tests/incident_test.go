package tests

import (
	"encoding/json"
	"io/fs"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/appydex/smoke/app/tables"
	"github.com/appydex/smoke/harness/apitest"
	"github.com/appydex/smoke/harness/drift"
	"github.com/appydex/smoke/harness/flow"
	"github.com/appydex/smoke/harness/live"
	"github.com/appydex/smoke/harness/migrator"
	"github.com/appydex/smoke/harness/pgtest"
	"github.com/appydex/smoke/migrations"
	"github.com/appydex/smoke/schema"
)

// The incident, from its report: a database whose newest migration is
// add_service_type_requests_table, an API whose model writes
// refresh_tokens.token_hash. Every login answers 500 while health, readiness
// probes and the OpenAPI document look fine to a load balancer; the schema
// check names the missing column; the pending migration mends it.
func TestTheIncidentReproducesAndThePendingMigrationFixesIt(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	db := pgtest.AtVersion(t, migrations.IncidentHead)
	api := apitest.Start(t, apitest.Options{DatabaseURL: db.URL})
	incidentFiles := migrator.Until(migrations.FS, migrations.IncidentHead)

	t.Run("the database says its newest migration is applied", func(t *testing.T) {
		live, err := live.Connect(ctx, db.URL)
		require.NoError(t, err)
		defer live.Close(ctx)
		state, err := drift.ReadState(ctx, live, incidentFiles, "migrations")
		require.NoError(t, err)
		assert.EqualValues(t, migrations.IncidentHead, state.Version)
		assert.Equal(t, state.Head, state.Version, "at the head of the incident's files: nothing looks pending")
		assert.False(t, state.Dirty)
	})

	t.Run("login answers 500 INTERNAL_ERROR", func(t *testing.T) {
		status, body := post(t, api.URL+"/api/v1/auth/login", admin)
		assert.Equal(t, 500, status)
		assert.JSONEq(t, `{"code":"INTERNAL_ERROR","message":"Something went wrong","details":{}}`, string(body))
	})

	t.Run("the API's log names the missing column", func(t *testing.T) {
		lines := api.LogLines(`"level":"ERROR"`, `column \"token_hash\" of relation \"refresh_tokens\" does not exist`)
		require.Len(t, lines, 1, "the API's log:\n%s", api.Logs())
		assert.Contains(t, lines[0], "SQLSTATE 42703")
	})

	t.Run("health and the OpenAPI document still answer 200", func(t *testing.T) {
		status, _ := get(t, api.URL+"/healthz")
		assert.Equal(t, 200, status)
		status, _ = get(t, api.URL+"/openapi/v1.json")
		assert.Equal(t, 200, status)
	})

	t.Run("readiness names the drift", func(t *testing.T) {
		status, body := get(t, api.URL+"/readyz")
		assert.Equal(t, 503, status)
		assert.Contains(t, string(body), `"code":"SCHEMA_DRIFT"`)
		assert.Contains(t, string(body), "column refresh_tokens.token_hash: missing in database")
	})

	t.Run("the schema check names refresh_tokens.token_hash", func(t *testing.T) {
		check := checkLive(t, db, incidentFiles)
		modelVsLive := check.Comparisons[len(check.Comparisons)-1]
		require.Equal(t, "model vs live", modelVsLive.Want+" vs "+modelVsLive.Got)
		require.NotEmpty(t, modelVsLive.Findings)
		first := modelVsLive.Findings[0]
		assert.Equal(t, "refresh_tokens.token_hash", first.Object)
		assert.Equal(t, schema.Missing, first.Kind)
		assert.Equal(t, schema.Error, first.Severity)
		assert.Equal(t, "ALTER TABLE refresh_tokens ADD COLUMN token_hash character varying(255);", first.Fix)
	})

	t.Run("the login flow fails at login", func(t *testing.T) {
		res, err := flow.Run(ctx, api.Flow())
		require.NoError(t, err)
		assert.False(t, res.Passed)
		login := res.Step(flow.StepLogin)
		require.NotNil(t, login)
		assert.Equal(t, 500, login.HTTPStatus)
		assert.Equal(t, "INTERNAL_ERROR", login.ErrorCode)
		// What needs login's tokens says so; what does not still runs.
		for _, s := range res.Steps {
			switch s.Name {
			case flow.StepHealth, flow.StepOpenAPI, flow.StepReady, flow.StepLogin, flow.StepWrongCredentials, flow.StepMalformed:
				assert.Empty(t, s.Skipped, "%s runs without a sign-in", s.Name)
			case flow.StepSignOut:
				assert.Equal(t, "the flow opened no session", s.Skipped)
			default:
				assert.Equal(t, "it needs the tokens of a sign-in, and login got none (it answered 500 INTERNAL_ERROR)", s.Skipped, s.Name)
			}
		}
		assert.NotNil(t, res.Step(flow.StepWrongCredentials), "wrong credentials ran")
	})

	// The report's recommended fix: run the pending migration.
	mg, err := migrator.New(db.URL, migrations.FS, migrations.Dir)
	require.NoError(t, err)
	require.NoError(t, mg.Up(ctx))
	require.NoError(t, mg.Close())

	t.Run("after the pending migration, login answers a token pair", func(t *testing.T) {
		status, body := post(t, api.URL+"/api/v1/auth/login", admin)
		require.Equal(t, 200, status, "%s", body)
		var pair map[string]any
		require.NoError(t, json.Unmarshal(body, &pair))
		assert.NotEmpty(t, pair["access_token"])
		assert.NotEmpty(t, pair["refresh_token"])
		assert.Equal(t, "bearer", pair["token_type"])
		assert.NotEmpty(t, pair["user"])
	})

	t.Run("after the pending migration, the model, the migrations and the database agree", func(t *testing.T) {
		check := checkLive(t, db, migrations.FS)
		assert.Empty(t, check.Findings(), "%s", schema.Lines(check.Findings()))
		status, body := get(t, api.URL+"/readyz")
		assert.Equal(t, 200, status, "%s", body)
	})

	t.Run("after the pending migration, the login flow passes", func(t *testing.T) {
		res, err := flow.Run(ctx, api.Flow())
		require.NoError(t, err)
		assert.True(t, res.Passed, "failed checks:\n%v", res.Failures())
	})
}

// checkLive is the pre-deploy check of db against the model and files.
func checkLive(t *testing.T, db *pgtest.DB, files fs.FS) *drift.Report {
	t.Helper()
	ctx := t.Context()
	live, err := live.Connect(ctx, db.URL)
	require.NoError(t, err)
	defer live.Close(ctx)
	check, err := drift.Check(ctx, drift.Options{Server: pgtest.Server(t), Model: tables.Schema, Migrations: files, Dir: "migrations", Live: live})
	require.NoError(t, err)
	return check
}
