package pgenv

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/testcontainers/testcontainers-go"
	"github.com/testcontainers/testcontainers-go/modules/postgres"
	"github.com/testcontainers/testcontainers-go/wait"

	"github.com/appydex/smoke/harness/docker"
)

// The image the container source runs keeps the official image's contract:
// POSTGRES_USER, POSTGRES_PASSWORD and POSTGRES_DB are honoured (a user
// other than postgres takes the fresh-initdb path of the local image), init
// scripts run, the ready line comes twice, /bin/sh is there.
func TestImageKeepsTheOfficialContract(t *testing.T) {
	requireSource(t, Container, docker.Answers(t.Context(), os.Getenv("DOCKER_HOST")))
	ctx := t.Context()
	cli, err := docker.Client(ctx, os.Getenv("DOCKER_HOST"))
	require.NoError(t, err)
	defer cli.Close()
	image, err := resolveImage(ctx, cli, Config{Image: os.Getenv(EnvImage)})
	require.NoError(t, err)

	script := filepath.Join(t.TempDir(), "01-mark.sql")
	require.NoError(t, os.WriteFile(script, []byte("CREATE TABLE made_by_init_script (id int);\n"), 0o644))
	ctr, err := postgres.Run(ctx, image,
		postgres.WithUsername("appydex"), postgres.WithPassword("s3cret"), postgres.WithDatabase("appydex_db"),
		postgres.WithInitScripts(script),
		testcontainers.WithLabels(docker.Labels()),
		testcontainers.WithWaitStrategyAndDeadline(60*time.Second,
			wait.ForLog(readyLine).WithOccurrence(2).WithPollInterval(25*time.Millisecond),
			wait.ForExec([]string{"/bin/sh", "-c", "pg_isready --host=127.0.0.1 --username=appydex"}).WithExitCode(0)),
	)
	testcontainers.CleanupContainer(t, ctr)
	require.NoError(t, err, "image %s", image)

	host, err := docker.EndpointHost(ctx, ctr)
	require.NoError(t, err)
	port, err := mappedPort(ctx, ctr)
	require.NoError(t, err)
	url := func(password string) string {
		return fmt.Sprintf("postgres://appydex:%s@%s/appydex_db?sslmode=disable", password, net.JoinHostPort(host, port))
	}
	conn, err := pgx.Connect(ctx, url("s3cret"))
	require.NoError(t, err)
	defer conn.Close(ctx)
	var user string
	var marked bool
	require.NoError(t, conn.QueryRow(ctx, "SELECT current_user, to_regclass('made_by_init_script') IS NOT NULL").Scan(&user, &marked))
	assert.Equal(t, "appydex", user)
	assert.True(t, marked, "the init script ran in POSTGRES_DB")

	_, err = pgx.Connect(ctx, url("wrong"))
	assert.ErrorContains(t, err, "password authentication failed", "TCP connections need the password")
}
