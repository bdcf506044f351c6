package flow_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

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

// The incident's topology: the API in a container, PostgreSQL in another,
// on one Docker network; the API reaches the database as "postgres" and
// publishes its port; the flow runs from here.
func TestFlowAgainstTheAPIContainer(t *testing.T) {
	if err := exec.Command("docker", "info").Run(); err != nil {
		if strings.Contains(os.Getenv("SMOKE_REQUIRE_SOURCES"), "container") {
			t.Fatalf("no Docker Engine answers, and the container source is required: %v", err)
		}
		t.Skipf("no Docker Engine answers: %v", err)
	}
	ctx := context.Background()
	require.NoError(t, apicontainer.Build(ctx, "../.."))

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

	_, err = seed.DevAdmin(ctx, store.New(pgtest.Pool(t, db.URL)), auth.OWASP)
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

	res, err := flow.Run(ctx, adminFlow(api.URL, db.URL))
	require.NoError(t, err)
	t.Logf("flow against %s:\n%s", api.URL, res.Text())
	require.True(t, res.Passed, "failed checks:\n%s", strings.Join(res.Failures(), "\n"))
}
