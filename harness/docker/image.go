package docker

import (
	"context"
	"time"

	"github.com/moby/moby/client"
	"github.com/testcontainers/testcontainers-go"
)

// ImagePresent reports whether image is on the engine's machine.
func ImagePresent(ctx context.Context, cli *testcontainers.DockerClient, image string) bool {
	_, err := cli.ImageInspect(ctx, image)
	return err == nil
}

// Pull pulls image, giving up after five minutes. testcontainers-go would
// pull too, but with retries that take minutes to fail where no registry
// answers: callers try Pull once and say what to do instead.
func Pull(ctx context.Context, cli *testcontainers.DockerClient, image string) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	resp, err := cli.ImagePull(ctx, image, client.ImagePullOptions{})
	if err != nil {
		return err
	}
	defer resp.Close()
	return resp.Wait(ctx)
}
