package target

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/appydex/smoke/harness/backend"
	"github.com/appydex/smoke/harness/docker"
	"github.com/appydex/smoke/harness/drift"
	"github.com/appydex/smoke/harness/flow"
	"github.com/appydex/smoke/harness/pgenv"
	"github.com/appydex/smoke/harness/report"
	"github.com/appydex/smoke/redact"
	"github.com/appydex/smoke/schema"
)

// Described is the backend desc describes (docs/backends.md), as a
// target: its image's own tools migrate, make the model and seed, in
// containers on a Docker network beside PostgreSQL (from env.PG's image),
// and the service runs from its image. The panel's origin (env.PanelOrigin)
// is the backend's {admin_origin}.
func Described(desc *backend.Description, env Env) Target {
	return &describedTarget{env: env, desc: desc, heads: map[string][]string{}}
}

type describedTarget struct {
	env   Env
	desc  *backend.Description
	stack *backend.Stack
	// migrations is the newest migrations' snapshot, read once by
	// migrated (the run's template is what they made).
	migrations *schema.Snapshot
	template   *pgenv.Database // what the migrations made: the run's database is a copy
	// heads are the heads of each image, read once: an image's
	// migrations do not change during a run.
	heads   map[string][]string
	headsMu sync.Mutex
}

func (t *describedTarget) Name() string { return t.desc.Name }

// image is v's image: the incident's, or the backend's own.
func (t *describedTarget) image(v Version) string {
	if v == AtIncident {
		return t.desc.Incident.Image
	}
	return t.desc.Image
}

// up starts the backend's world: its images (built when missing or out
// of date), a Docker network, PostgreSQL on it under the backend's alias.
func (t *describedTarget) Up(ctx context.Context, rep *report.Report, name string) (*report.Step, error) {
	if err := t.images(ctx, rep); err != nil {
		return nil, err
	}
	step := rep.Start(name)
	end := t.env.begin(fmt.Sprintf("starting PostgreSQL for %s, on a Docker network as %s", t.desc.Name, t.desc.Database.Alias))
	stack, err := backend.Up(ctx, t.desc, t.env.PG)
	end()
	if err != nil {
		step.Fail("no PostgreSQL for the backend")
		return step, fmt.Errorf("start %s's PostgreSQL: %w", t.desc.Name, err)
	}
	t.stack = stack
	step.Pass("PostgreSQL %s (container), reachable by %s as %s", pgenv.MajorMinor(stack.Server.Version()), t.desc.Name, t.desc.Database.Alias)
	if stack.AdminOrigin, err = t.env.panelOrigin(); err != nil {
		return step, err
	}
	return step, nil
}

// images makes sure the images the command runs are on this machine and
// current — the backend's, and for repro the incident's — with the
// description's build command (backend.EnsureImages), and says which
// images ran: their ids, when they were made, how they were checked.
func (t *describedTarget) images(ctx context.Context, rep *report.Report) error {
	step := rep.Start("image")
	images := []string{t.desc.Image}
	if rep.Command == "repro" && t.desc.Incident.Image != "" {
		images = append(images, t.desc.Incident.Image)
	}
	end := t.env.begin("checking the backend's images: " + strings.Join(images, ", "))
	found, err := backend.EnsureImages(ctx, t.desc, t.env.PG, images, t.env.BuildOutput, t.env.NoBuild)
	end()
	if err != nil {
		step.Fail("%s: not ready; the error below says why", strings.Join(images, ", "))
		return err
	}
	var built []string
	for _, im := range found {
		step.Line("%s", im)
		if strings.HasPrefix(im.Checked, "built now") {
			built = append(built, im.Name)
		}
	}
	switch {
	case len(built) > 0:
		step.Pass("%s on this machine (built %s with %s)", strings.Join(images, ", "), strings.Join(built, ", "), strings.Join(t.desc.Build, " "))
	case t.env.NoBuild != "" || len(t.desc.Build) == 0:
		step.Pass("%s on this machine, used as they are", strings.Join(images, ", "))
	default:
		step.Pass("%s on this machine, current (%s built nothing)", strings.Join(images, ", "), strings.Join(t.desc.Build, " "))
	}
	return nil
}

func (t *describedTarget) Close(ctx context.Context) error {
	if t.stack == nil {
		return nil
	}
	if err := t.stack.Close(ctx); err != nil {
		return fmt.Errorf("%s's stack: %w", t.desc.Name, err)
	}
	return nil
}

// migrated runs the migrations once: the database they make is the
// migrations' snapshot and the template of the run's own.
func (t *describedTarget) Migrated(ctx context.Context, rep *report.Report) (*pgenv.Database, error) {
	step := rep.Start("migrate")
	template, snapshot, err := t.stack.Migrated(ctx, t.desc.Image)
	if ok, err := recordCommand(step, "migrate", t.desc.Image, t.desc.Commands.Migrate, docker.Output{}, err); err != nil || !ok {
		return nil, err
	}
	step.Line("into a template database; the run's database is a copy of it")
	t.migrations, t.template = snapshot, template
	return t.stack.Server.Copy(ctx, template)
}

// brokenColumn is the column the error path's database lacks: the
// incident's, which every backend of the appydex API writes as it signs
// in (the flow checks its rows).
const brokenColumn = "refresh_tokens.token_hash"

// ErrorPath proves the backend's error path, which a healthy run never
// meets: the backend, seeded and started on a copy of its migrated
// database without refresh_tokens.token_hash — the incident's — must
// answer the sign-in it cannot store with a 5xx in the bare envelope
// (flow.ErrorPath). A backend that does not start on that database has
// no 500 to show: the step is skipped, with its log.
func (t *describedTarget) ErrorPath(ctx context.Context, rep *report.Report) error {
	step := rep.Start("error path")
	if t.template == nil {
		step.Skip("no migrated database to break")
		return nil
	}
	db, err := t.stack.WithoutColumn(ctx, t.template, brokenColumn)
	if err != nil {
		step.Fail("could not make a database without %s", brokenColumn)
		return err
	}
	out, err := t.stack.Run(ctx, "seed", t.desc.Image, t.desc.Commands.Seed, db, nil)
	if ok, err := recordCommand(step, "seed", t.desc.Image, t.desc.Commands.Seed, out, err); !ok || err != nil {
		return err
	}
	svc, err := t.stack.Start(ctx, t.desc.Image, db)
	if ctx.Err() != nil {
		step.Fail("interrupted")
		return ctx.Err()
	}
	if err != nil {
		// Perhaps its health path checks the schema, perhaps it failed for
		// another reason: either way there is no 500 to judge.
		step.Skip("%s did not start on a database without %s: no 500 to judge", t.desc.Image, brokenColumn)
		for _, l := range strings.Split(err.Error(), "\n") {
			step.Line("%s", l)
		}
		return nil
	}
	defer svc.Close(context.WithoutCancel(ctx))
	res, err := flow.ErrorPath(ctx, t.desc.Flow(svc.URL, ""), brokenColumn)
	if err != nil {
		step.Fail("could not sign in")
		return err
	}
	step.Flow = res
	login := res.Step(flow.StepErrorPath)
	if res.Passed {
		step.Pass("on a database without %s, the sign-in answered %d in the bare error envelope", brokenColumn, login.HTTPStatus)
	} else {
		step.Fail("on a database without %s, the sign-in's answer is not a bare 5xx envelope (status %d)", brokenColumn, login.HTTPStatus)
	}
	return nil
}

func (t *describedTarget) Database(ctx context.Context) (*pgenv.Database, error) {
	return t.stack.Database(ctx)
}

func (t *describedTarget) SchemaDatabase(ctx context.Context, of string) (*pgenv.Database, error) {
	if of == "model" {
		return t.stack.ModelDatabase(ctx, t.desc.Image)
	}
	return t.stack.MigrationsDatabase(ctx, t.desc.Image)
}

func (t *describedTarget) Migrate(ctx context.Context, rep *report.Report, name string, v Version, db *pgenv.Database) (bool, error) {
	step := rep.Start(name)
	out, err := t.stack.Run(ctx, "migrate", t.image(v), t.desc.Commands.Migrate, db, nil)
	return recordCommand(step, "migrate", t.image(v), t.desc.Commands.Migrate, out, err)
}

// check compares the image's model (its create_model command in a scratch
// database) and migrations (its migrate command in another, unless
// migrated made them already) with the database, and the revisions it
// records — read meanwhile — with the image's heads.
func (t *describedTarget) Check(ctx context.Context, rep *report.Report, name string, v Version, db LiveDB) (*Checked, error) {
	step := rep.Start(name)
	var model, migrations *schema.Snapshot
	var revs backend.Revisions
	var snapErr, revErr error
	var wg sync.WaitGroup
	wg.Go(func() {
		revs, revErr = t.revisions(ctx, t.image(v), db, t.desc.Database.RevisionTable == "" && db.DB != nil)
	})
	if migrations = t.migrations; v == AtIncident || migrations == nil {
		model, migrations, snapErr = t.stack.Snapshots(ctx, t.image(v))
	} else {
		model, snapErr = t.stack.Model(ctx, t.image(v))
	}
	wg.Wait()
	if err := errors.Join(snapErr, revErr); err != nil {
		step.Fail("could not build the model's and the migrations' schemas, or read the revisions")
		if cmdErr := (*backend.CommandError)(nil); errors.As(err, &cmdErr) {
			for _, l := range strings.Split(cmdErr.Error(), "\n") {
				step.Line("%s", l)
			}
			return &Checked{Step: step}, nil
		}
		return nil, err
	}
	live, err := drift.ReadLive(ctx, db.Conn)
	if err != nil {
		step.Fail("could not read the database")
		return nil, err
	}
	if left := leaveOut(t.desc.Scope(), model, migrations, live); left != "" {
		step.Line("%s", left)
	}
	comparisons := drift.Compare(model, migrations, live)
	// A backend's migration files are in its image: no text of them is read.
	liveFindings, err := drift.Inspect(ctx, db.Conn, drift.Context{Expected: migrations, AppRoles: db.AppRoles}, comparisons)
	if err != nil {
		step.Fail("could not inspect the database")
		return nil, err
	}
	state := revs.Findings(comparisons, t.desc.Commands.Migrate)
	passed := reportCheck(step, rep.Gate(), revs.Summary(),
		append(state, liveFindings...), comparisons)
	return &Checked{Passed: passed, ClaimsNewest: atHeads(revs),
		Unmigrated: drift.Unmigrated(comparisons), Step: step}, nil
}

// revisions are the revisions db records and the heads of image's
// migrations. byCommand reads the record with the image's current command
// (keeping what it printed), against a database of the harness's; else it
// is read from database.revision_table over the read-only connection, as
// for a deployment's, which nothing the image runs may touch.
func (t *describedTarget) revisions(ctx context.Context, image string, db LiveDB, byCommand bool) (backend.Revisions, error) {
	var revs backend.Revisions
	var heads []string
	var currentErr, headsErr error
	var wg sync.WaitGroup
	wg.Go(func() { heads, headsErr = t.headsOf(ctx, image) })
	if byCommand {
		revs, currentErr = t.stack.Current(ctx, image, db.DB)
	} else {
		revs.Current, currentErr = t.desc.LiveRevision(ctx, db.Conn)
	}
	wg.Wait()
	revs.Heads, revs.Applied = heads, t.desc.OneRowPerMigration()
	return revs, errors.Join(currentErr, headsErr)
}

// atHeads: the database records exactly the image's heads.
func atHeads(revs backend.Revisions) bool {
	return len(revs.Current) > 0 && strings.Join(revs.Current, ",") == strings.Join(revs.Heads, ",")
}

// headsOf runs image's heads command, once.
func (t *describedTarget) headsOf(ctx context.Context, image string) ([]string, error) {
	t.headsMu.Lock()
	defer t.headsMu.Unlock()
	if heads, ok := t.heads[image]; ok {
		return heads, nil
	}
	scratch, err := t.stack.Database(ctx) // fills the command's environment only
	if err != nil {
		return nil, err
	}
	heads, err := t.stack.Heads(ctx, image, scratch)
	if err == nil {
		t.heads[image] = heads
	}
	return heads, err
}

// start seeds db and starts the backend from v's image on it, both at
// once: the backend needs no accounts to start, only the flow does.
func (t *describedTarget) Start(ctx context.Context, v Version, db *pgenv.Database) Starting {
	st := &describedStart{t: t, image: t.image(v), seedAt: time.Now(), svcAt: time.Now()}
	var wg sync.WaitGroup
	wg.Go(func() {
		st.seed, st.seedErr = t.stack.Run(ctx, "seed", st.image, t.desc.Commands.Seed, db, nil)
		st.seedEnd = time.Now()
	})
	if v == Newest && t.desc.SetsLifetimes() {
		// A second instance with lifetimes of seconds, for the flow's
		// expired-tokens step to wait out; the first keeps the promised
		// ones, so no other step meets a token that expires under it.
		wg.Go(func() { st.short, st.shortErr = t.stack.StartWith(ctx, st.image, db, backend.ShortLifetimes) })
	}
	st.svc, st.svcErr = t.stack.Start(ctx, st.image, db)
	st.svcEnd = time.Now()
	wg.Wait()
	return st
}

func (t *describedTarget) Paths() flow.Paths { return t.desc.Flow("", "").Paths }

func (t *describedTarget) Incident() ([]string, error) {
	if t.desc.Incident.Image == "" {
		return nil, fmt.Errorf("%s names no incident image (incident.image): %w", t.desc.File, ErrNoIncident)
	}
	if t.desc.Incident.Log == "" {
		return nil, nil
	}
	return []string{t.desc.Incident.Log}, nil
}

// evidence is the revision the database claims at the incident, as
// `alembic current` printed it.
func (t *describedTarget) Evidence(ctx context.Context, rep *report.Report, _ Service, db *pgenv.Database) (bool, error) {
	step := rep.Start("current revision")
	revs, err := t.revisions(ctx, t.image(AtIncident), LiveDB{DB: db}, true)
	if err != nil {
		return false, err
	}
	step.Line("$ %s", strings.Join(t.desc.Commands.Current, " "))
	for _, l := range strings.Split(revs.CurrentOutput, "\n") {
		step.Line("%s", l)
	}
	switch {
	case atHeads(revs) && revs.Applied:
		step.Pass("the database has applied every migration the incident's image has, the newest %s", slices.Max(revs.Current))
		return true, nil
	case atHeads(revs):
		step.Pass("the database is at %s, the newest revision the incident's image knows", strings.Join(revs.Current, ", "))
		return true, nil
	}
	step.Fail("%s: not the incident's shape", revs.Summary())
	return false, nil
}

// describedStart is seeding the development accounts and starting the
// backend, timed, to be reported as two steps when both are done.
type describedStart struct {
	t                              *describedTarget
	image                          string
	seed                           docker.Output
	seedErr, svcErr                error
	seedAt, seedEnd, svcAt, svcEnd time.Time
	svc                            *backend.Service
	// short is the instance with backend.ShortLifetimes, where the
	// description sets lifetimes; nil where it does not.
	short    *backend.Service
	shortErr error
}

// report adds the seed's step and the backend's. A seed that fails, or a
// backend that never becomes healthy, fails its step.
func (st *describedStart) Report(rep *report.Report, name string) (Service, error) {
	desc := st.t.desc
	ok, err := recordCommand(rep.Record("seed", st.seedAt, st.seedEnd), "seed", st.image, desc.Commands.Seed, st.seed, st.seedErr)
	if !ok || err != nil {
		return nil, err
	}
	step := rep.Record(name, st.svcAt, st.svcEnd)
	if st.svcErr != nil {
		step.Fail("%s did not become healthy", st.image)
		for _, l := range strings.Split(st.svcErr.Error(), "\n") {
			step.Line("%s", l)
		}
		return nil, nil
	}
	step.Pass("%s (%s) on %s", desc.Name, st.image, st.svc.URL)
	lt := backend.ShortLifetimes
	switch {
	case st.shortErr != nil:
		step.Fail("%s did not start with lifetimes of %s and %s, for the expired-tokens step, though %s sets them", st.image, lt.Access, lt.Refresh, desc.File)
		for _, l := range strings.Split(st.shortErr.Error(), "\n") {
			step.Line("%s", l)
		}
	case st.short != nil:
		step.Line("beside it, for the expired-tokens step: the same image with lifetimes of %s (access) and %s (refresh), on %s", lt.Access, lt.Refresh, st.short.URL)
	}
	return describedService{st.svc, st.short, desc}, nil
}

// describedService is the backend running in a container, and the
// instance with short lifetimes beside it (nil when there is none).
type describedService struct {
	svc, short *backend.Service
	desc       *backend.Description
}

func (s describedService) URL() string { return s.svc.URL }
func (s describedService) Flow(databaseURL string) flow.Config {
	cfg := s.desc.Flow(s.svc.URL, databaseURL)
	if s.short != nil {
		cfg.Expiry = backend.ShortLifetimes.ExpiryAPI(s.short.URL)
	}
	return cfg
}
func (s describedService) Stop(ctx context.Context) error {
	err := s.svc.Close(ctx)
	if s.short != nil {
		err = errors.Join(err, s.short.Close(ctx))
	}
	return err
}

// log is the backend's log, its secrets masked.
func (s describedService) Log(ctx context.Context) string { return redact.Secrets(s.svc.Logs(ctx)) }

// recordCommand finishes step with how one of the backend's commands went:
// a command that fails fails the step with its output, and is an error
// only when it could not run at all.
func recordCommand(step *report.Step, what, image string, cmd []string, out docker.Output, err error) (bool, error) {
	var cmdErr *backend.CommandError
	switch {
	case errors.As(err, &cmdErr):
		step.Fail("%s exited %d", strings.Join(cmdErr.Argv, " "), cmdErr.ExitCode)
		for _, l := range strings.Split(cmdErr.Output, "\n") {
			step.Line("%s", l)
		}
		return false, nil
	case err != nil:
		step.Fail("%s could not run", what)
		return false, err
	}
	step.Pass("%s (%s)", strings.Join(cmd, " "), image)
	if s := strings.TrimSpace(out.Stdout); s != "" && len(s) < 400 {
		for _, l := range strings.Split(s, "\n") {
			step.Line("%s", l)
		}
	}
	return true, nil
}

// leaveOut takes the tables scope says are not the application's out of
// every snapshot, and says what it left out: "3 tables (with 2 sequences
// of theirs) left out by backend.yaml's database.ignore: not compared".
func leaveOut(scope schema.Scope, snaps ...*schema.Snapshot) string {
	all := schema.LeaveOutOf(scope, snaps...)
	if all.Count() == 0 {
		return ""
	}
	return all.String() + " left out by " + scope.By + ": not compared"
}
