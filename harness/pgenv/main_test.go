package pgenv

import (
	"os"
	"testing"
)

func TestMain(m *testing.M) {
	// testcontainers-go reads its configuration once, on first use: disable
	// the reaper (its image cannot be pulled without a registry) before that.
	if os.Getenv("TESTCONTAINERS_RYUK_DISABLED") == "" {
		os.Setenv("TESTCONTAINERS_RYUK_DISABLED", "true")
	}
	os.Exit(m.Run())
}
