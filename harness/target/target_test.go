package target_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/appydex/smoke/harness/apitest"
	"github.com/appydex/smoke/harness/flow"
	"github.com/appydex/smoke/harness/pgenv"
	"github.com/appydex/smoke/harness/pgtest"
	"github.com/appydex/smoke/harness/report"
	"github.com/appydex/smoke/harness/target"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// reference is the reference target on this test binary's server.
func reference(t *testing.T, env target.Env) (target.Target, *report.Report) {
	t.Helper()
	env.PG = pgenv.Config{Source: pgenv.External, URL: pgtest.Server(t).AdminURL()}
	env.Passwords = apitest.Passwords
	tg := target.Reference(env)
	t.Cleanup(func() { assert.NoError(t, tg.Close(context.WithoutCancel(t.Context()))) })
	rep := report.New("repro")
	step, err := tg.Up(t.Context(), rep, "postgres")
	require.NoError(t, err)
	require.Equal(t, report.Pass, step.Status, "%s", step.Summary)
	return tg, rep
}

// What repro decides on comes back as values: at the incident's
// migrations, a database that claims the newest while the model has
// refresh_tokens.token_hash, which no migration creates; its API's
// readiness says so; after the newest migrations, nothing of it is left.
func TestTheReferenceTargetShowsTheIncidentAndItsFix(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	tg, rep := reference(t, target.Env{})
	db, err := tg.Database(ctx)
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Drop(context.WithoutCancel(ctx)) })

	ok, err := tg.Migrate(ctx, rep, "incident database", target.AtIncident, db)
	require.NoError(t, err)
	require.True(t, ok, "the incident's migrations apply")
	check, err := target.CheckOwn(ctx, rep, tg, "incident schema check", target.AtIncident, db)
	require.NoError(t, err)
	assert.True(t, check.ClaimsNewest, "the database records the newest migration it knows")
	assert.Contains(t, check.Unmigrated, "refresh_tokens.token_hash")
	assert.True(t, check.RootCause())
	assert.False(t, check.Passed, "the model is ahead of the migrations")
	assert.Equal(t, report.Fail, check.Step.Status)

	svc, err := tg.Start(ctx, target.AtIncident, db).Report(rep, "incident api")
	require.NoError(t, err)
	require.NotNil(t, svc)
	evidence, err := tg.Evidence(ctx, rep, svc, db)
	require.NoError(t, err)
	assert.True(t, evidence, "/readyz answers 503 naming the missing column")
	require.NoError(t, svc.Stop(ctx))

	ok, err = tg.Migrate(ctx, rep, "fix", target.Newest, db)
	require.NoError(t, err)
	require.True(t, ok)
	check, err = target.CheckOwn(ctx, rep, tg, "schema after the fix", target.Newest, db)
	require.NoError(t, err)
	assert.True(t, check.Passed, "%s", check.Step.Summary)
	assert.Empty(t, check.Unmigrated)
	assert.False(t, check.RootCause())
}

// The API a target starts allows the browser panel's origin, and only it.
func TestTheReferenceAPIAllowsThePanelsOrigin(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	const origin = "http://127.0.0.1:1"
	tg, rep := reference(t, target.Env{PanelOrigin: func() (string, error) { return origin, nil }})
	db, err := tg.Migrated(ctx, rep)
	require.NoError(t, err)
	require.NotNil(t, db)
	t.Cleanup(func() { _ = db.Drop(context.WithoutCancel(ctx)) })
	svc, err := tg.Start(ctx, target.Newest, db).Report(rep, "api")
	require.NoError(t, err)
	require.NotNil(t, svc)
	t.Cleanup(func() { _ = svc.Stop(context.WithoutCancel(ctx)) })

	preflight := func(from string) string {
		req, err := http.NewRequestWithContext(ctx, http.MethodOptions, svc.URL()+flow.DefaultPaths().Login, nil)
		require.NoError(t, err)
		req.Header.Set("Origin", from)
		req.Header.Set("Access-Control-Request-Method", http.MethodPost)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		return resp.Header.Get("Access-Control-Allow-Origin")
	}
	assert.Equal(t, origin, preflight(origin))
	assert.Empty(t, preflight("http://elsewhere.example"))
	assert.True(t, strings.HasPrefix(svc.Flow("").BaseURL, "http://"), "the flow signs in to the API it started")
}
