package main

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/appydex/smoke/app/auth"
	"github.com/appydex/smoke/app/seed"
	"github.com/appydex/smoke/harness/backend"
	"github.com/appydex/smoke/harness/browser"
	"github.com/appydex/smoke/harness/docker"
	"github.com/appydex/smoke/harness/flow"
	"github.com/appydex/smoke/harness/pgenv"
	"github.com/appydex/smoke/harness/report"
	"github.com/appydex/smoke/harness/target"
)

var errHelp = errors.New("help shown")

// options are a command's settings: where PostgreSQL comes from, what to
// verify, how to print.
type options struct {
	command string // run, repro or verify
	pg      pgenv.Config
	json    bool
	junit   string
	// summary is the file a Markdown summary of the report is appended to
	// (--summary; GitHub's $GITHUB_STEP_SUMMARY); annotate writes GitHub
	// workflow commands for what failed on stderr ($GITHUB_ACTIONS).
	summary  string
	annotate bool
	stderr   io.Writer
	verbose  bool
	progress *progress

	// backend is the backend --backend describes; nil: the reference API,
	// in this process.
	backend *backend.Description
	// noBuild is why the backend's build command is not run before the
	// run (--no-build; the smoke image); "": it runs.
	noBuild string

	// reuse: attach to a kept server, or start one and keep it after the
	// run (--reuse, SMOKE_REUSE).
	reuse pgenv.ShareOptions

	// The admin panel's sign-in in a browser (run, repro, verify with
	// --admin-url): off with --no-browser; a missing browser fails the step
	// instead of skipping it with $SMOKE_REQUIRE_BROWSER (CI).
	noBrowser, requireBrowser bool
	// strict fails the verdict on warnings too, not only on errors
	// (--strict); notices never fail it.
	strict    bool
	artifacts string // where a failing browser step's screenshot goes
	getenv    func(string) string

	// verify only
	adminURL                        string
	adminLanding                    []string // the panel's signed-in paths; nil: /dashboard and /admins
	databaseURL, apiURL             string
	email, password, otp, totp      string
	inactiveEmail, inactivePassword string
	refreshTTL, accessTTL           time.Duration
	tokenHash                       flow.TokenHash
	leftovers                       []error  // what the clean-ups could not remove
	appRoles                        []string // the roles the application connects as; nil: inferred
}

// referencePasswords are the argon2id costs the reference API hashes its
// passwords with; zero is production's (auth.OWASP). The command's tests
// set them cheap (apitest.Passwords): a test setting, not the command's.
var referencePasswords auth.Argon2Params

// targetEnv is what the command's target takes from it. panel is the
// origin of the panel the browser steps serve, which the API must allow
// (its CORS); nil when no panel of the harness's calls the API.
func (o *options) targetEnv(panel func() (string, error)) target.Env {
	return target.Env{PG: o.pg, Reuse: o.reuse, Verbose: o.verbose, Progress: o.progress.begin, BuildOutput: o.progress,
		NoBuild: o.noBuild, PanelOrigin: panel, Passwords: referencePasswords}
}

// release closes t once the command is done, and records what it could not
// remove: an interrupted run's verdict must not say all was removed when
// it was not.
func (o *options) release(ctx context.Context, t target.Target) {
	if err := t.Close(context.WithoutCancel(ctx)); err != nil {
		o.leftovers = append(o.leftovers, err)
	}
}

// newReport starts the command's report, strict as --strict says.
func (o *options) newReport(command string) *report.Report {
	rep := report.New(command)
	rep.Strict = o.strict
	return rep
}

func parseOptions(command string, args []string, getenv func(string) string, stderr io.Writer) (*options, error) {
	o := &options{command: command}
	fs := flag.NewFlagSet("smoke "+command, flag.ContinueOnError)
	fs.SetOutput(stderr)
	pg, err := addPGFlags(fs, getenv, "where the harness's own PostgreSQL comes from", "a backend to judge instead of the reference API")
	if err != nil {
		return nil, err
	}
	// Flags that may carry a secret default to "" and take their variable
	// after parsing: flag's help would print a default, password and all.
	secrets := map[*string]string{}
	secretFlag := func(p *string, name, env, usage string) {
		fs.StringVar(p, name, "", usage+" ($"+env+")")
		secrets[p] = env
	}
	fs.BoolVar(&o.json, "json", false, "print the report as JSON (schema: harness/report/report.schema.json)")
	fs.StringVar(&o.junit, "junit", "", "also write the report as JUnit XML to this file")
	fs.StringVar(&o.summary, "summary", getenv("GITHUB_STEP_SUMMARY"), "also append the report as a Markdown summary to this file ($GITHUB_STEP_SUMMARY)")
	fs.BoolVar(&o.annotate, "annotations", getenv("GITHUB_ACTIONS") == "true",
		"write what failed as GitHub Actions annotations on stderr (default: in GitHub Actions, $GITHUB_ACTIONS)")
	if o.reuse, err = pgenv.ReuseFromEnv(getenv); err != nil {
		return nil, usageError{err.Error()}
	}
	fs.Var(reuseFlag{&o.reuse}, "reuse", "keep the harness's PostgreSQL after the run for the next one, which attaches to it: --reuse (for "+
		pgenv.DefaultIdle.String()+" unused) or --reuse=2h; 'smoke down' stops it ($"+pgenv.EnvReuse+")")
	o.getenv, o.requireBrowser = getenv, getenv(browser.EnvRequire) != ""
	fs.BoolVar(&o.noBrowser, "no-browser", false, "skip the admin panel's sign-in in headless Chromium")
	fs.BoolVar(&o.strict, "strict", false, "fail on warnings too, not only on errors (notices never fail; docs/drift.md says which is which)")
	fs.StringVar(&o.artifacts, "artifacts", cmp.Or(getenv("SMOKE_ARTIFACTS"), "smoke-artifacts"),
		"folder for a failing browser step's screenshot ($SMOKE_ARTIFACTS)")
	if command == "verify" {
		o.verifyFlags(fs, secretFlag)
	}
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: smoke %s [flags]\n\nFlags:\n", command)
		fs.PrintDefaults()
		fmt.Fprintln(stderr, "\nExit codes: 0 all good, 1 findings or failed checks, 2 usage or infrastructure error, 130 interrupted.")
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil, errHelp
		}
		return nil, usageError{err.Error()}
	}
	for p, env := range secrets {
		if *p == "" {
			*p = getenv(env)
		}
	}
	usage := func(msg string) error {
		fs.Usage()
		return usageError{msg}
	}
	fail := func(msg string) (*options, error) { return nil, usage(msg) }
	if fs.NArg() > 0 {
		return fail(fmt.Sprintf("unexpected arguments %q", fs.Args()))
	}
	if command == "verify" {
		if msg := o.verifyProblem(); msg != "" {
			return fail(msg)
		}
	}
	if o.reuse.Keep && getenv(EnvInImage) != "" {
		// Its keepers would end with the container, leaving what they kept
		// where no later run, in another container, may sweep it.
		return nil, usageError{"--reuse (or $" + pgenv.EnvReuse + ") keeps nothing in the smoke image: the container, and what would keep " +
			"the server and the browser, ends with the run; run without it"}
	}
	if msg := o.outputsProblem(command); msg != "" {
		return nil, usageError{msg}
	}
	if o.pg, o.backend, err = pg.config(stderr, usage); err != nil {
		return nil, err
	}
	o.verbose, o.noBuild = pg.verbose, pg.noBuildWhy
	docker.Setup(getenv, o.verbose)
	o.progress = newProgress(stderr, o.json)
	o.stderr = stderr
	return o, nil
}

// pgFlags are the flags every command takes for the PostgreSQL the harness
// starts of its own, and for the backend it takes its schemas from.
type pgFlags struct {
	cfg                    pgenv.Config
	source, url, backendAt string
	verbose, noBuild       bool
	getenv                 func(string) string
	// noBuildWhy is why the backend's build command is not run (config
	// sets it: --no-build, or the smoke image); "": it runs.
	noBuildWhy string
}

// addPGFlags adds the PostgreSQL flags to fs, their defaults from the
// environment; what says what the server is for, backend what --backend is.
func addPGFlags(fs *flag.FlagSet, getenv func(string) string, what, backend string) (*pgFlags, error) {
	f := &pgFlags{getenv: getenv}
	var err error
	if f.cfg, err = pgenv.ConfigFromEnv(getenv); err != nil {
		return nil, usageError{err.Error()}
	}
	fs.StringVar(&f.source, "pg-source", getenv(pgenv.EnvSource), what+": auto, container, local or external ($"+pgenv.EnvSource+"; default auto)")
	fs.StringVar(&f.cfg.Image, "pg-image", f.cfg.Image, "container image for the container source ($"+pgenv.EnvImage+"; default "+pgenv.DefaultImage+")")
	fs.StringVar(&f.url, "pg-url", "", "server for the external source ($"+pgenv.EnvURL+")")
	fs.StringVar(&f.backendAt, "backend", "", backend+": its folder or backend.yaml (docs/backends.md)")
	fs.BoolVar(&f.noBuild, "no-build", false, "with --backend: use its images as they are; without it, its build command runs first and rebuilds what changed")
	fs.BoolVar(&f.verbose, "v", false, "print the harness's progress lines on stderr")
	return f, nil
}

// config is the PostgreSQL configuration and the backend the parsed flags
// name (and sets noBuildWhy); -v logs the server's progress to stderr. A flag's bad value is a
// usage error, shown with the usage; a bad backend description is one
// shown alone.
func (f *pgFlags) config(stderr io.Writer, fail func(string) error) (pgenv.Config, *backend.Description, error) {
	cfg := f.cfg
	if f.url != "" {
		cfg.URL = f.url
	}
	if f.source != "" { // else pgenv decides: external when a URL is given, auto when not
		var err error
		if cfg.Source, err = pgenv.ParseSource(f.source); err != nil {
			return cfg, nil, fail(err.Error())
		}
	}
	if f.verbose {
		cfg.Logf = func(format string, a ...any) { fmt.Fprintf(stderr, format+"\n", a...) }
	}
	if f.backendAt == "" {
		if f.noBuild {
			return cfg, nil, fail("--no-build is about a backend's images: give it with --backend")
		}
		return cfg, nil, nil
	}
	desc, err := backend.Load(f.backendAt)
	if err != nil {
		return cfg, nil, usageError{err.Error()}
	}
	switch {
	case f.noBuild:
		f.noBuildWhy = "--no-build"
	case f.getenv(EnvInImage) != "":
		f.noBuildWhy = "the harness runs in its image, which has no Docker CLI for the build command: build the images before the run"
	}
	return cfg, desc, nil
}

// EnvInImage is set in the smoke image (images/smoke/Dockerfile).
const EnvInImage = "SMOKE_IN_IMAGE"

// EnvVerifyDatabaseURL is --database-url from the environment: a CI
// secret, kept off the command line (where ps and a job's log show it).
const EnvVerifyDatabaseURL = "SMOKE_VERIFY_DATABASE_URL"

// secretEnv are the variables that may hold a deployment's secrets (verify's
// flags read them): main reads them once and removes them from the
// process's environment, so that nothing the command starts — a backend's
// build command, a keeper, a browser — inherits them.
var secretEnv = []string{EnvVerifyDatabaseURL, "SMOKE_API_URL", "SMOKE_ADMIN_URL", "SMOKE_PASSWORD", "SMOKE_TOTP_SECRET", "SMOKE_OTP",
	"SMOKE_INACTIVE_PASSWORD"}

// withholdSecrets removes secretEnv from this process's environment and
// returns getenv as it was: the secrets included.
func withholdSecrets() func(string) string {
	held := map[string]string{}
	for _, k := range secretEnv {
		if v, ok := os.LookupEnv(k); ok {
			held[k] = v
			os.Unsetenv(k)
		}
	}
	return func(k string) string {
		if v, ok := held[k]; ok {
			return v
		}
		return os.Getenv(k)
	}
}

// verifyFlags adds verify's own flags to fs; secretFlag adds one whose
// default comes from the environment after parsing.
func (o *options) verifyFlags(fs *flag.FlagSet, secretFlag func(p *string, name, env, usage string)) {
	secretFlag(&o.adminURL, "admin-url", "SMOKE_ADMIN_URL", "the deployment's admin panel, e.g. https://admin.example.com: signs in there in headless Chromium as --email")
	fs.Func("admin-landing", "the paths the admin panel lands on after signing in, comma-separated (default /dashboard,/admins)", func(v string) error {
		o.adminLanding = nil
		for _, p := range strings.Split(v, ",") {
			if p = strings.TrimSpace(p); !strings.HasPrefix(p, "/") {
				return fmt.Errorf("%q is not a path: give the page's path as the address bar shows it after the host, e.g. /home", p)
			}
			o.adminLanding = append(o.adminLanding, p)
		}
		return nil
	})
	secretFlag(&o.databaseURL, "database-url", EnvVerifyDatabaseURL, "the deployment's database: postgres://user:password@host:5432/appydex (read-only)")
	secretFlag(&o.apiURL, "api-url", "SMOKE_API_URL", "the deployment's API, e.g. https://staging.example.com; runs the login flow against it")
	fs.StringVar(&o.email, "email", seed.AdminEmail, "the account the flow signs in as (email or phone); the flow also makes 2–3 deliberately failed sign-ins with it "+
		"(a wrong password, a wrong code, a spent code): use an account for the purpose where failures lock accounts (docs/flow.md)")
	secretFlag(&o.password, "password", "SMOKE_PASSWORD", "its password")
	secretFlag(&o.totp, "totp-secret", "SMOKE_TOTP_SECRET", "its TOTP secret (base32): a fresh code for every sign-in, and a spent one must be refused")
	secretFlag(&o.otp, "otp", "SMOKE_OTP", "a static one-time code instead, where the deployment has a development code")
	fs.StringVar(&o.inactiveEmail, "inactive-email", "", "a disabled account, which must get exactly the wrong-password answer")
	secretFlag(&o.inactivePassword, "inactive-password", "SMOKE_INACTIVE_PASSWORD", "its password")
	fs.Func("app-role", "a role the application connects to the database as (repeat for more): settings that stop its writes, "+
		"and grants, are judged for it; default: every role with LOGIN that owns or may write the application's tables", func(v string) error {
		if strings.TrimSpace(v) == "" {
			return fmt.Errorf("give the role's name, as \\du lists it")
		}
		o.appRoles = append(o.appRoles, v)
		return nil
	})
	o.refreshTTL, o.accessTTL = flow.ContractRefreshTTL, flow.ContractAccessTTL
	fs.Var(lifetime{&o.refreshTTL}, "refresh-ttl", "the deployment's stated refresh-token lifetime: a session must end within it")
	fs.Var(lifetime{&o.accessTTL}, "access-ttl", "the deployment's stated access-token lifetime: expires_in and the token's exp − iat must not exceed it")
	fs.Func("token-hash", "how the deployment derives refresh_tokens.token_hash: sha256 (its hex SHA-256) or opaque (a keyed or salted hash: rows are found by jti); "+
		"default: --backend's token_hash, else sha256", func(v string) (err error) {
		o.tokenHash, err = flow.ParseTokenHash(v)
		return err
	})
}

// lifetime is a token lifetime flag: a positive duration. Its default is
// the contract's (flow.ContractRefreshTTL, flow.ContractAccessTTL), never
// the reference API's setting.
type lifetime struct{ d *time.Duration }

func (l lifetime) String() string {
	if l.d == nil {
		return ""
	}
	return l.d.String()
}

func (l lifetime) Set(v string) error {
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		return fmt.Errorf("want a positive duration such as 168h or 15m")
	}
	*l.d = d
	return nil
}

// outputsProblem says which file or folder the run would write cannot be
// written ("" when all can), before the run starts: a run that printed PASS
// and only then failed to write its JUnit would say one thing and exit
// another.
func (o *options) outputsProblem(command string) string {
	if o.summary != "" {
		if err := canWrite(filepath.Dir(o.summary)); err != nil {
			return fmt.Sprintf("--summary %s: %v", o.summary, err)
		}
	}
	if o.junit != "" {
		if err := canWrite(filepath.Dir(o.junit)); err != nil {
			return fmt.Sprintf("--junit %s: %v", o.junit, err)
		}
		if fi, err := os.Stat(o.junit); err == nil && fi.IsDir() {
			return fmt.Sprintf("--junit %s is a folder: give the file to write, e.g. %s", o.junit, filepath.Join(o.junit, "smoke.xml"))
		}
	}
	// verify signs in through a browser only to the panel at --admin-url.
	if browses := !o.noBrowser && (command != "verify" || o.adminURL != ""); browses {
		if err := canWrite(o.artifacts); err != nil {
			return fmt.Sprintf("--artifacts %s (where a failing browser step's screenshot goes): %v", o.artifacts, err)
		}
	}
	return ""
}

// canWrite says whether dir is, or can be made as, a folder this process
// may write in: the nearest part of it that exists must be a folder it may
// write in. It creates nothing.
func canWrite(dir string) error {
	for path := filepath.Clean(dir); ; path = filepath.Dir(path) {
		fi, err := os.Stat(path)
		switch {
		case (errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR)) && filepath.Dir(path) != path:
			continue
		case err != nil:
			return err
		case !fi.IsDir():
			return fmt.Errorf("%s is a file, not a folder", path)
		}
		if err := syscall.Access(path, 2|1); err != nil { // W_OK|X_OK
			return fmt.Errorf("the folder %s cannot be written: %w", path, err)
		}
		return nil
	}
}

// verifyProblem says what verify's flags, together, cannot mean ("" when
// nothing): a usage error.
func (o *options) verifyProblem() string {
	if o.databaseURL == "" {
		return "verify needs --database-url (or $" + EnvVerifyDatabaseURL + "): the database of the deployment to check"
	}
	if o.apiURL != "" && (o.password == "" || (o.otp == "" && o.totp == "")) {
		return "--api-url needs the account's --password and --totp-secret or --otp (or $SMOKE_PASSWORD and $SMOKE_TOTP_SECRET or $SMOKE_OTP)"
	}
	if o.adminURL != "" && (o.password == "" || (o.otp == "" && o.totp == "")) {
		return "--admin-url needs the account's --password and --totp-secret or --otp (or $SMOKE_PASSWORD and $SMOKE_TOTP_SECRET or $SMOKE_OTP)"
	}
	for flag, u := range map[string]string{"--api-url": o.apiURL, "--admin-url": o.adminURL} {
		if p, err := url.Parse(u); err == nil && p.User != nil {
			return flag + " carries a user name or password (…@host): the harness signs in with --email and $SMOKE_PASSWORD, " +
				"and a password in an address would show in reports: give the address without them"
		}
	}
	if o.adminURL != "" && o.noBrowser {
		return "--admin-url signs in to the panel in a browser, and --no-browser leaves the browser out: give one of them"
	}
	if o.inactiveEmail != "" && o.inactivePassword == "" {
		return "--inactive-email needs --inactive-password (or $SMOKE_INACTIVE_PASSWORD)"
	}
	return ""
}

// reuseFlag is --reuse: alone it keeps the server for pgenv.DefaultIdle;
// with a value, for that long (or not at all: --reuse=0).
type reuseFlag struct{ opts *pgenv.ShareOptions }

func (f reuseFlag) String() string {
	if f.opts == nil || !f.opts.Keep {
		return ""
	}
	return f.opts.Idle.String()
}

func (f reuseFlag) Set(v string) error {
	opts, err := pgenv.ParseReuse(v)
	if err != nil {
		return fmt.Errorf("give --reuse alone, --reuse=0, or how long to keep the server, e.g. --reuse=2h")
	}
	*f.opts = opts
	return nil
}

func (f reuseFlag) IsBoolFlag() bool { return true }

// write prints the report: text or JSON on stdout, and JUnit to a file.
func (o *options) write(rep *report.Report, stdout io.Writer) error {
	var err error
	if o.json {
		err = rep.WriteJSON(stdout)
	} else {
		err = rep.WriteText(stdout)
	}
	if err != nil {
		return err
	}
	if o.annotate {
		if err := rep.WriteAnnotations(o.stderr); err != nil {
			return err
		}
	}
	if o.summary != "" {
		if err := appendSummary(o.summary, rep); err != nil {
			return fmt.Errorf("--summary: %w", err)
		}
	}
	if o.junit != "" {
		if err := os.MkdirAll(filepath.Dir(o.junit), 0o755); err != nil {
			return fmt.Errorf("--junit: %w", err)
		}
		f, err := os.Create(o.junit)
		if err != nil {
			return fmt.Errorf("--junit: %w", err)
		}
		if err := rep.WriteJUnit(f); err != nil {
			f.Close()
			return fmt.Errorf("--junit: %w", err)
		}
		return f.Close()
	}
	return nil
}

// appendSummary appends rep as Markdown to the file at path, as GitHub's
// job summary is written: each step of a job appends its own.
func appendSummary(path string, rep *report.Report) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	if err := rep.WriteMarkdown(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// progress shows that a slow step (starting a container, building an
// image) is under way: a live line on a terminal, plain lines otherwise;
// nothing with --json, whose stdout a program reads (stderr too, often).
// What a build prints, written to it, shows how far along the step is.
type progress struct {
	w      io.Writer
	tty    bool
	mu     sync.Mutex
	latest string // the newest line a build printed, shown on the live line
	part   []byte // a line written in pieces, until its end
}

func newProgress(w io.Writer, quiet bool) *progress {
	if quiet {
		return &progress{w: io.Discard}
	}
	f, ok := w.(*os.File)
	if !ok {
		return &progress{w: w}
	}
	fi, err := f.Stat()
	return &progress{w: w, tty: err == nil && fi.Mode()&os.ModeCharDevice != 0}
}

// begin reports that what started; call the returned func when it ends.
func (p *progress) begin(what string) (end func()) {
	if !p.tty {
		fmt.Fprintf(p.w, "smoke: %s…\n", what)
		return func() {}
	}
	done, stopped := make(chan struct{}), make(chan struct{})
	start := time.Now()
	go func() {
		defer close(stopped)
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-done:
				fmt.Fprint(p.w, "\r\033[K")
				return
			case <-tick.C:
				p.mu.Lock()
				latest := p.latest
				p.mu.Unlock()
				if latest != "" {
					latest = ": " + latest
				}
				fmt.Fprintf(p.w, "\r\033[K%s… %.1fs%s", what, time.Since(start).Seconds(), latest)
			}
		}
	}()
	return func() {
		close(done)
		<-stopped
		p.mu.Lock()
		p.latest, p.part = "", nil
		p.mu.Unlock()
	}
}

// Write takes a build's output: each whole line is shown as the newest on
// the live line, or printed as a plain one.
func (p *progress) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.part = append(p.part, b...)
	for {
		i := bytes.IndexByte(p.part, '\n')
		if i < 0 {
			return len(b), nil
		}
		line := strings.TrimSpace(string(p.part[:i]))
		p.part = p.part[i+1:]
		if line == "" {
			continue
		}
		if p.tty {
			const most = 100
			if r := []rune(line); len(r) > most {
				line = string(r[:most]) + "…"
			}
			p.latest = line
		} else {
			fmt.Fprintf(p.w, "smoke:   %s\n", line)
		}
	}
}
