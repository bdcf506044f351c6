package tests

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// The layers docs/architecture.md draws, held by the import graph as the
// compiler sees it (go list -deps: the packages a build links, test files
// left out).
func TestTheLayersHold(t *testing.T) {
	t.Parallel()
	harnessOrTests := []string{"github.com/appydex/smoke/harness/", "github.com/appydex/smoke/tests",
		"github.com/testcontainers/", "github.com/moby/", "github.com/docker/", "github.com/golang-migrate/", "github.com/stretchr/", "testing"}
	containersOrMigrations := []string{"github.com/testcontainers/", "github.com/moby/", "github.com/docker/", "github.com/golang-migrate/"}
	// The guard itself: the harness's PostgreSQL source does use Docker.
	if found := forbiddenDeps(t, "github.com/appydex/smoke/harness/pgenv", containersOrMigrations); len(found) == 0 {
		t.Fatal("the guard finds no container package behind harness/pgenv, which starts containers: it cannot see a forbidden import")
	}
	for _, c := range []struct {
		pkgs, why string
		forbidden []string
	}{
		// The reference API is a production binary and one backend the
		// harness judges: it carries nothing of the harness, nor of tests.
		{"github.com/appydex/smoke/app/...", "nothing under app/ may import the harness or test infrastructure: move what it needs into a leaf package (schema, redact)", harnessOrTests},
		{"github.com/appydex/smoke/cmd/appydex-api", "the API's binary carries nothing of the harness", harnessOrTests},
		// The HTTP contract checker and its read-only connection are what
		// a user embeds in their own Go tests: no Docker, no migrations.
		{"github.com/appydex/smoke/harness/flow", "the flow checks an API over HTTP and reads rows read-only: it must not need Docker or golang-migrate", containersOrMigrations},
		{"github.com/appydex/smoke/harness/live", "the read-only connection needs pgx only", containersOrMigrations},
	} {
		if found := forbiddenDeps(t, c.pkgs, c.forbidden); len(found) > 0 {
			t.Errorf("%s depends on %d forbidden package(s): %s\n%s", c.pkgs, len(found), strings.Join(found, ", "), c.why)
		}
	}
}

// forbiddenDeps lists the packages pkgs depend on that forbidden names:
// exactly ("testing"), or as a prefix ending in "/".
func forbiddenDeps(t *testing.T, pkgs string, forbidden []string) []string {
	t.Helper()
	out, err := exec.Command("go", "list", "-deps", pkgs).CombinedOutput()
	if err != nil {
		t.Fatalf("go list -deps %s: %v\n%s", pkgs, err, out)
	}
	var found []string
	for _, pkg := range strings.Fields(string(out)) {
		if slices.ContainsFunc(forbidden, func(f string) bool { return pkg == f || strings.HasSuffix(f, "/") && strings.HasPrefix(pkg, f) }) {
			found = append(found, pkg)
		}
	}
	return found
}

// What the harness expects of an API comes from the contract, never from
// the code under test: a default changed in the reference API (a session
// of 100 years) must fail the flow, not move its expectation along. So no
// harness or command code reads the reference API's defaults.
func TestExpectationsAreNotReadFromTheCodeUnderTest(t *testing.T) {
	t.Parallel()
	defaults := regexp.MustCompile(`apiserver\.Default\w*TTL`)
	guarded := 0
	for _, root := range []string{"../harness", "../cmd/smoke", "."} {
		err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") {
				return err
			}
			src, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			guarded++
			for i, line := range strings.Split(string(src), "\n") {
				if defaults.MatchString(line) && !strings.Contains(line, "defaults := regexp") {
					t.Errorf("%s:%d reads the reference API's own lifetimes; take them from the contract "+
						"(flow.ContractAccessTTL, flow.ContractRefreshTTL): %s", path, i+1, strings.TrimSpace(line))
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if guarded < 50 {
		t.Fatalf("the guard read only %d Go files: it looks in the wrong place", guarded)
	}
}

// The command is thin: the order of its steps, its flags and its output.
// What it judges is a target's (harness/target), so no function of it
// grows past what a reader takes in at once, and no step's outcome is
// read back from the report it was written to.
func TestTheCommandStaysThin(t *testing.T) {
	t.Parallel()
	const maxLines = 80
	files, err := filepath.Glob("../cmd/smoke/*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	funcs := 0
	for _, path := range files {
		if strings.HasSuffix(path, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.FuncDecl:
				funcs++
				start, end := fset.Position(n.Pos()), fset.Position(n.End())
				if lines := end.Line - start.Line + 1; lines > maxLines {
					t.Errorf("%s:%d: %s is %d lines (at most %d): split it, or move what it judges into harness/", path, start.Line, n.Name.Name, lines, maxLines)
				}
			case *ast.IndexExpr:
				// rep.Steps[len(rep.Steps)-1]: a step's outcome read back.
				if sel, ok := n.X.(*ast.SelectorExpr); ok && sel.Sel.Name == "Steps" {
					if bin, ok := n.Index.(*ast.BinaryExpr); ok && bin.Op == token.SUB {
						t.Errorf("%s: a step read back from the report (…Steps[len(…)-1]): have the step return what the command decides on", fset.Position(n.Pos()))
					}
				}
			}
			return true
		})
	}
	if funcs < 50 {
		t.Fatalf("the guard read only %d functions: it looks in the wrong place", funcs)
	}
}
