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

// ImageFound is an image on the engine: its id and when it was made.
type ImageFound struct {
	ID      string    // "sha256:…"
	Created time.Time // zero when the engine does not say
}

// Image is image on the engine; false when it is not there.
func Image(ctx context.Context, cli *testcontainers.DockerClient, image string) (ImageFound, bool) {
	res, err := cli.ImageInspect(ctx, image)
	if err != nil {
		return ImageFound{}, false
	}
	created, _ := time.Parse(time.RFC3339Nano, res.Created)
	return ImageFound{ID: res.ID, Created: created}, true
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
