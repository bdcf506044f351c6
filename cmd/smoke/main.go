// Command smoke runs the appydex smoke harness.
//
//	smoke run [--pg-source auto|container|local|external] [--pg-image IMAGE] [--database-url URL]
//
// run gets a real PostgreSQL 15, applies every migration into a template
// database, clones it, compares the model, the migrations and the clone,
// and reports what it found, step by step. Exit codes:
// 0 all good, 1 a failed check, 2 usage or infrastructure error.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	os.Exit(exitCode(err))
}

// run is the whole command, with its inputs passed in so tests drive it as
// users do.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return usageError{"no command given"}
	}
	switch args[0] {
	case "run":
		return runSmoke(ctx, args[1:], getenv, stdout, stderr)
	case "-h", "-help", "--help", "help":
		fmt.Fprint(stdout, usage)
		return nil
	default:
		fmt.Fprint(stderr, usage)
		return usageError{fmt.Sprintf("unknown command %q", args[0])}
	}
}

const usage = `Usage: smoke <command> [flags]

Commands:
  run     get a PostgreSQL 15 server, apply every migration into a template,
          clone it, compare the model, the migrations and the clone, and
          report each step

Run "smoke run --help" for a command's flags.

Exit codes: 0 all good, 1 a check failed, 2 usage or infrastructure error.
`

// Exit codes, documented in the usage text and the README.
const (
	exitOK      = 0
	exitFailed  = 1
	exitProblem = 2
)

// usageError is a command line the command cannot act on.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

// checkFailed means the harness ran and something it checked is wrong.
type checkFailed struct{ msg string }

func (e checkFailed) Error() string { return e.msg }

func exitCode(err error) int {
	switch err.(type) {
	case nil:
		return exitOK
	case checkFailed:
		fmt.Fprintln(os.Stderr, "smoke:", err)
		return exitFailed
	default:
		fmt.Fprintln(os.Stderr, "smoke:", err)
		return exitProblem
	}
}
