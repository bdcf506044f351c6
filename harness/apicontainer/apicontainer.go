// Package apicontainer runs the reference API as a container beside a
// PostgreSQL container on one Docker network — the incident's topology: the
// API reaches the database by its network alias, and its port is published.
package apicontainer

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/testcontainers/testcontainers-go"
	"github.com/testcontainers/testcontainers-go/network"
	"github.com/testcontainers/testcontainers-go/wait"

	"github.com/appydex/smoke/harness/docker"
)

// Image is the API image images/api/build.sh makes.
const Image = "appydex-smoke/api:dev"

// Build builds Image from the checkout at root (the folder holding go.mod):
// a static binary in a FROM scratch image, so no registry is needed.
func Build(ctx context.Context, root string) error {
	out, err := exec.CommandContext(ctx, "bash", filepath.Join(root, "images", "api", "build.sh"), Image).CombinedOutput()
	if err != nil {
		return fmt.Errorf("build %s: %w\n%s", Image, err, out)
	}
	return nil
}

// Config says how to run the API container.
type Config struct {
	Network     string // the Docker network it joins
	DatabaseURL string // as seen from that network (pgenv.Server.NetworkURL)
	JWTSecret   string // at least 32 bytes
	DevOTP      string // "" for none
}

// Container is a running API container.
type Container struct {
	URL    string // base URL from this process, e.g. http://127.0.0.1:32801
	ctr    testcontainers.Container
	labels map[string]string
}

// Start runs Image on the network and waits until /healthz answers.
func Start(ctx context.Context, cfg Config) (*Container, error) {
	env := map[string]string{"APPYDEX_DATABASE_URL": cfg.DatabaseURL, "APPYDEX_JWT_SECRET": cfg.JWTSecret}
	if cfg.DevOTP != "" {
		env["APPYDEX_DEV_OTP"] = cfg.DevOTP
	}
	labels := docker.Labels()
	ctr, err := testcontainers.Run(ctx, Image,
		testcontainers.WithEnv(env),
		testcontainers.WithExposedPorts("16110/tcp"),
		testcontainers.WithLabels(labels),
		network.WithNetworkName([]string{"api"}, cfg.Network),
		// Wait for the log line the API writes once it listens; whether the
		// published port answers is checked from here below (testcontainers'
		// HTTP wait would use its own guess of the host).
		testcontainers.WithWaitStrategyAndDeadline(30*time.Second,
			wait.ForLog(`"msg":"serving"`).WithPollInterval(25*time.Millisecond)),
	)
	c := &Container{ctr: ctr, labels: labels}
	if err != nil {
		return nil, errors.Join(fmt.Errorf("start the API container: %w", err), c.Close(context.WithoutCancel(ctx)))
	}
	host, err := docker.EndpointHost(ctx, ctr)
	if err != nil {
		return nil, errors.Join(err, c.Close(ctx))
	}
	port, err := ctr.MappedPort(ctx, "16110/tcp")
	if err != nil {
		return nil, errors.Join(err, c.Close(ctx))
	}
	c.URL = fmt.Sprintf("http://%s:%s", host, port.Port())
	if err := c.healthy(ctx, 10*time.Second); err != nil {
		return nil, errors.Join(err, c.Close(ctx))
	}
	return c, nil
}

// healthy waits until GET /healthz answers 200 through the published port.
func (c *Container) healthy(ctx context.Context, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		req, _ := http.NewRequestWithContext(ctx, "GET", c.URL+"/healthz", nil)
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			err = fmt.Errorf("status %d", resp.StatusCode)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the API container at %s does not answer /healthz: %w", c.URL, err)
		}
		time.Sleep(25 * time.Millisecond)
	}
}

// Logs is what the API logged: one JSON object per line.
func (c *Container) Logs(ctx context.Context) string {
	rc, err := c.ctr.Logs(ctx)
	if err != nil {
		return fmt.Sprintf("(no logs: %v)", err)
	}
	defer rc.Close()
	b, _ := io.ReadAll(rc)
	return string(b)
}

// Close stops and removes the container, also when its start was cut
// short before Docker told us its id.
func (c *Container) Close(ctx context.Context) error {
	if c.ctr != nil {
		if err := testcontainers.TerminateContainer(c.ctr, testcontainers.StopContext(ctx)); err == nil {
			return nil
		}
	}
	return docker.RemoveInstance(ctx, "", c.labels)
}
