package main

import (
	"context"
	"io"
	"os"
	"testing"

	"github.com/appydex/smoke/harness/docker"
	"github.com/appydex/smoke/harness/pgenv"
)

// BenchmarkSmokeRun times the whole `smoke run`, per source: PostgreSQL up,
// migrations, the three-way schema check, the reference API, the flow, and
// everything stopped again; and `smoke run --backend` of the incident's
// FastAPI stack, its images present.
func BenchmarkSmokeRun(b *testing.B) {
	b.Run("backend-fastapi", func(b *testing.B) {
		if err := docker.Answers(context.Background(), os.Getenv("DOCKER_HOST")); err != nil {
			b.Skipf("no Docker Engine answers: %v", err)
		}
		getenv := func(k string) string {
			if k == pgenv.EnvSource {
				return "container"
			}
			return os.Getenv(k)
		}
		for b.Loop() {
			if code := run(context.Background(), []string{"run", "--backend", "../../fixtures/backends/fastapi"}, getenv, io.Discard, io.Discard); code != exitOK {
				b.Fatalf("smoke run --backend fixtures/backends/fastapi exited %d", code)
			}
		}
	})
	for _, source := range []string{"container", "local"} {
		b.Run(source, func(b *testing.B) {
			if source == "container" {
				if err := docker.Answers(context.Background(), os.Getenv("DOCKER_HOST")); err != nil {
					b.Skipf("no Docker Engine answers: %v", err)
				}
			}
			for b.Loop() {
				if code := run(context.Background(), []string{"run", "--pg-source", source}, os.Getenv, io.Discard, io.Discard); code != exitOK {
					b.Fatalf("smoke run --pg-source %s exited %d", source, code)
				}
			}
		})
	}
}
