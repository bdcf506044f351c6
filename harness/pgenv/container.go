package pgenv

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/testcontainers/testcontainers-go"
	"github.com/testcontainers/testcontainers-go/modules/postgres"
	"github.com/testcontainers/testcontainers-go/network"
	"github.com/testcontainers/testcontainers-go/wait"

	"github.com/appydex/smoke/harness/docker"
)

const (
	containerPGData  = "/var/lib/postgresql/data"
	readyLine        = "database system is ready to accept connections"
	containerTimeout = 90 * time.Second
)

func startContainer(ctx context.Context, cfg Config) (*Server, error) {
	cli, err := docker.Client(ctx, cfg.DockerHost)
	if err != nil {
		return nil, err
	}
	defer cli.Close()

	if err := docker.Sweep(ctx, cli, cfg.Logf); err != nil {
		cfg.logf("pgenv: sweeping leftover containers: %v", err)
	}
	image, err := resolveImage(ctx, cli, cfg)
	if err != nil {
		return nil, err
	}

	password := randomHex(12)
	labels := docker.Labels()
	opts := []testcontainers.ContainerCustomizer{
		postgres.WithUsername("postgres"),
		postgres.WithPassword(password),
		postgres.WithDatabase("postgres"),
		testcontainers.WithLabels(labels),
		// The cluster lives in memory: clones are ~10x faster than on this
		// machine's disk, and nothing is left on disk after removal.
		testcontainers.WithTmpfs(map[string]string{containerPGData: "rw"}),
		// One server for every package of a go test ./...: room for their
		// pools.
		testcontainers.WithCmdArgs("-c", "synchronous_commit=off", "-c", "full_page_writes=off", "-c", "max_connections=500"),
		// The entrypoint runs a temporary server for its init scripts, which
		// logs the ready line too: wait for the second one, then for
		// pg_isready over TCP inside the container.
		testcontainers.WithWaitStrategyAndDeadline(containerTimeout,
			wait.ForLog(readyLine).WithOccurrence(2).WithPollInterval(25*time.Millisecond),
			wait.ForExec([]string{"pg_isready", "--host=127.0.0.1", "--port=5432", "--username=postgres"}).
				WithExitCode(0).WithPollInterval(25*time.Millisecond),
		),
		testcontainers.WithLogger(docker.Logger(cfg.Logf)),
	}
	alias := cfg.NetworkAlias
	if alias == "" {
		alias = DefaultNetworkAlias
	}
	if cfg.Network != "" {
		opts = append(opts, network.WithNetworkName([]string{alias}, cfg.Network))
	}
	ctr, err := postgres.Run(ctx, image, opts...)
	// Remove the container even when start-up failed half way, and even
	// when it was cut short before Docker told us the container's id.
	stop := func(ctx context.Context) error {
		if ctr != nil {
			// The cluster lives on tmpfs and dies with the container: there
			// is nothing a graceful shutdown would save, so kill it at once.
			err := testcontainers.TerminateContainer(ctr, testcontainers.StopContext(ctx), testcontainers.StopTimeout(0), testcontainers.RemoveVolumes())
			if err == nil {
				return nil
			}
		}
		return docker.RemoveInstance(ctx, cfg.DockerHost, labels)
	}
	if err != nil {
		var hint string
		if ctr != nil { // a nil *PostgresContainer would be a non-nil interface
			if tail := docker.LogTail(ctx, ctr); tail != "" {
				hint = "; the container's last log lines:\n" + tail
			}
		}
		if strings.Contains(err.Error(), "reaper") {
			hint = "; testcontainers-go's reaper (Ryuk) could not start: the harness removes its own containers, so call docker.Setup (or set TESTCONTAINERS_RYUK_DISABLED=true) before the first container starts"
		}
		err = fmt.Errorf("start container from %s: %w%s", image, err, hint)
		return nil, errors.Join(err, stop(context.WithoutCancel(ctx)))
	}

	host, err := docker.EndpointHost(ctx, ctr)
	if err == nil {
		var port string
		if port, err = mappedPort(ctx, ctr); err == nil {
			s := &Server{
				source:      Container,
				where:       fmt.Sprintf("container %.12s, image %s", ctr.GetContainerID(), image),
				containerID: ctr.GetContainerID(),
				network:     cfg.Network,
				alias:       alias,
				admin: &url.URL{Scheme: "postgres", User: url.UserPassword("postgres", password),
					Host: net.JoinHostPort(host, port), Path: "/postgres", RawQuery: "sslmode=disable"},
				stop: stop,
			}
			// The wait ran inside the container; make sure the published
			// port answers here too (on Docker Desktop a proxy starts late).
			if err = s.ready(ctx, 10*time.Second, true); err == nil {
				return s, nil
			}
			if s.pool != nil {
				s.pool.Close()
			}
		}
	}
	return nil, errors.Join(fmt.Errorf("container from %s: %w", image, err), stop(context.WithoutCancel(ctx)))
}

func mappedPort(ctx context.Context, ctr testcontainers.Container) (string, error) {
	p, err := ctr.MappedPort(ctx, "5432/tcp")
	if err != nil {
		return "", err
	}
	return p.Port(), nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	return hex.EncodeToString(b)
}

// resolveImage makes sure the image is on this machine, pulling it if needed,
// and says what to do when it cannot be had. With no image configured it
// takes DefaultImage, or LocalImage where only that one is present.
func resolveImage(ctx context.Context, cli *testcontainers.DockerClient, cfg Config) (string, error) {
	image := cfg.Image
	if image == "" {
		image = DefaultImage
		if !docker.ImagePresent(ctx, cli, image) && docker.ImagePresent(ctx, cli, LocalImage) {
			cfg.logf("pgenv: %s is not on this machine; using %s, built from Debian's packages by make pg-image", image, LocalImage)
			return LocalImage, nil
		}
	}
	if docker.ImagePresent(ctx, cli, image) {
		return image, nil
	}
	cfg.logf("pgenv: pulling %s", image)
	if err := docker.Pull(ctx, cli, image); err != nil {
		return "", fmt.Errorf("image %s is not on this machine and could not be pulled (%v); "+
			"where no registry answers, build a PostgreSQL 15 image from Debian's packages with `make pg-image` "+
			"(it tags %s, which is used when no image is configured; or set SMOKE_PG_IMAGE=%s)",
			image, err, LocalImage, LocalImage)
	}
	return image, nil
}
