package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/appydex/smoke/harness/browser/kept"
	"github.com/appydex/smoke/harness/pgenv"
)

// downMain is `smoke down`: it stops the PostgreSQL servers and browsers
// kept for the next run (--reuse, SMOKE_REUSE) and the servers the
// packages of a go test ./... share, except those a process uses now,
// which it names.
func downMain(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	if len(args) > 0 {
		if args[0] == "-h" || args[0] == "--help" || args[0] == "-help" {
			fmt.Fprintln(stdout, "Usage: smoke down\n\nStops the PostgreSQL servers and browsers kept for the next run (--reuse, SMOKE_REUSE), except those in use.")
			return exitOK
		}
		fmt.Fprintf(stderr, "smoke down: unexpected arguments %q: it takes none\n", args)
		return exitProblem
	}
	cfg, err := pgenv.ConfigFromEnv(getenv)
	if err != nil {
		fmt.Fprintf(stderr, "smoke down: %v\n", err)
		return exitProblem
	}
	stopped, inUse, err := pgenv.StopShared(ctx, cfg)
	for _, s := range stopped {
		fmt.Fprintf(stdout, "smoke down: stopped %s\n", s)
	}
	for _, s := range inUse {
		fmt.Fprintf(stdout, "smoke down: left %s: a process uses it now; it stops as soon as that process is done\n", s)
	}
	if len(stopped)+len(inUse) == 0 && err == nil {
		fmt.Fprintln(stdout, "smoke down: no kept PostgreSQL server")
	}
	browsers, browsersInUse, berr := kept.Stop(ctx, keptBrowsers(cfg))
	for _, s := range browsers {
		fmt.Fprintf(stdout, "smoke down: stopped %s\n", s)
	}
	for _, s := range browsersInUse {
		fmt.Fprintf(stdout, "smoke down: left %s: a run uses it now; it stops as soon as that run is done\n", s)
	}
	err = errors.Join(err, berr)
	if err != nil {
		fmt.Fprintf(stderr, "smoke down: %v\n", err)
		return exitProblem
	}
	return exitOK
}
