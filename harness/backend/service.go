package backend

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/testcontainers/testcontainers-go"
	"github.com/testcontainers/testcontainers-go/network"

	"github.com/appydex/smoke/harness/docker"
	"github.com/appydex/smoke/harness/pgenv"
)

// Service is the backend running as a container on the stack's network,
// its port published.
type Service struct {
	URL    string // from this process, e.g. http://127.0.0.1:32801
	Image  string
	ctr    *testcontainers.DockerContainer // nil until it was created
	labels map[string]string
	closed bool
}

// Start runs image as the backend, serving db, and waits until its health
// path answers 200 through the published port (start_timeout at most,
// else the error carries the end of its log). Stack.Close stops it, if Stop did not.
func (s *Stack) Start(ctx context.Context, image string, db *pgenv.Database) (*Service, error) {
	return s.StartWith(ctx, image, db, s.Desc.Lifetimes())
}

// StartWith is Start with the token lifetimes lt, where the description's
// env sets them ({access_ttl} and the like; Description.SetsLifetimes).
func (s *Stack) StartWith(ctx context.Context, image string, db *pgenv.Database, lt Lifetimes) (*Service, error) {
	vars := s.varsWith(db, lt)
	env := map[string]string{}
	for name, value := range s.Desc.Env {
		env[name] = vars.expand(value)
	}
	port := strconv.Itoa(s.Desc.Port) + "/tcp"
	svc := &Service{Image: image, labels: docker.Labels()}
	ctr, err := testcontainers.Run(ctx, image,
		testcontainers.WithEnv(env),
		testcontainers.WithExposedPorts(port),
		testcontainers.WithLabels(svc.labels),
		network.WithNetworkName([]string{s.Desc.Name}, s.network.Name),
	)
	svc.ctr = ctr
	s.mu.Lock()
	s.services = append(s.services, svc)
	s.mu.Unlock()
	if err != nil {
		return nil, fmt.Errorf("start %s: %w%s", image, err, svc.logTail(ctx))
	}
	if err = svc.published(ctx, port); err == nil {
		timeout := time.Duration(s.Desc.StartTimeout)
		if timeout == 0 {
			timeout = time.Minute
		}
		err = svc.healthy(ctx, s.Desc.Paths.Health, timeout)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w%s", image, err, svc.logTail(ctx))
	}
	return svc, nil
}

// published sets URL to where port is published.
func (svc *Service) published(ctx context.Context, port string) error {
	host, err := docker.EndpointHost(ctx, svc.ctr)
	if err != nil {
		return err
	}
	mapped, err := svc.ctr.MappedPort(ctx, port)
	if err != nil {
		return err
	}
	svc.URL = "http://" + host + ":" + mapped.Port()
	return nil
}

// healthy waits until GET path answers 200. A backend that answers 404
// for a second on end runs, but has no such path: that is said at once,
// rather than after the whole timeout.
func (svc *Service) healthy(ctx context.Context, path string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	client := &http.Client{Timeout: 2 * time.Second}
	var notFoundSince time.Time
	for {
		req, _ := http.NewRequestWithContext(ctx, "GET", svc.URL+path, nil)
		resp, err := client.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			err = fmt.Errorf("status %d", resp.StatusCode)
			if resp.StatusCode != http.StatusNotFound {
				notFoundSince = time.Time{}
			} else if notFoundSince.IsZero() {
				notFoundSince = time.Now()
			} else if time.Since(notFoundSince) >= time.Second {
				return fmt.Errorf("never became healthy: GET %s%s answers 404 Not Found: the backend runs, but has no such path "+
					"(paths.health in its description)", svc.URL, path)
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("never became healthy: GET %s%s: %w", svc.URL, path, err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(25 * time.Millisecond):
		}
	}
}

// Logs is everything the backend logged, stdout and stderr.
func (svc *Service) Logs(ctx context.Context) string {
	if svc.ctr == nil {
		return ""
	}
	rc, err := svc.ctr.Logs(context.WithoutCancel(ctx))
	if err != nil {
		return fmt.Sprintf("(no log: %v)", err)
	}
	defer rc.Close()
	b, _ := io.ReadAll(rc)
	return string(b)
}

func (svc *Service) logTail(ctx context.Context) string {
	if logs := strings.TrimSpace(svc.Logs(ctx)); logs != "" {
		return "; the end of its log:\n" + tail(logs, 2000)
	}
	return "; it logged nothing"
}

// Close stops and removes the container (also one whose start was cut
// short); it is safe to call more than once.
func (svc *Service) Close(ctx context.Context) error {
	if svc.closed {
		return nil
	}
	svc.closed = true
	if svc.ctr != nil {
		if err := testcontainers.TerminateContainer(svc.ctr, testcontainers.StopContext(ctx), testcontainers.StopTimeout(0)); err == nil {
			return nil
		}
	}
	return errors.Join(docker.RemoveInstance(ctx, "", svc.labels))
}
