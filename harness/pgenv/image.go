package pgenv

import (
	"context"
	"fmt"
	"time"

	"github.com/moby/moby/client"
	"github.com/testcontainers/testcontainers-go"
)

// resolveImage makes sure the image is on this machine, pulling it if needed,
// and says what to do when it cannot be had. testcontainers-go would pull
// too, but with retries that take minutes to fail where no registry answers.
func resolveImage(ctx context.Context, cli *testcontainers.DockerClient, cfg Config) (string, error) {
	image := cfg.Image
	if image == "" {
		image = DefaultImage
		if !imagePresent(ctx, cli, image) && imagePresent(ctx, cli, LocalImage) {
			cfg.logf("pgenv: %s is not on this machine; using %s, built from Debian's packages by make pg-image", image, LocalImage)
			return LocalImage, nil
		}
	}
	if imagePresent(ctx, cli, image) {
		return image, nil
	}
	cfg.logf("pgenv: pulling %s", image)
	if err := pullImage(ctx, cli, image); err != nil {
		return "", fmt.Errorf("image %s is not on this machine and could not be pulled (%v); "+
			"where no registry answers, build a PostgreSQL 15 image from Debian's packages with `make pg-image` "+
			"(it tags %s, which is used when no image is configured; or set SMOKE_PG_IMAGE=%s)",
			image, err, LocalImage, LocalImage)
	}
	return image, nil
}

func imagePresent(ctx context.Context, cli *testcontainers.DockerClient, image string) bool {
	_, err := cli.ImageInspect(ctx, image)
	return err == nil
}

func pullImage(ctx context.Context, cli *testcontainers.DockerClient, image string) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	resp, err := cli.ImagePull(ctx, image, client.ImagePullOptions{})
	if err != nil {
		return err
	}
	defer resp.Close()
	return resp.Wait(ctx)
}
