package main

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// The reference API is a production binary: it must not carry the harness
// (containers, migrations, test helpers), only the leaf packages it shares
// with it (schema, schema/model, redact).
func TestTheAPIImportsNothingOfTheHarness(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").CombinedOutput()
	require.NoError(t, err, "go list -deps:\n%s", out)
	forbidden := []string{"github.com/appydex/smoke/harness/", "github.com/testcontainers/", "github.com/moby/",
		"github.com/docker/", "github.com/golang-migrate/", "github.com/stretchr/"}
	var found []string
	for _, pkg := range strings.Fields(string(out)) {
		for _, prefix := range forbidden {
			if strings.HasPrefix(pkg, prefix) {
				found = append(found, pkg)
			}
		}
		if pkg == "testing" {
			found = append(found, pkg)
		}
	}
	require.Empty(t, found, "cmd/appydex-api depends on these; move what it needs into a leaf package")
}
