package backend

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/url"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/testcontainers/testcontainers-go"

	"github.com/appydex/smoke/harness/docker"
	"github.com/appydex/smoke/harness/pgenv"
)

// Stack is one run's world for a backend: a Docker network, PostgreSQL on
// it under the alias the backend expects, and whatever the run starts
// there. Close removes all of it.
type Stack struct {
	Desc *Description
	// Server is the run's PostgreSQL, a container on the network.
	Server *pgenv.Server
	// AdminOrigin is the admin panel's origin ({admin_origin}): set it
	// before Start so the backend allows the panel's calls.
	AdminOrigin string

	cli       *testcontainers.DockerClient
	network   *testcontainers.DockerNetwork
	jwtSecret string
	mu        sync.Mutex // services: two may start at once
	services  []*Service
}

// Up starts the network and PostgreSQL for a backend whose images are on
// this machine (EnsureImages). pg says how to start PostgreSQL: it must be
// able to run as a container, since the backend reaches it over Docker's
// network.
func Up(ctx context.Context, desc *Description, pg pgenv.Config) (*Stack, error) {
	cli, err := dockerFor(ctx, pg)
	if err != nil {
		return nil, err
	}
	s := &Stack{Desc: desc, cli: cli, jwtSecret: randomHex(32)}
	if s.network, err = docker.NewNetwork(ctx); err != nil {
		cli.Close()
		return nil, fmt.Errorf("create a Docker network: %w", err)
	}
	pg.Source, pg.Network, pg.NetworkAlias = pgenv.Container, s.network.Name, desc.Database.Alias
	if s.Server, err = pgenv.Start(ctx, pg); err != nil {
		return nil, errors.Join(err, s.Close(context.WithoutCancel(ctx)))
	}
	return s, nil
}

// Close stops and removes what the stack started: services, PostgreSQL,
// the network.
func (s *Stack) Close(ctx context.Context) error {
	s.mu.Lock()
	services := s.services
	s.mu.Unlock()
	// The containers go at once; the network only once they are gone.
	errs := make([]error, len(services)+1)
	var wg sync.WaitGroup
	for i, svc := range services {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = svc.Close(ctx)
		}()
	}
	if s.Server != nil {
		errs[len(services)] = s.Server.Close(ctx)
	}
	wg.Wait()
	if s.network != nil {
		errs = append(errs, s.network.Remove(ctx))
	}
	errs = append(errs, s.cli.Close())
	return errors.Join(errs...)
}

// dockerFor is a Docker client for a backend's stack, which needs the
// container source.
func dockerFor(ctx context.Context, pg pgenv.Config) (*testcontainers.DockerClient, error) {
	switch pg.Chosen() {
	case pgenv.Auto, pgenv.Container:
	default:
		return nil, fmt.Errorf("a backend runs in Docker, beside its PostgreSQL: use the container source (--pg-source container), not %s", pg.Chosen())
	}
	cli, err := docker.Client(ctx, pg.DockerHost)
	if err != nil {
		return nil, fmt.Errorf("a backend runs in Docker: %w", err)
	}
	return cli, nil
}

// Image is a backend image as a run found it, for the report: a run
// must say what it ran, so that an image older than the code it was
// meant to test is seen (EnsureImages).
type Image struct {
	Name    string    `json:"name"`
	ID      string    `json:"id"`
	Created time.Time `json:"created"`
	// Checked says how the harness knows it is current: built or checked
	// by the description's build command, or not checked, and why.
	Checked string `json:"checked"`
}

func (im Image) String() string {
	id := strings.TrimPrefix(im.ID, "sha256:")
	id = id[:min(12, len(id))]
	created := "at a time the engine does not say"
	if !im.Created.IsZero() {
		created = im.Created.UTC().Format("2006-01-02 15:04:05 UTC")
	}
	return fmt.Sprintf("%s: image %s, made %s (%s)", im.Name, id, created, im.Checked)
}

// EnsureImages makes sure images — those of the backend a command runs:
// its image, and for repro its incident image — are on the engine pg
// names and current. Before every run it runs the description's build
// command, which builds what changed and nothing else (a recipe's hash, a
// Makefile, docker build's cache: the fixtures' build scripts take a tenth
// of a second when nothing changed), so that a run never tests an image
// older than the backend's files. noBuild, when not "", says why the build
// command is not to run (--no-build: whoever runs the harness manages the
// images): then, as where the description names no build command, a
// missing image is an error and a present one is used as it is. progress
// takes what the build prints. It returns what it found, for the report.
func EnsureImages(ctx context.Context, desc *Description, pg pgenv.Config, images []string, progress io.Writer, noBuild string) ([]Image, error) {
	cli, err := dockerFor(ctx, pg)
	if err != nil {
		return nil, err
	}
	defer cli.Close()
	images = slices.DeleteFunc(slices.Clone(images), func(name string) bool { return name == "" })
	before := map[string]docker.ImageFound{}
	var missing []string
	for _, name := range images {
		if found, ok := docker.Image(ctx, cli, name); ok {
			before[name] = found
		} else {
			missing = append(missing, name)
		}
	}
	how := ""
	switch {
	case noBuild != "":
		how = "not checked for changes: " + noBuild
		if len(missing) > 0 {
			next := "build it before the run"
			if noBuild == "--no-build" {
				next = "build it, or run without --no-build"
			}
			return nil, fmt.Errorf("image %s is not on this machine, and the build command is not run (%s): %s",
				strings.Join(missing, ", "), noBuild, next)
		}
	case len(desc.Build) == 0:
		how = "used as it is: " + desc.File + " names no build command to check it with"
		if len(missing) > 0 {
			return nil, fmt.Errorf("image %s is not on this machine, and %s names no build command: build it, or add build: to the description",
				strings.Join(missing, ", "), desc.File)
		}
	default:
		if err := build(ctx, desc, missing, progress); err != nil {
			return nil, err
		}
	}
	found := make([]Image, 0, len(images))
	for _, name := range images {
		now, ok := docker.Image(ctx, cli, name)
		if !ok {
			return nil, fmt.Errorf("image %s is still missing after its build (%s, in %s): the build makes other tags than the description names",
				name, strings.Join(desc.Build, " "), desc.Dir)
		}
		im := Image{Name: name, ID: now.ID, Created: now.Created, Checked: how}
		if how == "" {
			im.Checked = "current by `" + strings.Join(desc.Build, " ") + "`, which built nothing"
			if was, ok := before[name]; !ok || was.ID != now.ID {
				im.Checked = "built now by `" + strings.Join(desc.Build, " ") + "`"
			}
		}
		found = append(found, im)
	}
	return found, nil
}

// build runs the description's build command; missing are the images it
// must make, for its error.
func build(ctx context.Context, desc *Description, missing []string, progress io.Writer) error {
	cmd := exec.CommandContext(ctx, desc.Build[0], desc.Build[1:]...)
	cmd.Dir = desc.Dir
	var out bytes.Buffer
	cmd.Stdout = &out
	if progress != nil {
		cmd.Stdout = io.MultiWriter(&out, progress)
	}
	cmd.Stderr = cmd.Stdout // one writer: exec writes to it from one goroutine at a time
	if err := cmd.Run(); err != nil {
		what, next := "the build that keeps the images current", "mend it, or run with --no-build to test the images as they are"
		if len(missing) > 0 {
			what, next = "image "+strings.Join(missing, ", ")+" is not on this machine, and its build", "mend the build"
		}
		return fmt.Errorf("%s (%s, in %s) failed: %w: %s\n%s", what, strings.Join(desc.Build, " "), desc.Dir, err, next, tail(out.String(), 2000))
	}
	return nil
}

// Database makes an empty database on the stack's PostgreSQL.
func (s *Stack) Database(ctx context.Context) (*pgenv.Database, error) {
	return s.Server.NewDatabase(ctx)
}

// vars are the placeholder values for the backend reaching db, with the
// lifetimes it promises.
func (s *Stack) vars(db *pgenv.Database) Vars { return s.varsWith(db, s.Desc.Lifetimes()) }

// varsWith are vars with the token lifetimes lt.
func (s *Stack) varsWith(db *pgenv.Database, lt Lifetimes) Vars {
	u, _ := url.Parse(s.Server.NetworkURL(db.Name))
	password, _ := u.User.Password()
	v := Vars{"db_user": u.User.Username(), "db_password": password, "db_host": u.Hostname(), "db_port": u.Port(),
		"db_name": db.Name, "jwt_secret": s.jwtSecret, "dev_otp": s.Desc.Accounts.Admin.OTP,
		"admin_origin": s.AdminOrigin}
	maps.Copy(v, lt.vars())
	return v
}

// CommandError is a backend command that ran and failed.
type CommandError struct {
	What     string // "migrate", "seed", …
	Argv     []string
	Image    string
	ExitCode int
	Output   string // its stdout and stderr, the end of them
}

func (e *CommandError) Error() string {
	return fmt.Sprintf("%s (%s, in %s) exited %d:\n%s", e.What, strings.Join(e.Argv, " "), e.Image, e.ExitCode, e.Output)
}

// Run runs one of the description's commands (named what, for messages)
// in a one-off container of image, against db, with extra placeholder
// values (revision). A command that exits non-zero is a *CommandError.
func (s *Stack) Run(ctx context.Context, what, image string, cmd []string, db *pgenv.Database, extra Vars) (docker.Output, error) {
	if len(cmd) == 0 {
		return docker.Output{}, fmt.Errorf("%s names no %s command", s.Desc.File, what)
	}
	vars := s.vars(db)
	for k, v := range extra {
		vars[k] = v
	}
	argv := argv(cmd, vars)
	out, err := docker.Run(ctx, s.cli, docker.OneOff{Image: image, Argv: argv, Env: s.Desc.environment(vars), Network: s.network.Name})
	if err != nil {
		return out, fmt.Errorf("%s: %w", what, err)
	}
	if out.ExitCode != 0 {
		return out, &CommandError{What: what, Argv: argv, Image: image, ExitCode: out.ExitCode,
			Output: tail(strings.TrimSpace(out.Stdout+"\n"+out.Stderr), 3000)}
	}
	return out, nil
}

func tail(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}

func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b)
}
