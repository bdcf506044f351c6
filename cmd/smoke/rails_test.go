package main

import (
	"context"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/appydex/smoke/harness/browser"
	"github.com/appydex/smoke/harness/pgtest"
)

// A second foreign stack, not Python: Ruby on Rails 6.1, Active Record's
// migrations, db/schema.rb as its model.
const rails = "../../fixtures/backends/rails"

// The incident's class of bug the Rails way — db/schema.rb committed with
// refresh_tokens.token_hash, the migration that adds it not — reproduced
// through the same description fields: the 500 envelope, the log line,
// every migration the image has applied, the root cause named; then the
// fixed image's migration and the whole flow. Exit 0.
func TestReproOfTheRailsBackend(t *testing.T) {
	t.Parallel()
	pgtest.RequireDocker(t)
	code, out, errOut := smoke(t, backendEnv, "repro", "--backend", rails)
	require.Equal(t, exitOK, code, "stdout:\n%s\nstderr:\n%s", out, errOut)
	for _, want := range []string{
		"HTTP/1.1 500 Internal Server Error",
		`{"code":"INTERNAL_ERROR","message":"Something went wrong","details":{}}`,
		"unknown attribute 'token_hash' for RefreshToken",
		"$ bin/rails db:migrations:applied\n       20240312090000 create_users\n       20240312091500 create_refresh_tokens\n       20240610140000 create_service_type_requests",
		"the database has applied every migration the incident's image has, the newest 20240610140000",
		"the database is at 20240610140000 (3 migrations applied), every migration the image has (3), and the model has refresh_tokens.token_hash, " +
			"which no migration creates: the model changed without a migration",
		"bin/rails db:migrate (appydex-smoke/rails:fixed)",
		"== 20240702110000 AddTokenHashToRefreshTokens: migrated",
		"PASS: the incident reproduced in rails",
	} {
		assert.Contains(t, out, want)
	}
	if _, err := browser.Find(os.Getenv); err == nil || os.Getenv(browser.EnvRequire) != "" {
		assert.Contains(t, out, "ok   browser after the fix")
	}
}

// Before a deploy: Active Record keeps a row per migration applied, so a
// migration merged late with an older timestamp than the newest applied
// is pending although the newest version says all is applied. verify
// reads schema_migrations itself and names it; once it is applied, the
// database passes.
func TestVerifyOfARailsDeploymentWithAMigrationAppliedOutOfOrder(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	desc, deployment, db := deploymentOf(t, rails)
	_, err := deployment.Run(ctx, "migrate", desc.Image, desc.Commands.Migrate, db, nil)
	require.NoError(t, err)
	_, err = deployment.Run(ctx, "roll back", desc.Image, []string{"bin/rails", "db:migrate:down", "VERSION=20240610140000"}, db, nil)
	require.NoError(t, err)

	code, out, errOut := smoke(t, backendEnv, "verify", "--backend", rails, "--database-url", db.URL)
	require.Equal(t, exitFailed, code, "stdout:\n%s\nstderr:\n%s", out, errOut)
	assert.Contains(t, out, "error   migration revision: pending migrations: 1 migration of the image's 4 not applied: 20240610140000; "+
		"20240610140000 is older than 20240702110000, the newest applied, so a look at the newest version alone says all is applied; fix: bin/rails db:migrate")
	assert.Contains(t, out, "error   table service_type_requests: missing in live")

	_, err = deployment.Run(ctx, "migrate", desc.Image, desc.Commands.Migrate, db, nil)
	require.NoError(t, err)
	code, out, errOut = smoke(t, backendEnv, "verify", "--backend", rails, "--database-url", db.URL)
	require.Equal(t, exitOK, code, "stdout:\n%s\nstderr:\n%s", out, errOut)
	assert.Contains(t, out, "migration state: the database is at 20240702110000 (4 migrations applied); the image has 4 migrations, the newest 20240702110000")
}
