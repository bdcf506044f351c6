// Package docker is the harness's plumbing around testcontainers-go and the
// Docker Engine, shared by everything that starts containers (the PostgreSQL
// source in pgenv, the API container): which engine to talk to, owner labels
// on every container and network, sweeping what dead runs left, the host at
// which published ports answer, and images that may have to be pulled.
package docker

import (
	"context"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/moby/moby/client"
	"github.com/testcontainers/testcontainers-go"
	tclog "github.com/testcontainers/testcontainers-go/log"
)

// Setup makes testcontainers-go behave as the harness needs; call it once,
// before the first container starts (testcontainers-go reads its settings
// once per process):
//   - no reaper container (Ryuk) unless TESTCONTAINERS_RYUK_DISABLED is set
//     (to false): its image cannot be pulled where no registry answers, and
//     the harness labels, removes and sweeps its own containers;
//   - testcontainers-go's banner and progress lines only when verbose.
//
// getenv reads the caller's environment (os.Getenv); Setup writes the Ryuk
// setting into this process's environment, where testcontainers-go reads it.
// Only the first call counts: the settings are the process's, as
// testcontainers-go's own are.
func Setup(getenv func(string) string, verbose bool) {
	setupOnce.Do(func() {
		if getenv("TESTCONTAINERS_RYUK_DISABLED") == "" {
			os.Setenv("TESTCONTAINERS_RYUK_DISABLED", "true")
		}
		if !verbose {
			tclog.SetDefault(tclog.NewNoopLogger())
		}
	})
}

var setupOnce sync.Once

// Answers reports whether a Docker Engine answers within a few seconds: the
// one at host (as in DOCKER_HOST) when it is set, else the one
// testcontainers-go finds (DOCKER_HOST, the docker context, the default
// socket). testcontainers-go alone would fall back to the default socket
// when host does not answer; here host is the only engine tried.
func Answers(ctx context.Context, host string) error {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	if host != "" {
		cli, err := client.New(client.WithHost(host))
		if err == nil {
			defer cli.Close()
			_, err = cli.Ping(ctx, client.PingOptions{})
		}
		if err != nil {
			return fmt.Errorf("no Docker Engine answers at DOCKER_HOST=%s: %v; start it, or unset DOCKER_HOST", host, err)
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

// Client connects to the engine testcontainers-go will use, after checking
// with Answers that it is the one at host. Close it when done.
func Client(ctx context.Context, host string) (*testcontainers.DockerClient, error) {
	if err := Answers(ctx, host); err != nil {
		return nil, err
	}
	cli, err := testcontainers.NewDockerClientWithOpts(ctx)
	if err != nil {
		return nil, fmt.Errorf("no Docker Engine answers: %w; start Docker, or set DOCKER_HOST", err)
	}
	return cli, nil
}

// EndpointHost is the host at which this process reaches a container's
// published ports. testcontainers-go guesses the Docker network's gateway
// whenever it runs inside a container, which is wrong when the engine runs
// in that same container (as on this project's CI machines): if the engine
// reports this machine's own host name, its published ports are on loopback.
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

// LogTail is the end of what a container logged, to explain a failed start;
// "" when there is nothing to show. Callers holding a typed pointer must not
// pass a nil one: inside the interface it is not nil.
func LogTail(ctx context.Context, ctr testcontainers.Container) string {
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
	return string(b)
}

// Logger sends testcontainers-go's progress lines to logf; nil discards them.
func Logger(logf func(format string, args ...any)) tclog.Logger {
	if logf == nil {
		return tclog.NewNoopLogger()
	}
	return logfFunc(logf)
}

type logfFunc func(string, ...any)

func (f logfFunc) Printf(format string, args ...any) { f(format, args...) }
