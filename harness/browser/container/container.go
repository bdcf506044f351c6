// Package container runs the browser step's headless Chromium in a
// container, for a machine where the harness finds no Chromium of its own
// but Docker answers. The image is Debian's chromium package, built here
// without a registry (images/chromium, `make chromium-image`); the harness
// drives it over the DevTools protocol (browser.Connect).
//
// The container shares a network namespace with the harness: the host's,
// or — when the harness itself runs in a container of the same engine
// (Docker outside of Docker: the smoke image with the engine's socket
// mounted) — that container's. Either way the browser's 127.0.0.1 is the
// harness's, so the panel the harness serves on a loopback port and the
// APIs it reaches are the browser's to reach too, at the same addresses.
package container

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"
	"github.com/testcontainers/testcontainers-go"

	"github.com/appydex/smoke/harness/browser"
	"github.com/appydex/smoke/harness/docker"
)

// DefaultImage is the image `make chromium-image` builds from Debian's
// packages (images/chromium/build.sh); EnvImage names another.
const (
	DefaultImage = "appydex-smoke/chromium:bookworm"
	EnvImage     = "SMOKE_CHROMIUM_IMAGE"
)

// ErrUnavailable is no browser container to run: no Docker Engine answers,
// or the image is not on this machine. Its text says which, and what to do.
var ErrUnavailable = errors.New("no browser container")

// Image is the image to run: $SMOKE_CHROMIUM_IMAGE, else DefaultImage.
func Image(getenv func(string) string) string {
	return cmp.Or(getenv(EnvImage), DefaultImage)
}

// flags are the browser's own, after the image's entrypoint (headless, no
// sandbox, a throwaway profile): what chromedp gives a browser it starts.
var flags = []string{"--window-size=1024,768", "--disable-background-networking", "--disable-extensions",
	"--disable-sync", "--metrics-recording-only", "--mute-audio", "--hide-scrollbars", "about:blank"}

// Start runs image's Chromium on the engine at dockerHost ("" as in
// DOCKER_HOST, or the default), waits until its DevTools answer, and
// connects to it; Close stops and removes the container. No engine, or an
// image that is not on this machine, is ErrUnavailable, with what to do.
func Start(ctx context.Context, image, dockerHost string) (*browser.Browser, error) {
	devtools, where, stop, err := Run(ctx, image, dockerHost)
	if err != nil {
		return nil, err
	}
	return browser.Connect(ctx, devtools, where, stop)
}

// Run runs image's Chromium and returns its DevTools endpoint, where it
// runs (for reports), and how to stop and remove it, once its DevTools
// answer; a keeper (package kept) holds it for later runs this way.
func Run(ctx context.Context, image, dockerHost string) (devtools, where string, stop func(), err error) {
	cli, err := available(ctx, image, dockerHost)
	if err != nil {
		return "", "", nil, err
	}
	defer cli.Close()
	mode, network, err := networkMode(ctx, cli)
	if err != nil {
		return "", "", nil, err
	}
	where = fmt.Sprintf("in a container (%s, %s)", image, network)
	// The port is chosen here and may be taken before Chromium binds it:
	// then the container exits, and another port is tried.
	for range 3 {
		devtools, stop, err = run(ctx, image, dockerHost, mode)
		if err == nil || ctx.Err() != nil {
			break
		}
	}
	return devtools, where, stop, err
}

// run starts one container, its DevTools on a free loopback port of the
// shared network, and waits until they answer.
func run(ctx context.Context, image, dockerHost string, mode container.NetworkMode) (string, func(), error) {
	port, err := freePort()
	if err != nil {
		return "", nil, err
	}
	labels := docker.Labels()
	ctr, err := testcontainers.Run(ctx, image,
		testcontainers.WithCmd(append([]string{"--remote-debugging-port=" + strconv.Itoa(port)}, flags...)...),
		testcontainers.WithLabels(labels),
		testcontainers.WithHostConfigModifier(func(hc *container.HostConfig) { hc.NetworkMode = mode }),
	)
	stop := func() {
		stopCtx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if ctr != nil {
			_ = testcontainers.TerminateContainer(ctr, testcontainers.StopContext(stopCtx), testcontainers.StopTimeout(0))
		}
		_ = docker.RemoveInstance(stopCtx, dockerHost, labels)
	}
	devtools := "http://127.0.0.1:" + strconv.Itoa(port)
	if err == nil {
		err = answers(ctx, devtools, ctr)
	}
	if err != nil {
		err = fmt.Errorf("run %s: %w%s", image, err, logTail(ctx, ctr))
		stop()
		return "", nil, err
	}
	return devtools, stop, nil
}

// Available says why image's Chromium cannot run here (ErrUnavailable: no
// engine answers at dockerHost, the image is not on this machine, or the
// engine runs elsewhere); nil when it can.
func Available(ctx context.Context, image, dockerHost string) error {
	cli, err := available(ctx, image, dockerHost)
	if err != nil {
		return err
	}
	defer cli.Close()
	_, _, err = networkMode(ctx, cli)
	return err
}

func available(ctx context.Context, image, dockerHost string) (*testcontainers.DockerClient, error) {
	cli, err := docker.Client(ctx, dockerHost)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	if !docker.ImagePresent(ctx, cli, image) {
		cli.Close()
		return nil, fmt.Errorf("%w: the image %s is not on this machine (build it with `make chromium-image`, which runs images/chromium/build.sh)",
			ErrUnavailable, image)
	}
	return cli, nil
}

// answers waits until the browser's DevTools answer at devtools, for 30 s
// at most; a container that exits first is said at once.
func answers(ctx context.Context, devtools string, ctr *testcontainers.DockerContainer) error {
	deadline := time.Now().Add(30 * time.Second)
	hc := &http.Client{Timeout: time.Second}
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, devtools+"/json/version", nil)
		resp, err := hc.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			err = fmt.Errorf("status %d", resp.StatusCode)
		}
		if st, serr := ctr.State(ctx); serr == nil && !st.Running {
			return fmt.Errorf("the browser exited (%d) before its DevTools answered at %s", st.ExitCode, devtools)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("its DevTools did not answer at %s within 30 s: %w", devtools, err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// networkMode is the network the browser shares, and how to say it: this
// process's own container when the engine runs it (Docker outside of
// Docker), else the host's — only where the engine runs on this machine
// (it reports this host's name), for only then is its host network this
// process's. An engine elsewhere (Docker Desktop's VM, a remote
// DOCKER_HOST) is ErrUnavailable.
func networkMode(ctx context.Context, cli *testcontainers.DockerClient) (container.NetworkMode, string, error) {
	if self, ok := docker.Self(ctx, cli); ok {
		return container.NetworkMode("container:" + self.ID), "sharing the harness's container's network", nil
	}
	host, _ := os.Hostname()
	info, err := cli.Info(ctx, client.InfoOptions{})
	if err != nil {
		return "", "", fmt.Errorf("%w: the Docker Engine does not say where it runs: %v", ErrUnavailable, err)
	}
	if host == "" || info.Info.Name != host {
		return "", "", fmt.Errorf("%w: the Docker Engine runs on %q, not on this machine (%q): a browser there cannot reach the pages "+
			"this process serves on loopback; install Chromium here", ErrUnavailable, info.Info.Name, host)
	}
	return container.NetworkMode("host"), "on the host's network", nil
}

// freePort is a loopback port no one listens on now.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("a port for the browser's DevTools: %w", err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// logTail is the end of the container's log, to explain a failed start.
func logTail(ctx context.Context, ctr *testcontainers.DockerContainer) string {
	if ctr == nil {
		return ""
	}
	if tail := strings.TrimSpace(docker.LogTail(ctx, ctr)); tail != "" {
		return "; the end of its log:\n" + tail
	}
	return ""
}
