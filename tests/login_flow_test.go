package tests

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/appydex/smoke/app/apiserver"
	"github.com/appydex/smoke/app/apitest"
	"github.com/appydex/smoke/app/auth"
	"github.com/appydex/smoke/app/seed"
	"github.com/appydex/smoke/app/store"
	"github.com/appydex/smoke/harness/apicontainer"
	"github.com/appydex/smoke/harness/docker"
	"github.com/appydex/smoke/harness/flow"
	"github.com/appydex/smoke/harness/pgenv"
	"github.com/appydex/smoke/harness/pgtest"
	"github.com/appydex/smoke/migrations"
)

// The incident report's verification, in full: sign in, use the access
// token, refresh, present the rotated token again (reuse is detected and the
// family revoked), log out — checking every answer against the API's OpenAPI
// document and every row the API writes.
func TestTheLoginFlowPasses(t *testing.T) {
	api := apitest.Start(t, apitest.Options{})
	res, err := flow.Run(context.Background(), api.Flow())
	require.NoError(t, err)
	t.Logf("flow:\n%s", res.Text())
	require.True(t, res.Passed, "failed checks:\n%s", strings.Join(res.Failures(), "\n"))

	var names []string
	checks := 0
	for _, s := range res.Steps {
		names = append(names, s.Name)
		checks += len(s.Checks)
	}
	assert.Equal(t, []string{flow.StepHealth, flow.StepOpenAPI, flow.StepReady, flow.StepLogin, flow.StepMe, flow.StepForged,
		flow.StepStoredRow, flow.StepRefresh, flow.StepRace, flow.StepReuse, flow.StepLogout, flow.StepWrongCredentials,
		flow.StepMalformed, flow.StepExpired, flow.StepSignOut}, names)
	assert.Greater(t, checks, 150, "every response is checked against the OpenAPI document as well")
}

// The same flow in the incident's topology: the API in a container
// (FROM scratch), PostgreSQL in another, on one Docker network where the
// API reaches the database by its alias; the flow runs from here, through
// the API's published port.
func TestTheLoginFlowPassesInTheIncidentsTopology(t *testing.T) {
	pgtest.RequireDocker(t)
	ctx := context.Background()
	require.NoError(t, apicontainer.Build(ctx, ".."))

	nw, err := docker.NewNetwork(ctx)
	require.NoError(t, err)
	t.Cleanup(func() { nw.Remove(context.Background()) })

	cfg, err := pgtest.Config()
	require.NoError(t, err)
	cfg.Source, cfg.Network = pgenv.Container, nw.Name
	srv, err := pgenv.Start(ctx, cfg)
	require.NoError(t, err)
	t.Cleanup(func() { srv.Close(context.Background()) })
	tpl, err := srv.Template(ctx, migrations.FS, "migrations")
	require.NoError(t, err)
	db, err := tpl.Clone(ctx)
	require.NoError(t, err)
	st := store.New(pgtest.Pool(t, db.URL))
	_, err = seed.DevAdmin(ctx, st, auth.OWASP)
	require.NoError(t, err)
	_, err = seed.DevInactive(ctx, st, auth.OWASP)
	require.NoError(t, err)

	secret := make([]byte, 32)
	_, _ = rand.Read(secret)
	api, err := apicontainer.Start(ctx, apicontainer.Config{Network: nw.Name, DatabaseURL: srv.NetworkURL(db.Name),
		JWTSecret: hex.EncodeToString(secret), DevOTP: seed.DevOTP})
	require.NoError(t, err)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("the API container's log:\n%s", api.Logs(context.Background()))
		}
		api.Close(context.Background())
	})

	res, err := flow.Run(ctx, flow.Config{BaseURL: api.URL, DatabaseURL: db.URL,
		Email: seed.AdminEmail, Password: seed.AdminPassword, OTP: seed.DevOTP,
		InactiveEmail: seed.InactiveEmail, InactivePassword: seed.InactivePassword, RefreshTTL: apiserver.DefaultRefreshTTL})
	require.NoError(t, err)
	t.Logf("flow against %s:\n%s", api.URL, res.Text())
	require.True(t, res.Passed, "failed checks:\n%s", strings.Join(res.Failures(), "\n"))
}
