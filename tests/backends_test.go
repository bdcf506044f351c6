package tests

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/appydex/smoke/harness/backend"
	"github.com/appydex/smoke/harness/drift"
	"github.com/appydex/smoke/harness/flow"
	"github.com/appydex/smoke/harness/pgenv"
	"github.com/appydex/smoke/harness/pgtest"
	"github.com/appydex/smoke/schema"
)

// upBackend starts the backend described in fixtures/backends/name beside
// a PostgreSQL container on a network of its own (building its images if
// they are missing), removed when the test ends.
func upBackend(t *testing.T, name string) *backend.Stack {
	t.Helper()
	pgtest.RequireDocker(t)
	desc, err := backend.Load("../fixtures/backends/" + name)
	require.NoError(t, err)
	cfg, err := pgtest.Config()
	require.NoError(t, err)
	cfg.Source = pgenv.Container
	_, err = backend.EnsureImages(context.Background(), desc, cfg, []string{desc.Image, desc.Incident.Image}, nil, "")
	require.NoError(t, err)
	stack, err := backend.Up(context.Background(), desc, cfg)
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, stack.Close(context.Background())) })
	return stack
}

// read is db's schema as PostgreSQL prints it.
func read(t *testing.T, db *pgenv.Database, source string) *schema.Snapshot {
	t.Helper()
	snap, err := schema.Read(t.Context(), pgtest.Pool(t, db.URL), "public", source)
	require.NoError(t, err)
	return snap
}

// serve seeds db and starts the backend from image on it.
func serve(t *testing.T, stack *backend.Stack, image string, db *pgenv.Database) *backend.Service {
	t.Helper()
	ctx := context.Background()
	_, err := stack.Run(ctx, "seed", image, stack.Desc.Commands.Seed, db, nil)
	require.NoError(t, err)
	svc, err := stack.Start(ctx, image, db)
	require.NoError(t, err)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("%s's log:\n%s", stack.Desc.Name, svc.Logs(context.Background()))
		}
	})
	return svc
}

// Backends this repository did not write — the incident's own stack
// (FastAPI and alembic), a Rails one (Active Record, whose
// schema_migrations holds a row per migration applied) — and the
// reference API, each described by a backend.yaml, are judged the same
// way: their model against their migrations and the database their
// own tool migrated, their revision against their image's heads, and the
// whole login flow against them in containers.
func TestEveryBackendAgreesWithItselfAndPassesTheFlow(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"fastapi", "rails", "reference"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ctx := t.Context()
			stack := upBackend(t, name)
			desc := stack.Desc

			template, migrations, err := stack.Migrated(ctx, desc.Image)
			require.NoError(t, err)
			db, err := stack.Server.Copy(ctx, template)
			require.NoError(t, err)
			model, err := stack.Model(ctx, desc.Image)
			require.NoError(t, err)
			revisions, err := stack.Revisions(ctx, desc.Image, db)
			require.NoError(t, err)

			comparisons := drift.Compare(model, migrations, read(t, db, "live"))
			for _, c := range comparisons {
				assert.Empty(t, schema.Lines(c.Findings), "%s vs %s", c.Want, c.Got)
			}
			assert.Equal(t, revisions.Heads, revisions.Current, "the database is at the image's head")
			assert.Empty(t, revisions.Findings(comparisons, desc.Commands.Migrate))

			svc := serve(t, stack, desc.Image, db)
			res, err := flow.Run(ctx, desc.Flow(svc.URL, db.URL))
			require.NoError(t, err)
			t.Logf("flow against %s:\n%s", name, res.Text())
			assert.True(t, res.Passed, "failed checks:\n%s", strings.Join(res.Failures(), "\n"))
		})
	}
}
