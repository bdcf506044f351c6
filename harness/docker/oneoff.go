package docker

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/containerd/errdefs"
	"github.com/moby/moby/api/pkg/stdcopy"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"
	"github.com/moby/moby/client"
	"github.com/testcontainers/testcontainers-go"
)

// OneOff is a command run once in a container of an image, as
// `docker run --rm` would: a migration, a seed, printing a revision.
type OneOff struct {
	Image string
	// Argv is the whole command: Argv[0] runs in place of the image's
	// entrypoint, found on the image's PATH.
	Argv    []string
	Env     []string // KEY=value
	Network string   // a network to join; "" for none
}

// Output is what a one-off command did.
type Output struct {
	ExitCode       int
	Stdout, Stderr string
}

// Run runs o to its end and removes its container. An error means it could
// not run; a command that ran and failed is a non-zero ExitCode.
func Run(ctx context.Context, cli *testcontainers.DockerClient, o OneOff) (Output, error) {
	if len(o.Argv) == 0 {
		return Output{}, errors.New("no command to run")
	}
	cfg := &container.Config{Image: o.Image, Entrypoint: o.Argv[:1], Cmd: o.Argv[1:], Env: o.Env, Labels: Labels()}
	opts := client.ContainerCreateOptions{Config: cfg, HostConfig: &container.HostConfig{}}
	if o.Network != "" {
		opts.NetworkingConfig = &network.NetworkingConfig{EndpointsConfig: map[string]*network.EndpointSettings{o.Network: {}}}
	}
	created, err := cli.ContainerCreate(ctx, opts)
	if err != nil {
		if errdefs.IsNotFound(err) {
			return Output{}, fmt.Errorf("image %s is not on this machine: build it first", o.Image)
		}
		return Output{}, fmt.Errorf("create a container of %s: %w", o.Image, err)
	}
	defer func() {
		// Removed even when ctx ended: the run is over either way.
		_, _ = cli.ContainerRemove(context.WithoutCancel(ctx), created.ID, client.ContainerRemoveOptions{Force: true, RemoveVolumes: true})
	}()
	if _, err := cli.ContainerStart(ctx, created.ID, client.ContainerStartOptions{}); err != nil {
		return Output{}, fmt.Errorf("run %s in %s: %w", strings.Join(o.Argv, " "), o.Image, err)
	}
	waited := cli.ContainerWait(ctx, created.ID, client.ContainerWaitOptions{Condition: container.WaitConditionNotRunning})
	var out Output
	select {
	case resp := <-waited.Result:
		out.ExitCode = int(resp.StatusCode)
	case err := <-waited.Error:
		return Output{}, fmt.Errorf("wait for %s in %s: %w", strings.Join(o.Argv, " "), o.Image, err)
	case <-ctx.Done():
		return Output{}, ctx.Err()
	}
	logs, err := cli.ContainerLogs(ctx, created.ID, client.ContainerLogsOptions{ShowStdout: true, ShowStderr: true})
	if err != nil {
		return out, fmt.Errorf("read the output of %s: %w", strings.Join(o.Argv, " "), err)
	}
	defer logs.Close()
	var stdout, stderr bytes.Buffer
	if _, err := stdcopy.StdCopy(&stdout, &stderr, logs); err != nil {
		return out, fmt.Errorf("read the output of %s: %w", strings.Join(o.Argv, " "), err)
	}
	out.Stdout, out.Stderr = stdout.String(), stderr.String()
	return out, nil
}
