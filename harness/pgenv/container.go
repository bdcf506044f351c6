package pgenv

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/moby/moby/client"
	"github.com/testcontainers/testcontainers-go"
	tclog "github.com/testcontainers/testcontainers-go/log"
	"github.com/testcontainers/testcontainers-go/modules/postgres"
	"github.com/testcontainers/testcontainers-go/network"
	"github.com/testcontainers/testcontainers-go/wait"
)

// Labels on everything the harness starts in Docker. LabelOwner names the
// process (host/pid/start time), so sweepContainers can remove what a dead
// run left behind without touching a concurrent run's containers.
const (
	LabelHarness = "dev.appydex.smoke"
	LabelOwner   = "dev.appydex.smoke.owner"
)

const (
	containerPGData  = "/var/lib/postgresql/data"
	readyLine        = "database system is ready to accept connections"
	containerTimeout = 90 * time.Second
)

// OwnerLabels are the labels that mark a container (or network) as this
// process's: Close removes it, and a later run sweeps it if this process dies
// first. Other packages that start containers for the harness use them too.
func OwnerLabels() map[string]string {
	return map[string]string{LabelHarness: "true", LabelOwner: currentOwner().String()}
}

func startContainer(ctx context.Context, cfg Config) (*Server, error) {
	cli, err := dockerClient(ctx, cfg.DockerHost)
	if err != nil {
		return nil, err
	}
	defer cli.Close()

	if err := SweepContainers(ctx, cli, cfg.logf); err != nil {
		cfg.logf("pgenv: sweeping leftover containers: %v", err)
	}
	image, err := resolveImage(ctx, cli, cfg)
	if err != nil {
		return nil, err
	}

	password := randomHex(12)
	opts := []testcontainers.ContainerCustomizer{
		postgres.WithUsername("postgres"),
		postgres.WithPassword(password),
		postgres.WithDatabase("postgres"),
		testcontainers.WithLabels(OwnerLabels()),
		// The cluster lives in memory: clones are ~10x faster than on this
		// machine's disk, and nothing is left on disk after removal.
		testcontainers.WithTmpfs(map[string]string{containerPGData: "rw"}),
		testcontainers.WithCmdArgs("-c", "synchronous_commit=off", "-c", "full_page_writes=off"),
		// The entrypoint runs a temporary server for its init scripts, which
		// logs the ready line too: wait for the second one, then for
		// pg_isready over TCP inside the container.
		testcontainers.WithWaitStrategyAndDeadline(containerTimeout,
			wait.ForLog(readyLine).WithOccurrence(2).WithPollInterval(25*time.Millisecond),
			wait.ForExec([]string{"pg_isready", "--host=127.0.0.1", "--port=5432", "--username=postgres"}).
				WithExitCode(0).WithPollInterval(25*time.Millisecond),
		),
		testcontainers.WithLogger(logAdapter(cfg)),
	}
	if cfg.Network != "" {
		opts = append(opts, network.WithNetworkName([]string{NetworkAlias}, cfg.Network))
	}
	ctr, err := postgres.Run(ctx, image, opts...)
	// Remove the container even when start-up failed half way.
	stop := func(ctx context.Context) error {
		if ctr == nil {
			return nil
		}
		// The cluster lives on tmpfs and dies with the container: there is
		// nothing a graceful shutdown would save, so kill it at once.
		return testcontainers.TerminateContainer(ctr, testcontainers.StopContext(ctx), testcontainers.StopTimeout(0), testcontainers.RemoveVolumes())
	}
	if err != nil {
		hint := containerLogTail(ctx, ctr)
		if strings.Contains(err.Error(), "reaper") {
			hint = "; testcontainers-go's reaper (Ryuk) could not start: pgenv removes its own containers, so set TESTCONTAINERS_RYUK_DISABLED=true before the first use of testcontainers-go"
		}
		err = fmt.Errorf("start container from %s: %w%s", image, err, hint)
		return nil, errors.Join(err, stop(context.WithoutCancel(ctx)))
	}

	host, err := EndpointHost(ctx, ctr)
	if err == nil {
		var port string
		if port, err = mappedPort(ctx, ctr); err == nil {
			s := &Server{
				source:      Container,
				where:       fmt.Sprintf("container %.12s, image %s", ctr.GetContainerID(), image),
				containerID: ctr.GetContainerID(),
				network:     cfg.Network,
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

// dockerClient connects to the Docker Engine testcontainers-go will use
// (DOCKER_HOST, the docker context, the default socket), after checking that
// the configured one, if any, answers.
func dockerClient(ctx context.Context, dockerHost string) (*testcontainers.DockerClient, error) {
	if err := dockerAnswers(ctx, dockerHost); err != nil {
		return nil, err
	}
	cli, err := testcontainers.NewDockerClientWithOpts(ctx)
	if err != nil {
		return nil, fmt.Errorf("no Docker Engine answers: %w; start Docker, or set DOCKER_HOST", err)
	}
	return cli, nil
}

// dockerAnswers reports whether a Docker Engine answers within a few
// seconds: the one at dockerHost when it is set, else the one
// testcontainers-go finds.
func dockerAnswers(ctx context.Context, dockerHost string) error {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	if dockerHost != "" {
		cli, err := client.New(client.WithHost(dockerHost))
		if err == nil {
			defer cli.Close()
			_, err = cli.Ping(ctx, client.PingOptions{})
		}
		if err != nil {
			return fmt.Errorf("no Docker Engine answers at DOCKER_HOST=%s: %v; start it, or unset DOCKER_HOST", dockerHost, err)
		}
		return nil
	}
	cli, err := testcontainers.NewDockerClientWithOpts(ctx)
	if err == nil {
		defer cli.Close()
		_, err = cli.Ping(ctx, client.PingOptions{})
	}
	if err != nil {
		return fmt.Errorf("no Docker Engine answers: %v; start Docker, or set DOCKER_HOST", err)
	}
	return nil
}

// EndpointHost is the host at which this process reaches a container's
// published ports.
// testcontainers-go guesses the Docker network's gateway whenever it runs
// inside a container, which is wrong when the engine runs in that same
// container (as on this project's CI machines): if the engine reports this
// machine's own host name, its published ports are on loopback.
func EndpointHost(ctx context.Context, ctr testcontainers.Container) (string, error) {
	cli, err := testcontainers.NewDockerClientWithOpts(ctx)
	if err == nil {
		defer cli.Close()
		info, err := cli.Info(ctx, client.InfoOptions{})
		if host, _ := os.Hostname(); err == nil && host != "" && info.Info.Name == host {
			return "127.0.0.1", nil
		}
	}
	return ctr.Host(ctx)
}

func mappedPort(ctx context.Context, ctr testcontainers.Container) (string, error) {
	p, err := ctr.MappedPort(ctx, "5432/tcp")
	if err != nil {
		return "", err
	}
	return p.Port(), nil
}

// containerLogTail returns the last lines the container logged, to explain a
// failed start.
func containerLogTail(ctx context.Context, ctr testcontainers.Container) string {
	if ctr == nil {
		return ""
	}
	rc, err := ctr.Logs(context.WithoutCancel(ctx))
	if err != nil {
		return ""
	}
	defer rc.Close()
	b, _ := io.ReadAll(rc)
	const max = 2000
	if len(b) > max {
		b = b[len(b)-max:]
	}
	return "; the container's last log lines:\n" + string(b)
}

// logAdapter sends testcontainers-go's progress lines to Config.Logf.
func logAdapter(cfg Config) tclog.Logger {
	if cfg.Logf == nil {
		return tclog.NewNoopLogger()
	}
	return logfFunc(cfg.Logf)
}

type logfFunc func(string, ...any)

func (f logfFunc) Printf(format string, args ...any) { f(format, args...) }

func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	return hex.EncodeToString(b)
}
