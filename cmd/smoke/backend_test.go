package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/appydex/smoke/harness/backend"
	"github.com/appydex/smoke/harness/browser"
	"github.com/appydex/smoke/harness/pgenv"
	"github.com/appydex/smoke/harness/pgtest"
)

const fastapi = "../../fixtures/backends/fastapi"

// backendEnv runs a backend's PostgreSQL as the container it must be,
// whatever this test binary's own source is.
var backendEnv = map[string]string{pgenv.EnvSource: "container", pgenv.EnvURL: ""}

// The incident's own stack, from nothing, with the report's three pieces
// of evidence: the 500 envelope, the backend's log line, alembic current —
// then the report's Option 1, and the whole flow. Exit 0.
func TestReproOfTheFastAPIBackendShowsTheReportsEvidence(t *testing.T) {
	t.Parallel()
	pgtest.RequireDocker(t)
	code, out, errOut := smoke(t, backendEnv, "repro", "--backend", fastapi)
	require.Equal(t, exitOK, code, "stdout:\n%s\nstderr:\n%s", out, errOut)
	for _, want := range []string{
		"HTTP/1.1 500 Internal Server Error",
		`{"code":"INTERNAL_ERROR","message":"Something went wrong","details":{}}`,
		`log: sqlalchemy.exc.ProgrammingError: (psycopg2.errors.UndefinedColumn) column "token_hash" of relation "refresh_tokens" does not exist`,
		"$ alembic current\n       2f6d5f68b472 (head)",
		"the database is at 2f6d5f68b472, the image's only head is 2f6d5f68b472, and the model has refresh_tokens.token_hash, which no migration creates: the model changed without a migration",
		"ok   fix",
		"alembic upgrade head (appydex-smoke/fastapi:fixed)",
		"PASS: the incident reproduced in fastapi",
		// Which images ran, and how they are known current.
		"appydex-smoke/fastapi:fixed: image ", "appydex-smoke/fastapi:incident: image ", "by `bash build.sh`",
	} {
		assert.Contains(t, out, want)
	}
	// The admin panel, where a browser is installed (CI requires one).
	if _, err := browser.Find(os.Getenv); err == nil || os.Getenv(browser.EnvRequire) != "" {
		for _, want := range []string{
			`ok   browser at the incident`,
			`the page stayed on / and showed: "Something went wrong (INTERNAL_ERROR, HTTP 500)"`,
			"/api/v1/auth/login → 500 INTERNAL_ERROR",
			"ok   browser after the fix",
			"the page landed on /dashboard",
		} {
			assert.Contains(t, out, want)
		}
	}
}

// describe writes a copy of the fastapi description with edits (old, new
// pairs) into a folder of its own, and returns the folder.
func describe(t *testing.T, edits ...string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(fastapi, "backend.yaml"))
	require.NoError(t, err)
	text := string(b)
	for i := 0; i+1 < len(edits); i += 2 {
		require.Contains(t, text, edits[i])
		text = strings.Replace(text, edits[i], edits[i+1], 1)
	}
	// The copy's build command is the fixture's script, which finds its
	// files beside itself: a run runs it first, to keep the images current.
	script, err := filepath.Abs(filepath.Join(fastapi, "build.sh"))
	require.NoError(t, err)
	text = strings.Replace(text, "build: [bash, build.sh]", "build: [bash, "+script+"]", 1)
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "backend.yaml"), []byte(text), 0o644))
	return dir
}

func TestABadBackendDescriptionExitsTwoNamingTheFieldAndTheFile(t *testing.T) {
	t.Parallel()
	dir := describe(t, "port: 8000", "port: 8000\nprot: 8001")
	code, _, errOut := smoke(t, backendEnv, "run", "--backend", dir)
	assert.Equal(t, exitProblem, code)
	assert.Contains(t, errOut, filepath.Join(dir, "backend.yaml"))
	assert.Contains(t, errOut, "field prot not found")

	dir = describe(t, "  seed: [python3, -m, app.cli, seed]\n", "")
	code, _, errOut = smoke(t, backendEnv, "run", "--backend", dir)
	assert.Equal(t, exitProblem, code)
	assert.Contains(t, errOut, "missing commands.seed")

	// repro of a backend that names no incident: said before anything starts.
	dir = describe(t, "  image: appydex-smoke/fastapi:incident\n", "")
	code, out, errOut := smoke(t, backendEnv, "repro", "--no-browser", "--backend", dir)
	assert.Equal(t, exitProblem, code)
	assert.Contains(t, errOut, filepath.Join(dir, "backend.yaml")+" names no incident image (incident.image): nothing to reproduce")
	assert.NotContains(t, out, "postgres", "nothing started")
}

// What goes wrong in the backend is reported, with its own words: a
// migration that fails, with its output and exit code; a backend that
// never becomes healthy, with the end of its log; an image that is not
// there and does not build, with the build command.
func TestABrokenBackendIsReportedInItsOwnWords(t *testing.T) {
	t.Parallel()
	pgtest.RequireDocker(t)
	t.Run("a failing migration", func(t *testing.T) {
		t.Parallel()
		code, out, errOut := smoke(t, backendEnv, "run", "--backend", describe(t, "migrate: [alembic, upgrade, head]", "migrate: [alembic, upgrade, 0000deadbeef]"))
		assert.Equal(t, exitFailed, code, "stdout:\n%s\nstderr:\n%s", out, errOut)
		assert.Contains(t, out, "FAIL migrate")
		assert.Contains(t, out, "alembic upgrade 0000deadbeef exited 255")
		assert.Contains(t, out, "Can't locate revision identified by '0000deadbeef'", "the command's own output")
	})
	// It answers, but not on the path its description gives for health: said
	// as soon as it answers 404 for a second, not after start_timeout.
	t.Run("a backend that never becomes healthy", func(t *testing.T) {
		t.Parallel()
		code, out, errOut := smoke(t, backendEnv, "run", "--backend", describe(t, "health: /healthz", "health: /nowhere", "port: 8000", "port: 8000\nstart_timeout: 90s"))
		assert.Equal(t, exitFailed, code, "stdout:\n%s\nstderr:\n%s", out, errOut)
		assert.Contains(t, out, "FAIL api")
		assert.Contains(t, out, "never became healthy: GET http://")
		assert.Contains(t, out, "/nowhere answers 404 Not Found: the backend runs, but has no such path")
		assert.Contains(t, out, "the end of its log", "the backend's own words")
		assert.Contains(t, out, "Uvicorn running on", "the backend's own words")
	})
	t.Run("an image that is not there and does not build", func(t *testing.T) {
		t.Parallel()
		code, out, errOut := smoke(t, backendEnv, "run", "--backend", describe(t, "image: appydex-smoke/fastapi:fixed", "image: appydex-smoke/fastapi:nowhere",
			"build: [bash, build.sh]", "build: [bash, -c, 'echo no such recipe; exit 3']",
			"image: appydex-smoke/fastapi:incident", "image: appydex-smoke/fastapi:nowhere-either"))
		assert.Equal(t, exitProblem, code)
		assert.Contains(t, errOut, "image appydex-smoke/fastapi:nowhere is not on this machine, and its build (bash -c echo no such recipe; exit 3")
		assert.Contains(t, errOut, "smoke:   no such recipe\n", "the build's own lines, as progress while it runs")
		assert.Contains(t, out, "FAIL image", "the image's own step, not PostgreSQL's")
		assert.NotContains(t, out, "postgres")
		assert.NotContains(t, out+errOut, "nowhere-either", "run does not need the incident's image")
	})
}

// Before a deploy of the fixed image: a database the incident's image
// migrated is behind the image's head — do not deploy; once the fixed
// image's migration ran, the database matches its model and migrations.
// verify reads the revision from alembic_version itself: nothing of the
// backend runs against the deployment's database.
func TestVerifyOfADeploymentOfTheFastAPIBackend(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	desc, deployment, db := deploymentOf(t, fastapi)
	_, err := deployment.Run(ctx, "migrate", desc.Incident.Image, desc.Commands.Migrate, db, nil)
	require.NoError(t, err)

	code, out, errOut := smoke(t, backendEnv, "verify", "--backend", fastapi, "--database-url", db.URL)
	require.Equal(t, exitFailed, code, "stdout:\n%s\nstderr:\n%s", out, errOut)
	assert.Contains(t, out, "error   migration revision: pending migrations: the database is at 2f6d5f68b472; the image's heads are c5d8e1f4a7b3; fix: alembic upgrade head")
	assert.Contains(t, out, "error   column refresh_tokens.token_hash: missing in live")

	_, err = deployment.Run(ctx, "migrate", desc.Image, desc.Commands.Migrate, db, nil)
	require.NoError(t, err)
	code, out, errOut = smoke(t, backendEnv, "verify", "--backend", fastapi, "--database-url", db.URL)
	require.Equal(t, exitOK, code, "stdout:\n%s\nstderr:\n%s", out, errOut)
	assert.Contains(t, out, "migration state: the database is at c5d8e1f4a7b3; the image's heads: c5d8e1f4a7b3")
}

// smoke diff --backend: the backend's own model and migrations, each made
// by its own commands in a scratch database. The fixed image's agree; the
// incident's image has a model that no migration matches.
func TestDiffOfABackendsModelAndMigrations(t *testing.T) {
	t.Parallel()
	pgtest.RequireDocker(t)
	code, out, errOut := smoke(t, backendEnv, "diff", "--backend", fastapi, "model", "migrations")
	require.Equal(t, exitOK, code, "stdout:\n%s\nstderr:\n%s", out, errOut)
	assert.Contains(t, out, "smoke diff: model and migrations are the same")

	incident := describe(t, "image: appydex-smoke/fastapi:fixed", "image: appydex-smoke/fastapi:incident")
	code, out, errOut = smoke(t, backendEnv, "diff", "--backend", incident, "migrations", "model")
	require.Equal(t, exitFailed, code, "stdout:\n%s\nstderr:\n%s", out, errOut)
	assert.Contains(t, out, "error   column refresh_tokens.token_hash: missing in migrations (model has character varying(255))")
}

// deploymentOf is a deployment of the backend described in dir, as verify
// meets one: its images present, a PostgreSQL on its network, and an
// empty database there for the test to migrate as it needs. All of it is
// removed when the test ends.
func deploymentOf(t *testing.T, dir string) (*backend.Description, *backend.Stack, *pgenv.Database) {
	t.Helper()
	pgtest.RequireDocker(t)
	ctx := context.Background()
	desc, err := backend.Load(dir)
	require.NoError(t, err)
	cfg, err := pgtest.Config()
	require.NoError(t, err)
	cfg.Source = pgenv.Container
	_, err = backend.EnsureImages(ctx, desc, cfg, []string{desc.Image, desc.Incident.Image}, nil, "")
	require.NoError(t, err)
	deployment, err := backend.Up(ctx, desc, cfg)
	require.NoError(t, err)
	t.Cleanup(func() { deployment.Close(context.Background()) })
	db, err := deployment.Database(ctx)
	require.NoError(t, err)
	return desc, deployment, db
}
