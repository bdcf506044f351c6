// Package backend runs a backend the harness did not write — its image, its
// migration tool, its model — beside a fresh PostgreSQL on a Docker
// network, as a small description file (backend.yaml) says, so that the
// three-way schema check and the login flow judge it the way they judge the
// reference API.
package backend

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/appydex/smoke/harness/flow"
	"github.com/appydex/smoke/schema"
)

// FileName is the description's name in a backend's folder.
const FileName = "backend.yaml"

// Description is a backend as backend.yaml describes it. docs/backends.md
// documents every field; unknown fields are refused.
type Description struct {
	// Name says which backend this is, in reports: "fastapi".
	Name string `yaml:"name"`
	// Image is the backend's image as it ships now (tag included).
	Image string `yaml:"image"`
	// Build is the command that builds Image (and Incident.Image), run in
	// the description's folder when an image is missing: ["bash", "build.sh"].
	Build []string `yaml:"build"`
	// Port is the port the backend serves on inside its container.
	Port int `yaml:"port"`
	// StartTimeout is how long the backend may take to answer its health
	// path once started; 0 means a minute.
	StartTimeout Duration `yaml:"start_timeout"`
	// Database says how the backend expects to find PostgreSQL.
	Database struct {
		// Alias is PostgreSQL's host name on the backend's network, as its
		// configuration names it: "appydex_postgres".
		Alias string `yaml:"alias"`
		// RevisionTable is where a database records its migration
		// revision, as table.column ("alembic_version.version_num"):
		// verify reads it from a deployment's database, read-only.
		RevisionTable string `yaml:"revision_table"`
		// Records says what a row of the revision table is: "heads" (the
		// default: the newest revision of each branch, as alembic and
		// golang-migrate keep it) or "applied" (one row per migration
		// applied, as Active Record's schema_migrations, Django's
		// django_migrations or Knex keep it). With "applied", the heads
		// command prints every migration the image has, and current every
		// one applied.
		Records string `yaml:"records"`
		// Ignore names the tables that are not the application's — names
		// or shell patterns ("legacy_*", "audit.*"), as alembic's
		// include_object leaves them out of its comparison: left out of
		// every schema comparison, with what belongs to them (their
		// sequences, and the enums, domains and views only they use).
		Ignore []string `yaml:"ignore"`
	} `yaml:"database"`
	// Env is the backend's environment. Values may hold placeholders the
	// harness fills in: {db_user} {db_password} {db_host} {db_port}
	// {db_name} {jwt_secret} {dev_otp} {admin_origin} (the origin of the
	// admin panel the browser step serves, for the backend's CORS; "" when
	// there is no browser step).
	Env map[string]string `yaml:"env"`
	// Commands are run in the backend's image, each as a whole argv in
	// place of its entrypoint, with Env set.
	Commands struct {
		Migrate     []string `yaml:"migrate"`      // to the newest revision: ["alembic", "upgrade", "head"]
		MigrateTo   []string `yaml:"migrate_to"`   // to {revision}: ["alembic", "upgrade", "{revision}"]
		Current     []string `yaml:"current"`      // print the database's revision: ["alembic", "current"]
		Heads       []string `yaml:"heads"`        // print the image's newest revisions: ["alembic", "heads"]
		CreateModel []string `yaml:"create_model"` // the model's schema in an empty database (metadata.create_all)
		Seed        []string `yaml:"seed"`         // the development accounts below
	} `yaml:"commands"`
	// Paths are the backend's health, readiness and OpenAPI document.
	Paths struct {
		Health  string `yaml:"health"`
		Ready   string `yaml:"ready"`
		OpenAPI string `yaml:"openapi"`
	} `yaml:"paths"`
	// Accounts are the development accounts the seed command makes; the
	// flow signs in as Admin.
	Accounts struct {
		Admin    Account `yaml:"admin"`
		Inactive Account `yaml:"inactive"` // optional: a disabled account
	} `yaml:"accounts"`
	// RefreshTTL and AccessTTL are the refresh- and access-token lifetimes
	// the backend promises, e.g. 168h and 15m.
	RefreshTTL Duration `yaml:"refresh_ttl"`
	AccessTTL  Duration `yaml:"access_ttl"`
	// TokenHash is how the backend derives refresh_tokens.token_hash from
	// a refresh token: sha256 (the default: its hex SHA-256) or opaque (a
	// keyed or salted hash the harness cannot compute).
	TokenHash string `yaml:"token_hash"`
	// PanelPhrases add to the browser step's English phrases, by which a
	// failed sign-in's message is classified (browser.Phrases), for a
	// panel in another language: regular expressions, matched without
	// regard to case.
	PanelPhrases struct {
		Credentials []string `yaml:"credentials"`
		Connection  []string `yaml:"connection"`
		Server      []string `yaml:"server"`
	} `yaml:"panel_phrases"`
	// Incident is the backend as it ran in the incident, for smoke repro.
	Incident struct {
		Image    string `yaml:"image"`    // the incident's image
		Revision string `yaml:"revision"` // its newest revision: 2f6d5f68b472
		Log      string `yaml:"log"`      // what its log says when login fails, e.g. the UndefinedColumn error
	} `yaml:"incident"`

	// File is the description's path; Dir its folder (Build runs there).
	File string `yaml:"-"`
	Dir  string `yaml:"-"`
}

// Account is a development account: an email, its password and its static
// one-time code.
type Account struct {
	Email    string `yaml:"email"`
	Password string `yaml:"password"`
	OTP      string `yaml:"otp"`
}

// Duration is a time.Duration written as "168h".
type Duration time.Duration

// UnmarshalYAML reads "168h", "15m".
func (d *Duration) UnmarshalYAML(node *yaml.Node) error {
	v, err := time.ParseDuration(node.Value)
	if err != nil || v <= 0 {
		return fmt.Errorf("line %d: %q is not a duration such as 168h", node.Line, node.Value)
	}
	*d = Duration(v)
	return nil
}

// Load reads the description at path: a backend.yaml, or the folder that
// holds one. It refuses unknown fields and names every missing one.
func Load(path string) (*Description, error) {
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		path = filepath.Join(path, FileName)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("backend description: %w (give the folder that holds %s, or the file)", err, FileName)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	d := &Description{File: path, Dir: filepath.Dir(path)}
	if err := dec.Decode(d); errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%s is empty: describe the backend in it (docs/backends.md lists the fields; fixtures/backends/fastapi/%s is one)", path, FileName)
	} else if err != nil {
		return nil, fmt.Errorf("%s: %s", path, strings.TrimPrefix(err.Error(), "yaml: "))
	}
	if err := d.validate(); err != nil {
		return nil, err
	}
	return d, nil
}

var placeholder = regexp.MustCompile(`\{([a-z_]+)\}`)

// The placeholders Env values may use, and the one migrate_to adds.
var (
	envPlaceholders = map[string]bool{"db_user": true, "db_password": true, "db_host": true, "db_port": true,
		"db_name": true, "jwt_secret": true, "dev_otp": true, "admin_origin": true,
		"access_ttl": true, "refresh_ttl": true, "access_ttl_seconds": true, "refresh_ttl_seconds": true}
	// lifetimePlaceholders set the backend's token lifetimes for a run:
	// a description with one of them can be started with short ones.
	lifetimePlaceholders = []string{"access_ttl", "refresh_ttl", "access_ttl_seconds", "refresh_ttl_seconds"}
	revisionPlaceholder  = "revision"
)

// Scope is the tables the description keeps out of its comparisons
// (database.ignore).
func (d *Description) Scope() schema.Scope {
	return schema.Scope{ExcludeTables: d.Database.Ignore, By: FileName + "'s database.ignore"}
}

func (d *Description) validate() error {
	var missing []string
	need := func(field string, ok bool) {
		if !ok {
			missing = append(missing, field)
		}
	}
	need("name", d.Name != "")
	need("image", d.Image != "")
	need("port", d.Port > 0)
	need("database.alias", d.Database.Alias != "")
	need("commands.migrate", len(d.Commands.Migrate) > 0)
	need("commands.current", len(d.Commands.Current) > 0)
	need("commands.heads", len(d.Commands.Heads) > 0)
	need("commands.create_model", len(d.Commands.CreateModel) > 0)
	need("commands.seed", len(d.Commands.Seed) > 0)
	need("paths.health", d.Paths.Health != "")
	need("accounts.admin.email", d.Accounts.Admin.Email != "")
	need("accounts.admin.password", d.Accounts.Admin.Password != "")
	need("accounts.admin.otp", d.Accounts.Admin.OTP != "")
	var errs []error
	if len(missing) > 0 {
		errs = append(errs, fmt.Errorf("%s: missing %s", d.File, strings.Join(missing, ", ")))
	}
	for name, value := range d.Env {
		for _, m := range placeholder.FindAllStringSubmatch(value, -1) {
			if !envPlaceholders[m[1]] {
				errs = append(errs, fmt.Errorf("%s: env.%s: unknown placeholder {%s}; use {db_user} {db_password} {db_host} {db_port} {db_name} {jwt_secret} {dev_otp} {admin_origin} "+
					"{access_ttl} {refresh_ttl} {access_ttl_seconds} {refresh_ttl_seconds}",
					d.File, name, m[1]))
			}
		}
	}
	if len(d.Commands.MigrateTo) > 0 && !strings.Contains(strings.Join(d.Commands.MigrateTo, " "), "{revision}") {
		errs = append(errs, fmt.Errorf("%s: commands.migrate_to: name the revision as {revision}", d.File))
	}
	if access, refresh := d.lifetimesSet(); access != refresh {
		errs = append(errs, fmt.Errorf("%s: env sets one token lifetime but not the other: give both ({access_ttl} and {refresh_ttl}, or their _seconds forms), "+
			"so that a run can start the backend with short ones", d.File))
	}
	for kind, list := range map[string][]string{"credentials": d.PanelPhrases.Credentials, "connection": d.PanelPhrases.Connection, "server": d.PanelPhrases.Server} {
		for _, phrase := range list {
			if _, err := regexp.Compile(phrase); err != nil {
				errs = append(errs, fmt.Errorf("%s: panel_phrases.%s %q: %w", d.File, kind, phrase, err))
			}
		}
	}
	if err := d.Scope().Check(); err != nil {
		errs = append(errs, fmt.Errorf("%s: database.ignore: %w", d.File, err))
	}
	if _, err := flow.ParseTokenHash(d.TokenHash); err != nil {
		errs = append(errs, fmt.Errorf("%s: token_hash: %w", d.File, err))
	}
	if r := d.Database.Records; r != "" && r != RecordsHeads && r != RecordsApplied {
		errs = append(errs, fmt.Errorf("%s: database.records %q: write heads (the table holds the newest revision, as alembic's) or applied (a row per migration applied, as Active Record's)", d.File, r))
	}
	if t := d.Database.RevisionTable; t != "" && strings.Count(t, ".") != 1 {
		errs = append(errs, fmt.Errorf("%s: database.revision_table %q: write it as table.column, e.g. alembic_version.version_num", d.File, t))
	}
	return errors.Join(errs...)
}

// What a row of a revision table is (database.records).
const (
	RecordsHeads   = "heads"
	RecordsApplied = "applied"
)

// OneRowPerMigration says the revision table holds one row per migration
// applied.
func (d *Description) OneRowPerMigration() bool { return d.Database.Records == RecordsApplied }

// noExpiry is why a run of this backend cannot wait its tokens out: said
// in the flow's skipped expired-tokens step when no instance with short
// lifetimes was started.
func (d *Description) noExpiry() string {
	if !d.SetsLifetimes() {
		return fmt.Sprintf("%s does not say how to set the backend's token lifetimes ({access_ttl}, {refresh_ttl}, or their _seconds forms, in env): "+
			"its tokens would take %s to expire", d.File, d.Lifetimes().Refresh)
	}
	return "no instance of the backend with short lifetimes was started for this run"
}

// Lifetimes are the token lifetimes a backend is started with.
type Lifetimes struct{ Access, Refresh time.Duration }

// ShortLifetimes are those of the instance the expired-tokens step waits
// out: seconds, whole ones (a JWT's iat and exp are in seconds), the
// refresh token's outliving the access token's.
var ShortLifetimes = Lifetimes{Access: 3 * time.Second, Refresh: 6 * time.Second}

// Lifetimes are the lifetimes the backend promises (refresh_ttl,
// access_ttl), or else the contract's.
func (d *Description) Lifetimes() Lifetimes {
	return Lifetimes{Access: cmp.Or(time.Duration(d.AccessTTL), flow.ContractAccessTTL),
		Refresh: cmp.Or(time.Duration(d.RefreshTTL), flow.ContractRefreshTTL)}
}

// SetsLifetimes reports whether the description's env sets both of the
// backend's token lifetimes ({access_ttl} or {access_ttl_seconds}, and
// the refresh token's): only then can a run start it with lifetimes short
// enough to wait out.
func (d *Description) SetsLifetimes() bool {
	access, refresh := d.lifetimesSet()
	return access && refresh
}

// lifetimesSet says which lifetimes the env sets.
func (d *Description) lifetimesSet() (access, refresh bool) {
	for _, value := range d.Env {
		for _, m := range placeholder.FindAllStringSubmatch(value, -1) {
			if slices.Contains(lifetimePlaceholders, m[1]) {
				access = access || strings.HasPrefix(m[1], "access")
				refresh = refresh || strings.HasPrefix(m[1], "refresh")
			}
		}
	}
	return access, refresh
}

// ExpiryAPI is the instance at baseURL, started with l, for the flow's
// expired-tokens step.
func (l Lifetimes) ExpiryAPI(baseURL string) *flow.ExpiryAPI {
	return &flow.ExpiryAPI{BaseURL: baseURL, AccessTTL: l.Access, RefreshTTL: l.Refresh}
}

// lifetimeVars are the lifetime placeholders' values: a duration in
// seconds as Go, jsonwebtoken's ms and most parsers read it ("900s"), or
// the whole seconds ("900").
func (l Lifetimes) vars() Vars {
	secs := func(d time.Duration) string { return strconv.Itoa(int(d.Seconds())) }
	return Vars{"access_ttl": secs(l.Access) + "s", "refresh_ttl": secs(l.Refresh) + "s",
		"access_ttl_seconds": secs(l.Access), "refresh_ttl_seconds": secs(l.Refresh)}
}

// Vars are the values of the placeholders for one run.
type Vars map[string]string

// expand fills the placeholders of s.
func (v Vars) expand(s string) string {
	return placeholder.ReplaceAllStringFunc(s, func(m string) string {
		if value, ok := v[m[1:len(m)-1]]; ok {
			return value
		}
		return m
	})
}

// environment is Env with its placeholders filled, as KEY=value.
func (d *Description) environment(v Vars) []string {
	env := make([]string, 0, len(d.Env))
	for name, value := range d.Env {
		env = append(env, name+"="+v.expand(value))
	}
	return env
}

// argv is a command with its placeholders filled.
func argv(cmd []string, v Vars) []string {
	out := make([]string, len(cmd))
	for i, a := range cmd {
		out[i] = v.expand(a)
	}
	return out
}

// Flow is the flow against the backend serving at baseURL, as the
// development admin its seed command makes; databaseURL is its database,
// for the row checks ("" skips them).
func (d *Description) Flow(baseURL, databaseURL string) flow.Config {
	paths := flow.DefaultPaths()
	paths.Healthz = d.Paths.Health
	if d.Paths.Ready != "" {
		paths.Readyz = d.Paths.Ready
	}
	if d.Paths.OpenAPI != "" {
		paths.OpenAPI = d.Paths.OpenAPI
	}
	lt := d.Lifetimes()
	admin, inactive := d.Accounts.Admin, d.Accounts.Inactive
	return flow.Config{BaseURL: baseURL, DatabaseURL: databaseURL, Email: admin.Email, Password: admin.Password, OTP: admin.OTP,
		InactiveEmail: inactive.Email, InactivePassword: inactive.Password, Paths: paths,
		// What the backend promises, or else the contract every backend of
		// the appydex API keeps: never unchecked.
		RefreshTTL: lt.Refresh, AccessTTL: lt.Access, NoExpiry: d.noExpiry(),
		TokenHash: flow.TokenHash(cmp.Or(d.TokenHash, string(flow.TokenHashSHA256)))}
}
