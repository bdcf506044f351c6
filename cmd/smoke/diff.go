package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"

	"github.com/appydex/smoke/harness/backend"
	"github.com/appydex/smoke/harness/docker"
	"github.com/appydex/smoke/harness/drift"
	"github.com/appydex/smoke/harness/live"
	"github.com/appydex/smoke/harness/pgenv"
	"github.com/appydex/smoke/harness/report"
	"github.com/appydex/smoke/harness/target"
	"github.com/appydex/smoke/migrations"
	"github.com/appydex/smoke/redact"
	"github.com/appydex/smoke/schema"
)

const diffUsage = `Usage: smoke diff [flags] FROM TO

Compares two schemas and names every difference, each with the SQL that
mends it. FROM and TO are each
  postgres://…   a database, read over a read-only session
  migrations     this checkout's migrations (or --backend's), applied to a scratch database
  model          the model's DDL (or --backend's create_model), in a scratch database
Findings describe FROM against TO; --sql prints the SQL that turns FROM into
TO, in an order that applies in one pass:
  smoke diff --sql FROM TO | psql --single-transaction -v ON_ERROR_STOP=1 FROM
(its first line says when it must be several transactions instead). --table
and --exclude-table leave out the tables that are not the application's.
Each finding's severity says what the difference does to an application
written for TO that meets FROM (docs/drift.md): give a database as FROM and
migrations or model as TO to judge the database, as verify does.

Flags:
`

// diffOptions are the settings of `smoke diff`.
type diffOptions struct {
	from, to diffSide
	filter   schema.Filter
	scope    schema.Scope // --table, --exclude-table
	leftOut  string       // what the scopes left out, for the summary: "" for nothing
	sql      bool
	json     bool
	gate     schema.Gate
	exact    bool // exit 1 on any difference, notices too
	verbose  bool
	pg       pgenv.Config
	backend  *backend.Description
	noBuild  string // why the backend's build command is not run; "": it runs
}

// diffSide is one of the two schemas compared.
type diffSide struct {
	arg   string // as given: a URL, "migrations" or "model"
	name  string // how findings name it: "FROM", "TO", "migrations", "model"
	label string // what it is: host:port/database, "migrations", "model"
}

// String names the side with what it is: "FROM (db.internal:5432/appydex)".
func (s diffSide) String() string {
	if s.name == s.label {
		return s.name
	}
	return s.name + " (" + s.label + ")"
}

func (s diffSide) isURL() bool { return s.arg != "migrations" && s.arg != "model" }

// diffMain is `smoke diff`; it returns the exit code: 0 the same, 1 they
// differ, 2 usage or infrastructure error, 130 interrupted.
func diffMain(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	o, err := parseDiffOptions(args, getenv, stderr)
	if errors.Is(err, errHelp) {
		return exitOK
	}
	if err != nil {
		fmt.Fprintf(stderr, "smoke diff: %v\n", err)
		return exitProblem
	}
	from, to, err := o.snapshots(ctx, stderr)
	if in := interruptedBy(ctx); in != nil {
		fmt.Fprintf(stderr, "smoke diff: interrupted (%s) before the comparison finished\n", in.signal)
		return exitInterrupted
	}
	if err != nil {
		fmt.Fprintf(stderr, "smoke diff: %v\n", err)
		return exitProblem
	}
	o.leaveOut(from, to)
	findings := schema.Diff(to, from)
	if err := o.judge(ctx, to, findings); err != nil {
		fmt.Fprintf(stderr, "smoke diff: %v\n", err)
		return exitProblem
	}
	if err := o.print(stdout, findings, schema.Plan(to, from)); err != nil {
		fmt.Fprintf(stderr, "smoke diff: %v\n", err)
		return exitProblem
	}
	if o.fails(findings) {
		return exitFailed
	}
	return exitOK
}

// fails says whether the comparison exits 1: by the gate (errors, and
// warnings with --strict); with --exact on any difference; with --sql when
// it printed SQL to run — its output is the script, and the exit code says
// whether there is anything to apply.
func (o *diffOptions) fails(findings []schema.Finding) bool {
	if o.exact || o.sql {
		return len(findings) > 0
	}
	return o.gate.Failing(findings) > 0
}

// scopeFlags adds the flags that say which schemas and tables are read.
func (o *diffOptions) scopeFlags(fs *flag.FlagSet) {
	appendTo := func(list *[]string) func(string) error {
		return func(s string) error {
			*list = append(*list, s)
			return nil
		}
	}
	fs.Func("schema", "compare only this schema (repeat for more); default: every schema that is not PostgreSQL's own", appendTo(&o.filter.Include))
	fs.Func("exclude-schema", "leave this schema out (repeat for more)", appendTo(&o.filter.Exclude))
	fs.Func("table", "compare only the tables this name or pattern matches (repeat for more): \"users\", \"auth_*\", \"billing.*\"", appendTo(&o.scope.Tables))
	fs.Func("exclude-table", "leave out the tables this name or pattern matches, and what is theirs alone (repeat for more)", appendTo(&o.scope.ExcludeTables))
}

// scopeFlags names the flags a scope was given by.
func scopeFlags(s schema.Scope) string {
	var flags []string
	if len(s.Tables) > 0 {
		flags = append(flags, "--table")
	}
	if len(s.ExcludeTables) > 0 {
		flags = append(flags, "--exclude-table")
	}
	return strings.Join(flags, " and ")
}

// leaveOut takes out of both snapshots the tables that are not the
// application's — by --table and --exclude-table, and by --backend's
// database.ignore — with what is theirs alone, and keeps for the summary
// what it left out of the two.
func (o *diffOptions) leaveOut(from, to *schema.Snapshot) {
	scopes := []schema.Scope{o.scope}
	if o.backend != nil {
		scopes = append(scopes, o.backend.Scope())
	}
	var said []string
	for _, scope := range scopes {
		if all := schema.LeaveOutOf(scope, from, to); all.Count() > 0 {
			said = append(said, all.String()+" left out by "+scope.By)
		}
	}
	o.leftOut = strings.Join(said, "; ")
}

// judge judges findings again in their context where FROM is a database
// and TO this checkout's migrations — as verify does: a renamed
// constraint a migration file names, a view the next migration must drop a
// column from under, a grant to the application's own role.
func (o *diffOptions) judge(ctx context.Context, to *schema.Snapshot, findings []schema.Finding) error {
	if !o.from.isURL() || o.to.arg != "migrations" || o.backend != nil {
		return nil
	}
	conn, err := live.Connect(ctx, o.from.arg)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	state, err := drift.ReadState(ctx, conn, migrations.FS, migrations.Dir)
	if err != nil {
		return fmt.Errorf("%s: %w", o.from, err)
	}
	text, err := drift.ReadMigrationText(migrations.FS, migrations.Dir, state.Applied())
	if err != nil {
		return err
	}
	comparisons := []drift.Comparison{{Want: o.to.name, Got: o.from.name, Findings: findings}}
	return drift.Judge(ctx, conn, drift.Context{Expected: to, Text: text}, comparisons, o.from.name)
}

func parseDiffOptions(args []string, getenv func(string) string, stderr io.Writer) (*diffOptions, error) {
	o := &diffOptions{}
	fs := flag.NewFlagSet("smoke diff", flag.ContinueOnError)
	fs.SetOutput(stderr)
	pg, err := addPGFlags(fs, getenv, "where the scratch PostgreSQL for migrations and model comes from", "take migrations and model from this backend")
	if err != nil {
		return nil, err
	}
	o.scopeFlags(fs)
	fs.BoolVar(&o.sql, "sql", false, "print only the SQL that turns FROM into TO (a difference no statement mends safely is a -- comment)")
	fs.BoolVar(&o.json, "json", false, "print the findings and the SQL as JSON")
	fs.BoolVar(&o.gate.Strict, "strict", false, "exit 1 on warnings too, not only on errors (notices never fail; docs/drift.md says which is which)")
	fs.BoolVar(&o.exact, "exact", false, "exit 1 on any difference, notices too: the schemas must be the same")
	fs.Usage = func() {
		fmt.Fprint(stderr, diffUsage)
		fs.PrintDefaults()
		fmt.Fprintln(stderr, "\nExit codes: 0 the same, or different only by what fails nothing (notices; warnings too without --strict),\n"+
			"1 they differ by an error (or, with --strict, a warning; with --exact, anything; with --sql, there is SQL to run),\n"+
			"2 usage or infrastructure error, 130 interrupted.")
	}
	// Flags may come before, between or after FROM and TO.
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, errHelp
			}
			return nil, usageError{err.Error()}
		}
		if fs.NArg() == 0 {
			break
		}
		positional = append(positional, fs.Arg(0))
		args = fs.Args()[1:]
	}
	usage := func(msg string) error {
		fs.Usage()
		return usageError{msg}
	}
	fail := func(msg string) (*diffOptions, error) { return nil, usage(msg) }
	if len(positional) != 2 {
		return fail(fmt.Sprintf("diff needs two schemas, FROM and TO; got %d argument(s)", len(positional)))
	}
	if o.sql && o.json {
		return fail("--sql and --json: choose one")
	}
	if o.exact && o.gate.Strict {
		return fail("--exact fails on any difference, --strict on warnings and errors: choose one")
	}
	for i, side := range []*diffSide{&o.from, &o.to} {
		if *side, err = parseDiffSide(positional[i], []string{"FROM", "TO"}[i]); err != nil {
			return fail(err.Error())
		}
	}
	if o.from.name == o.to.name { // "migrations migrations"
		o.from.name, o.to.name = "FROM", "TO"
	}
	o.scope.By = scopeFlags(o.scope)
	if err := o.scope.Check(); err != nil {
		return fail(err.Error())
	}
	if o.pg, o.backend, err = pg.config(stderr, usage); err != nil {
		return nil, err
	}
	o.verbose, o.noBuild = pg.verbose, pg.noBuildWhy
	if !o.from.isURL() || !o.to.isURL() {
		docker.Setup(getenv, o.verbose)
	}
	return o, nil
}

// parseDiffSide reads FROM or TO.
func parseDiffSide(arg, which string) (diffSide, error) {
	switch {
	case arg == "migrations" || arg == "model":
		return diffSide{arg: arg, name: arg, label: arg}, nil
	case strings.HasPrefix(arg, "postgres://") || strings.HasPrefix(arg, "postgresql://") || strings.Contains(arg, "="):
		cfg, err := redact.ParseConn(arg)
		if err != nil {
			return diffSide{}, fmt.Errorf("%s %s: %w", which, redact.Conn(arg), err)
		}
		return diffSide{arg: arg, name: which, label: net.JoinHostPort(cfg.Host, fmt.Sprint(cfg.Port)) + "/" + cfg.Database}, nil
	}
	shown := ""
	if !strings.ContainsAny(arg, ":@ ") { // a mistyped word, not a connection string and its secret
		shown = fmt.Sprintf(" (%q)", arg)
	}
	return diffSide{}, fmt.Errorf("%s%s is not a database URL (postgres://user@host:5432/db, or host=… dbname=…), migrations or model", which, shown)
}

// snapshots reads FROM and TO at once. A scratch PostgreSQL (or the
// backend's stack) is started only when one of them needs it.
func (o *diffOptions) snapshots(ctx context.Context, stderr io.Writer) (from, to *schema.Snapshot, err error) {
	scratch, closeScratch, err := o.scratchSource(ctx, stderr)
	if err != nil {
		return nil, nil, err
	}
	defer closeScratch()
	var wg sync.WaitGroup
	var fromErr, toErr error
	wg.Add(1)
	go func() {
		defer wg.Done()
		from, fromErr = o.read(ctx, o.from, scratch)
	}()
	to, toErr = o.read(ctx, o.to, scratch)
	wg.Wait()
	if err := errors.Join(fromErr, toErr); err != nil {
		return nil, nil, err
	}
	return from, to, nil
}

// scratchDatabase makes a database holding "migrations" or "model"; the
// caller drops it.
type scratchDatabase func(ctx context.Context, of string) (*pgenv.Database, error)

// scratchSource starts the reference's PostgreSQL, or --backend's stack,
// when a side is the migrations or the model.
func (o *diffOptions) scratchSource(ctx context.Context, stderr io.Writer) (scratchDatabase, func(), error) {
	if o.from.isURL() && o.to.isURL() {
		return nil, func() {}, nil
	}
	t := target.New(o.backend, target.Env{PG: o.pg, NoBuild: o.noBuild, Progress: newProgress(stderr, false).begin})
	closeTarget := func() {
		if err := t.Close(context.WithoutCancel(ctx)); err != nil {
			fmt.Fprintf(stderr, "smoke diff: left behind: %v\n", err)
		}
	}
	if _, err := t.Up(ctx, report.New("diff"), "postgres"); err != nil {
		closeTarget()
		return nil, nil, err
	}
	return t.SchemaDatabase, closeTarget, nil
}

// read takes the snapshot of one side.
func (o *diffOptions) read(ctx context.Context, side diffSide, scratch scratchDatabase) (*schema.Snapshot, error) {
	url := side.arg
	if !side.isURL() {
		db, err := scratch(ctx, side.arg)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", side.arg, err)
		}
		defer db.Drop(context.WithoutCancel(ctx))
		url = db.URL
	}
	conn, err := live.Connect(ctx, url)
	if err != nil {
		return nil, err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	read := schema.ReadSchemas
	if side.isURL() {
		// The grants to the role it reads as are how it reads, as verify's.
		read = func(ctx context.Context, _ schema.Beginner, filter schema.Filter, source string) (*schema.Snapshot, error) {
			return drift.ReadLiveSchemas(ctx, conn, filter, source)
		}
	}
	snap, err := read(ctx, conn, o.filter, side.name)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", side, err)
	}
	return snap, nil
}

// diffJSON is what --json prints.
type diffJSON struct {
	From string `json:"from"` // "FROM (host:port/database)", "migrations", "model"
	To   string `json:"to"`
	Same bool   `json:"same"` // no finding at all
	// Passed: no finding fails — no error (nor, when Strict, warning) —
	// and the exit code is 0.
	Passed   bool             `json:"passed"`
	Strict   bool             `json:"strict"`
	Counts   schema.Counts    `json:"counts"`
	Findings []schema.Finding `json:"findings"`
	// SQL turns FROM into TO, a statement (or a "--" comment) per item;
	// Transactions is the same cut into the transactions it must run as,
	// in order (one, unless PostgreSQL forbids it).
	SQL          []string             `json:"sql"`
	Transactions []schema.Transaction `json:"transactions"`
	// LeftOut says what --table, --exclude-table and the backend's
	// database.ignore left out of both: "85 tables (with 12 sequences of
	// theirs) left out by --exclude-table".
	LeftOut string `json:"left_out,omitempty"`
}

func (o *diffOptions) print(w io.Writer, findings []schema.Finding, plan []schema.Transaction) error {
	switch {
	case o.json:
		if findings == nil {
			findings = []schema.Finding{}
		}
		script := []string{}
		for _, tx := range plan {
			script = append(script, tx.Statements...)
		}
		if plan == nil {
			plan = []schema.Transaction{}
		}
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(diffJSON{From: o.from.String(), To: o.to.String(), Same: len(findings) == 0, Passed: !o.fails(findings),
			Strict: o.gate.Strict, Counts: schema.Count(findings), Findings: findings, SQL: script, Transactions: plan, LeftOut: o.leftOut})
	case o.sql:
		_, err := io.WriteString(w, o.sqlText(plan))
		return err
	}
	if o.leftOut != "" {
		if _, err := fmt.Fprintf(w, "smoke diff: %s: not compared\n", o.leftOut); err != nil {
			return err
		}
	}
	if len(findings) == 0 {
		_, err := fmt.Fprintf(w, "smoke diff: %s and %s are the same\n", o.from, o.to)
		return err
	}
	verdict := "differs from"
	if !o.fails(findings) {
		verdict = "differs, by nothing that fails, from"
	}
	_, err := fmt.Fprintf(w, "%ssmoke diff: %s %s %s: %s (%s); --sql prints the SQL that turns %s into %s\n",
		schema.Explained(findings), o.from, verdict, o.to, plural(len(findings), "difference"), schema.Count(findings), o.from.name, o.to.name)
	return err
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// sqlText is what --sql prints: the script, saying first whether it is one
// transaction; when it cannot be, each is labelled and framed by BEGIN and
// COMMIT, to run in order.
func (o *diffOptions) sqlText(plan []schema.Transaction) string {
	if len(plan) == 0 {
		same := fmt.Sprintf("-- %s and %s are the same: nothing to do\n", o.from, o.to)
		if o.leftOut != "" {
			same = fmt.Sprintf("-- %s: not compared\n", o.leftOut) + same
		}
		return same
	}
	var b strings.Builder
	leftOut := func() {
		if o.leftOut != "" {
			fmt.Fprintf(&b, "-- %s: not compared, and not touched\n", o.leftOut)
		}
	}
	if len(plan) == 1 {
		fmt.Fprintf(&b, "-- turns %s into %s; one transaction:\n", o.from, o.to)
		fmt.Fprintf(&b, "--   psql --single-transaction -v ON_ERROR_STOP=1 -f THIS_FILE\n")
		leftOut()
		for _, s := range plan[0].Statements {
			b.WriteString(s + "\n")
		}
		return b.String()
	}
	fmt.Fprintf(&b, "-- turns %s into %s; %d transactions, in order — not one: PostgreSQL forbids it here.\n", o.from, o.to, len(plan))
	fmt.Fprintf(&b, "-- Each is framed by BEGIN and COMMIT; run the file without --single-transaction:\n")
	fmt.Fprintf(&b, "--   psql -v ON_ERROR_STOP=1 -f THIS_FILE\n")
	leftOut()
	for i, tx := range plan {
		fmt.Fprintf(&b, "\n-- transaction %d of %d: %s\nBEGIN;\n", i+1, len(plan), tx.Why)
		for _, s := range tx.Statements {
			b.WriteString(s + "\n")
		}
		b.WriteString("COMMIT;\n")
	}
	return b.String()
}
