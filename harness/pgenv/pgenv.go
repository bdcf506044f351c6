// Package pgenv hands tests and commands a real PostgreSQL 15 server, from a
// container (testcontainers-go), from this machine's server binaries, or from
// a URL the user gives, and makes databases on it: a template migrated once
// per set of migration files, and a fresh clone of it for every test.
//
// Nothing here reads the environment: callers build a Config (ConfigFromEnv
// reads the documented variables through a getenv function they pass in).
package pgenv

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/appydex/smoke/harness/docker"
	"github.com/appydex/smoke/redact"
)

// DefaultImage is the container image the incident ran: the official
// PostgreSQL 15 image, pulled from a registry when it is not present.
const DefaultImage = "postgres:15"

// LocalImage is the image `make pg-image` builds from Debian's packages on
// machines whose Docker Engine reaches no registry. When no image is
// configured and DefaultImage is neither present nor pullable, the container
// source uses LocalImage if it is present.
const LocalImage = "appydex-smoke/postgres:15"

// Source names where a server comes from.
type Source string

// The sources a Config can name.
const (
	// Auto uses a container when a Docker Engine answers, else the local
	// binaries; it fails once, naming everything it tried.
	Auto Source = "auto"
	// Container runs the image in Config.Image with testcontainers-go.
	Container Source = "container"
	// Local runs an ephemeral cluster from this machine's server binaries.
	Local Source = "local"
	// External uses the server at Config.URL, creating only databases of its
	// own there.
	External Source = "external"
)

// ParseSource returns the source named s; "" means Auto.
func ParseSource(s string) (Source, error) {
	switch src := Source(s); src {
	case "":
		return Auto, nil
	case Auto, Container, Local, External:
		return src, nil
	}
	return "", fmt.Errorf("unknown PostgreSQL source %q: use one of auto, container, local, external", s)
}

// Config says where a server comes from. The zero value means: a container
// when a Docker Engine answers, else the local binaries.
type Config struct {
	// Source picks where the server comes from. "" means External when URL
	// is set (a URL alone is enough), else Auto: see Chosen.
	Source Source
	// Image is the container image, e.g. "postgres:15". "" means DefaultImage,
	// falling back to LocalImage when DefaultImage cannot be had.
	Image string
	// URL is the External source's server, e.g.
	// "postgres://smoke:secret@db.internal:5432/postgres". Its role needs
	// CREATEDB; its database is only used to create and drop others.
	URL string
	// BinDir is the folder holding the local source's initdb and postgres,
	// e.g. "/usr/lib/postgresql/15/bin". "" means: pg_config --bindir, then
	// PATH, then Debian's /usr/lib/postgresql/<version>/bin.
	BinDir string
	// Network is a Docker network the container joins, reachable there as
	// NetworkAlias (the API container's database host); "" for none.
	Network string
	// NetworkAlias is the container's host name on Network, as the backend
	// beside it expects it (the incident's: appydex_postgres). "" means
	// DefaultNetworkAlias.
	NetworkAlias string
	// DockerHost is the Docker Engine to use, as in DOCKER_HOST
	// ("unix:///var/run/docker.sock", "tcp://10.0.0.5:2375"). When set, it is
	// the only engine tried: testcontainers-go alone would fall back to the
	// default socket when it does not answer. "" lets testcontainers-go find one.
	DockerHost string
	// CacheDir keeps the local source's pristine data directory between runs,
	// so initdb runs once per machine. "" means the user's cache folder.
	CacheDir string
	// SharedDir holds the folders of shared servers (Attach); "" means
	// appydex-smoke-shared in /dev/shm, else in the temporary folder.
	SharedDir string
	// Logf receives progress and diagnostic lines; nil discards them.
	Logf func(format string, args ...any) `json:"-"`
}

// Chosen is the source Start uses: Source when set; else External when a
// URL is given, and Auto when not.
func (c Config) Chosen() Source {
	switch {
	case c.Source != "":
		return c.Source
	case c.URL != "":
		return External
	default:
		return Auto
	}
}

func (c Config) logf(format string, args ...any) {
	if c.Logf != nil {
		c.Logf(format, args...)
	}
}

// Server is a running PostgreSQL server and a superuser (or, for External,
// the URL's role) connection to its maintenance database.
type Server struct {
	source      Source
	where       string // "container 3e94…, image …", "local cluster in …": for messages
	containerID string // Container: the container Close removes
	network     string // Container: the Docker network it joined
	alias       string // Container: its host name there
	dir         string // Local: the folder Close removes
	local       *postmaster
	admin       *url.URL
	version     string

	stopOnce sync.Once
	stop     func(context.Context) error // stops what the source started; nil for External
	stopErr  error

	poolOnce sync.Once
	pool     *pgxpool.Pool // to the maintenance database: creates and drops databases
	poolErr  error

	dbMu sync.Mutex
	dbs  map[string]bool // databases this Server created and has not dropped

	tplMu     sync.Mutex
	templates map[string]*Template // by the hash of their migration files

	log func(format string, args ...any) // Config.Logf

	// attached: a shared server (Attach) that its keeper stops, not Close;
	// lease holds this process's share of it until Close.
	attached bool
	lease    *os.File
	memoDir  string // a shared server's: what Remember keeps
}

func (s *Server) logf(format string, args ...any) {
	if s.log != nil {
		s.log(format, args...)
	}
}

// Start returns a running server from the configured source. Close it when
// done: Close stops and removes what Start started.
func Start(ctx context.Context, cfg Config) (*Server, error) {
	var srv *Server
	var err error
	switch cfg.Chosen() {
	case Auto:
		srv, err = startAuto(ctx, cfg)
	case Container:
		srv, err = startContainer(ctx, cfg)
	case Local:
		srv, err = startLocal(ctx, cfg)
	case External:
		srv, err = startExternal(ctx, cfg)
	default:
		_, err = ParseSource(string(cfg.Source))
	}
	if srv != nil {
		srv.log = cfg.Logf
	}
	return srv, err
}

// startAuto tries a container when a Docker Engine answers, then the local
// binaries, and fails once with what each attempt said.
func startAuto(ctx context.Context, cfg Config) (*Server, error) {
	var tried []string
	if err := docker.Answers(ctx, cfg.DockerHost); err != nil {
		tried = append(tried, "container: "+err.Error())
	} else {
		srv, err := startContainer(ctx, cfg)
		if err == nil {
			return srv, nil
		}
		tried = append(tried, "container: "+err.Error())
		cfg.logf("pgenv: container source failed, trying local binaries: %v", err)
	}
	srv, err := startLocal(ctx, cfg)
	if err == nil {
		return srv, nil
	}
	tried = append(tried, "local: "+err.Error())
	return nil, fmt.Errorf("no PostgreSQL server could be started; tried:\n  - %s\n"+
		"Install Docker, or PostgreSQL 15's server binaries (Debian: apt-get install postgresql-15), "+
		"or point at a server with SMOKE_PG_SOURCE=external SMOKE_DATABASE_URL=postgres://…",
		strings.Join(tried, "\n  - "))
}

// Shared reports whether the server is a shared one (Attach), which its
// keeper stops, not Close.
func (s *Server) Shared() bool { return s.attached }

// Source reports where the server came from (never Auto).
func (s *Server) Source() Source { return s.source }

// DefaultNetworkAlias is the host name of a container server on its Docker
// network when Config.NetworkAlias is "".
const DefaultNetworkAlias = "postgres"

// NetworkURL is the connection URL for the named database as another
// container on Config.Network reaches it: postgres://…@postgres:5432/db.
// It is "" for a server that joined no network.
func (s *Server) NetworkURL(database string) string {
	if s.network == "" {
		return ""
	}
	u := *s.admin
	u.Host = s.alias + ":5432"
	u.Path = "/" + database
	return u.String()
}

// Version is the server's version as it reports it, e.g. "15.18 (Debian 15.18-0+deb12u1)".
func (s *Server) Version() string { return s.version }

// MajorMinor is the version number alone: "15.18" of
// "15.18 (Debian 15.18-0+deb12u1)", as Version or SHOW server_version says it.
func MajorMinor(version string) string {
	v, _, _ := strings.Cut(version, " ")
	return v
}

// String describes the server for people, password masked.
func (s *Server) String() string {
	return fmt.Sprintf("PostgreSQL %s (%s) at %s", s.version, s.where, redact.Conn(s.admin.String()))
}

// URL returns a connection URL for the named database on this server,
// credentials included.
func (s *Server) URL(database string) string {
	u := *s.admin
	u.Path = "/" + database
	u.RawPath = ""
	return u.String()
}

// AdminURL is the URL of the server's maintenance database, credentials
// included: to point another run at this server (the external source) or to
// look around it.
func (s *Server) AdminURL() string { return s.admin.String() }

// adminPool is a small connection pool to the maintenance database, for
// creating and dropping databases. It lives until Close.
func (s *Server) adminPool(ctx context.Context) (*pgxpool.Pool, error) {
	s.poolOnce.Do(func() {
		cfg, err := pgxpool.ParseConfig(s.admin.String())
		if err != nil {
			s.poolErr = redact.Error(err, s.admin.String())
			return
		}
		cfg.MaxConns = 4
		cfg.MaxConnIdleTime = time.Minute
		s.pool, s.poolErr = pgxpool.NewWithConfig(ctx, cfg)
	})
	return s.pool, s.poolErr
}

// Close drops the databases this Server created that are still there, then
// stops and removes what Start started (nothing, for External). It is safe to
// call more than once.
func (s *Server) Close(ctx context.Context) error {
	s.stopOnce.Do(func() {
		var errs []error
		// Only on a server others use do databases outlive this Server.
		shared := s.source == External || s.attached
		for _, t := range s.templates {
			errs = append(errs, t.stopPrefetch(ctx, shared))
		}
		if shared {
			errs = append(errs, s.dropCreated(ctx))
		}
		for _, t := range s.templates {
			// An external server's last user drops the template; a shared
			// one keeps it for the next user, and goes with its server.
			errs = append(errs, t.release(ctx, s.source == External))
		}
		if s.pool != nil {
			s.pool.Close()
		}
		if s.stop != nil {
			errs = append(errs, s.stop(ctx))
		}
		if s.lease != nil {
			errs = append(errs, s.lease.Close()) // the keeper sees one user fewer
		}
		s.stopErr = errors.Join(errs...)
	})
	return s.stopErr
}

// ready connects to the maintenance database until it answers or timeout
// passes, and records the server's version. With retry false it tries once:
// a server that is not starting up either answers or does not.
func (s *Server) ready(ctx context.Context, timeout time.Duration, retry bool) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	pool, err := s.adminPool(ctx)
	if err != nil {
		return err
	}
	for {
		err = pool.QueryRow(ctx, "SHOW server_version").Scan(&s.version)
		if err == nil {
			return nil
		}
		if !retry {
			return fmt.Errorf("connect to %s: %w", redact.Conn(s.admin.String()), redact.Error(err, s.admin.String()))
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("server at %s did not answer within %s: %w", redact.Conn(s.admin.String()), timeout, redact.Error(err, s.admin.String()))
		case <-time.After(20 * time.Millisecond):
		}
	}
}
