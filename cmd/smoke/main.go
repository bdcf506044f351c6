// Command smoke runs the appydex smoke harness.
//
//	smoke run      provision PostgreSQL, migrate, check the schema three ways,
//	               start the reference API, run the login flow
//	smoke repro    reproduce the login incident from nothing, then verify its fix
//	smoke verify   check a real deployment before it goes live, read-only
//	smoke diff     compare two schemas (databases, the migrations, the model)
//	               and print the SQL that turns one into the other
//	smoke down     stop the PostgreSQL servers kept for the next run (--reuse)
//	smoke version  the harness's version and the commit it was built from
//
// Exit codes: 0 all good, 1 findings or failed checks, 2 usage or
// infrastructure error, 130 interrupted.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"
	"time"

	"github.com/appydex/smoke/harness/browser/kept"
	"github.com/appydex/smoke/harness/pgenv"
	"github.com/appydex/smoke/harness/report"
)

func main() {
	pgenv.ServeIfKeeper() // started again to keep a server for --reuse, it keeps it and exits
	kept.ServeIfKeeper()  // likewise for the browser
	ctx, cancel := context.WithCancelCause(context.Background())
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		sig := <-sigs
		signal.Stop(sigs) // a second signal ends the process at once
		fmt.Fprintf(os.Stderr, "\nsmoke: %v: stopping, and removing what this run started (send it again to quit at once)\n", sig)
		cancel(&interruption{signal: sig.String(), at: time.Now()})
	}()
	code := run(ctx, os.Args[1:], withholdSecrets(), os.Stdout, os.Stderr)
	cancel(nil)
	os.Exit(code)
}

// interruption is why the context ended when a signal stopped the run.
type interruption struct {
	signal string // "interrupt", "terminated"
	at     time.Time
}

func (i *interruption) Error() string { return "interrupted (" + i.signal + ")" }

// interruptedBy returns the interruption that ended ctx, or nil.
func interruptedBy(ctx context.Context) *interruption {
	var in *interruption
	if errors.As(context.Cause(ctx), &in) {
		return in
	}
	return nil
}

const usage = `Usage: smoke <command> [flags]

Commands:
  run      get a PostgreSQL 15, apply every migration, compare the model, the
           migrations and the database, start the reference API, and run the
           login → refresh → reuse → logout flow against it
  repro    reproduce the login incident from nothing — a database at
           add_service_type_requests_table, a login answering 500 — then apply
           the pending migration and verify login, refresh and reuse detection
  verify   check a deployment before it goes live: --database-url URL
           [--api-url URL --email E --password P --otp CODE]; never writes to
           the database it checks
  diff     compare two schemas — FROM and TO each a database URL, migrations
           or model — naming every difference; --sql prints the SQL that
           turns FROM into TO, for psql --single-transaction
  down     stop the PostgreSQL servers kept for the next run (--reuse, SMOKE_REUSE)
  version  the harness's version and the commit it was built from

Run "smoke <command> -h" for a command's flags.

Exit codes:
  0    all good
  1    findings or failed checks (for repro: the incident did not reproduce, or its fix did not verify)
  2    usage or infrastructure error (a database or API that does not answer, no PostgreSQL to start)
  130  interrupted (Ctrl-C, SIGTERM): the report names the step it stopped in; what the run
       started (containers, local servers, databases) is removed before it exits
`

// Exit codes, as the usage text documents them.
const (
	exitOK          = 0
	exitFailed      = 1
	exitProblem     = 2
	exitInterrupted = 130 // 128 + SIGINT, as shells report it
)

// usageError is a command line the command cannot act on.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

// command runs one smoke command and returns its report; an error means it
// could not run (exit 2).
type command func(ctx context.Context, o *options) (*report.Report, error)

// run is the whole program with its inputs passed in, so tests drive it as
// users do, and returns the exit code.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		fmt.Fprintln(stderr, "smoke: no command given")
		return exitProblem
	}
	switch args[0] {
	case "diff":
		return diffMain(ctx, args[1:], getenv, stdout, stderr)
	case "down":
		return downMain(ctx, args[1:], getenv, stdout, stderr)
	case "version":
		fmt.Fprintln(stdout, version())
		return exitOK
	}
	commands := map[string]command{"run": runCommand, "repro": reproCommand, "verify": verifyCommand}
	name := args[0]
	if name == "-h" || name == "-help" || name == "--help" || name == "help" {
		fmt.Fprint(stdout, usage)
		return exitOK
	}
	cmd, ok := commands[name]
	if !ok {
		fmt.Fprint(stderr, usage)
		fmt.Fprintf(stderr, "smoke: unknown command %q\n", name)
		return exitProblem
	}
	o, err := parseOptions(name, args[1:], getenv, stderr)
	if errors.Is(err, errHelp) {
		return exitOK
	}
	if err != nil {
		fmt.Fprintf(stderr, "smoke %s: %v\n", name, err)
		return exitProblem
	}
	rep, err := cmd(ctx, o)
	if in := interruptedBy(ctx); in != nil {
		// The command has returned, so its deferred clean-ups have run.
		if rep == nil {
			rep = report.New(name)
		}
		var left error
		if len(o.leftovers) > 0 {
			left = errors.New(joinErrors(o.leftovers, "; "))
		}
		rep.Interrupt(in.signal, in.at, left)
		if werr := o.write(rep, stdout); werr != nil {
			fmt.Fprintf(stderr, "smoke %s: %v\n", name, werr)
		}
		fmt.Fprintf(stderr, "smoke %s: %s\n", name, rep.Verdict)
		return exitInterrupted
	}
	if rep != nil && err != nil && rep.Verdict == "" {
		// The command could not finish: the report says so in its verdict,
		// as every report ends with one.
		rep.Passed = false
		rep.Verdict = "the run could not finish: " + err.Error()
		if name == "verify" {
			rep.Verdict = "do not deploy: the check could not finish: " + err.Error()
		}
	}
	if rep != nil {
		if werr := o.write(rep, stdout); werr != nil && err == nil {
			err = werr
		}
	}
	if err != nil {
		fmt.Fprintf(stderr, "smoke %s: %v\n", name, err)
		return exitProblem
	}
	if !rep.Passed {
		return exitFailed
	}
	return exitOK
}

// joinErrors is errs' messages on one line, separated by sep.
func joinErrors(errs []error, sep string) string {
	msgs := make([]string, len(errs))
	for i, err := range errs {
		msgs[i] = strings.ReplaceAll(err.Error(), "\n", sep)
	}
	return strings.Join(msgs, sep)
}

// version is the harness's version, the commit it was built from and the
// Go that built it, as the build recorded them: "smoke v1.2.0 (commit
// 052b67344082, 2026-12-04T21:44:28Z) go1.26.8". A build outside a git
// checkout (go test, go run of a module copy) has no commit to name.
func version() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "smoke: no build information in this binary"
	}
	settings := map[string]string{}
	for _, s := range info.Settings {
		settings[s.Key] = s.Value
	}
	commit := "commit unknown: built outside a git checkout"
	if rev := settings["vcs.revision"]; rev != "" {
		commit = "commit " + rev[:min(12, len(rev))]
		if t := settings["vcs.time"]; t != "" {
			commit += ", " + t
		}
		if settings["vcs.modified"] == "true" {
			commit += ", with uncommitted changes"
		}
	}
	return fmt.Sprintf("smoke %s (%s) %s", info.Main.Version, commit, info.GoVersion)
}
