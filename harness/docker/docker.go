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
// published ports:
//   - the engine runs on this machine (it reports this machine's own host
//     name, as on this project's CI machines, where the engine runs in the
//     same VM): loopback;
//   - this process runs in a container of that engine, with its socket
//     mounted (Docker outside of Docker: the smoke image): the gateway of
//     its own container's network, which is the engine's host, where the
//     ports are published;
//   - else testcontainers-go's guess (the daemon's host, or localhost).
func EndpointHost(ctx context.Context, ctr testcontainers.Container) (string, error) {
	cli, err := testcontainers.NewDockerClientWithOpts(ctx)
	if err == nil {
		defer cli.Close()
		info, err := cli.Info(ctx, client.InfoOptions{})
		if host, _ := os.Hostname(); err == nil && host != "" && info.Info.Name == host {
			return "127.0.0.1", nil
		}
		if self, ok := Self(ctx, cli); ok && self.Gateway != "" {
			return self.Gateway, nil
		}
	}
	return ctr.Host(ctx)
}

// Container is a container this process runs in.
type Container struct {
	ID string
	// Gateway is its network's gateway: the engine's host, as this
	// container reaches it ("" on the host's network).
	Gateway string
}

// Self is the container this process runs in, when the engine cli talks
// to runs it: Docker names a container's host after its id. False when
// the engine knows no container of this host name — this process runs on
// the engine's host, or in a container of another engine.
func Self(ctx context.Context, cli *testcontainers.DockerClient) (Container, bool) {
	host, err := os.Hostname()
	if err != nil || host == "" {
		return Container{}, false
	}
	if _, err := os.Stat("/.dockerenv"); err != nil {
		return Container{}, false // not in a Docker container
	}
	res, err := cli.ContainerInspect(ctx, host, client.ContainerInspectOptions{})
	if err != nil || res.Container.Config == nil || res.Container.Config.Hostname != host {
		return Container{}, false
	}
	self := Container{ID: res.Container.ID}
	if ns := res.Container.NetworkSettings; ns != nil {
		for _, n := range ns.Networks {
			if n != nil && n.Gateway.IsValid() {
				self.Gateway = n.Gateway.String()
				break
			}
		}
	}
	return self, true
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
