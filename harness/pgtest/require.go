package pgtest

import (
	"context"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/appydex/smoke/harness/docker"
	"github.com/appydex/smoke/harness/pgenv"
)

// EnvRequireSources names the sources that must be available, comma
// separated ("container,local"): where one is named, a test that needs it
// fails instead of skipping. CI sets it, so that a missing Docker Engine or
// missing server binaries cannot pass as a skip.
const EnvRequireSources = "SMOKE_REQUIRE_SOURCES"

// RequireSource skips the test when source is unavailable — unavailable
// says why — or fails it when EnvRequireSources names the source. A nil
// unavailable lets the test go on.
func RequireSource(tb testing.TB, source pgenv.Source, unavailable error) {
	tb.Helper()
	if unavailable == nil {
		return
	}
	required := strings.Split(os.Getenv(EnvRequireSources), ",")
	if slices.ContainsFunc(required, func(s string) bool { return strings.TrimSpace(s) == string(source) }) {
		tb.Fatalf("source %s is required (%s) but unavailable: %v", source, EnvRequireSources, unavailable)
	}
	tb.Skipf("source %s unavailable here: %v", source, unavailable)
}

// RequireDocker is RequireSource for the container source: it goes on only
// where a Docker Engine answers (DOCKER_HOST, when set, is the only one tried).
func RequireDocker(tb testing.TB) {
	tb.Helper()
	RequireSource(tb, pgenv.Container, docker.Answers(context.Background(), os.Getenv("DOCKER_HOST")))
}

// Sources lists the sources a test can start servers from on this machine:
// the local binaries (CI installs them; a test that starts one fails where
// they are missing), and a container where a Docker Engine answers — or,
// where none does but EnvRequireSources names the container source, the
// test fails.
func Sources(tb testing.TB) []pgenv.Source {
	tb.Helper()
	sources := []pgenv.Source{pgenv.Local}
	err := docker.Answers(context.Background(), os.Getenv("DOCKER_HOST"))
	if err == nil {
		return append(sources, pgenv.Container)
	}
	if strings.Contains(os.Getenv(EnvRequireSources), string(pgenv.Container)) {
		tb.Fatalf("source %s is required (%s) but unavailable: %v", pgenv.Container, EnvRequireSources, err)
	}
	tb.Logf("no Docker Engine answers: the container source is not tried (%v)", err)
	return sources
}
