package main

import (
	"bytes"
	"context"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// smoke runs the command as a user would, with this process's environment
// plus env, and returns its exit code and output.
func smoke(t *testing.T, env map[string]string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	getenv := func(k string) string {
		if v, ok := env[k]; ok {
			return v
		}
		return os.Getenv(k)
	}
	var out, errOut bytes.Buffer
	err := run(context.Background(), args, getenv, &out, &errOut)
	code = exitCode(err)
	if err != nil {
		errOut.WriteString("smoke: " + err.Error() + "\n")
	}
	return code, out.String(), errOut.String()
}

func TestRunReportsEveryStepAndPasses(t *testing.T) {
	code, out, errOut := smoke(t, nil, "run")
	require.Equal(t, 0, code, "stdout:\n%s\nstderr:\n%s", out, errOut)
	for _, step := range []string{
		`ok  postgres +\d+ms  PostgreSQL 15\.\d+`,
		`ok  migrate +\d+ms  4 migrations applied into template smoke_tpl_[0-9a-f]{16}`,
		`ok  clone +\d+ms  database smoke_tpl_`,
		`ok  schema +\d+ms  model = migrations = the clone; schema_migrations says 4 \(migrations/000004_add_refresh_tokens_token_hash.up.sql\), clean`,
	} {
		assert.Regexp(t, regexp.MustCompile(step), out)
	}
	assert.True(t, strings.HasSuffix(out, "PASS\n"), "stdout ends with PASS:\n%s", out)
	assert.NotRegexp(t, `postgres://postgres:[0-9a-f]{8,}@`, out, "the password must be masked")
}

func TestUsageErrorsExitTwo(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"no command", nil, "no command given"},
		{"unknown command", []string{"launch"}, `unknown command "launch"`},
		{"unknown flag", []string{"run", "--bogus"}, "flag provided but not defined: -bogus"},
		{"unknown source", []string{"run", "--pg-source", "cloud"}, `unknown PostgreSQL source "cloud"`},
		{"stray argument", []string{"run", "extra"}, "smoke run takes no arguments"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, errOut := smoke(t, nil, tc.args...)
			assert.Equal(t, 2, code)
			assert.Contains(t, errOut, tc.want)
			assert.Contains(t, errOut, "Usage", "a usage error shows the usage")
		})
	}
}

func TestUnreachableDatabaseExitsTwoWithTheURLMasked(t *testing.T) {
	code, _, errOut := smoke(t, nil, "run", "--database-url", "postgres://app:hunter2@127.0.0.1:1/appydex")
	assert.Equal(t, 2, code)
	assert.Contains(t, errOut, "postgres://app:xxxxx@127.0.0.1:1/appydex")
	assert.Contains(t, errOut, "connection refused")
	assert.NotContains(t, errOut, "hunter2")
}
