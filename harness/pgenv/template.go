package pgenv

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/appydex/smoke/harness/migrator"
	"github.com/appydex/smoke/harness/owner"
	"github.com/appydex/smoke/redact"
	"github.com/appydex/smoke/schema/pgident"
)

// templateRecipe changes whenever the way a template is built changes, so
// templates built the old way are not reused.
const templateRecipe = "pgenv-template-v1"

// Template is a database migrated once from a set of migration files, from
// which Clone makes each test its own database.
type Template struct {
	srv  *Server
	name string
	key  int32     // the advisory lock key derived from the hash
	conn *pgx.Conn // holds the shared "in use" lock until release
	seq  atomic.Int64
	// built: this Server built it (else another process, or an earlier
	// run on a kept server, had).
	built bool

	// The clones made ahead (Prefetch), once it has started: Clone may
	// run beside Prefetch, so it is set once, atomically.
	prefetchOnce sync.Once
	prefetch     atomic.Pointer[prefetcher]
}

// prefetcher keeps clones made ahead: ready holds them; the filler stops
// when stop closes, and done closes when it has.
type prefetcher struct {
	ready chan *Database
	slots chan struct{} // one per clone made ahead, ready or being made
	stop  chan struct{}
	done  chan struct{}
}

// Advisory lock namespaces (the first key of PostgreSQL's two-key form): one
// process at a time builds or drops a template; every process using it holds
// a shared lock, so the last one to finish can tell it is the last.
const (
	lockBuild int32 = 0x5301
	lockUse   int32 = 0x5302
)

// Built reports whether asking for the template built it: false when
// another process, or an earlier run on a kept server, already had.
func (t *Template) Built() bool { return t.built }

// Name is the template database's name: smoke_tpl_ and a hash of the files.
func (t *Template) Name() string { return t.name }

// Template returns the template for the migrations in fsys (dir names the
// folder in messages), building it if this server has none for exactly these
// files. The name carries a hash of every file, so an edited file gets a new
// template. A template is built under another name and renamed only once all
// migrations succeeded, so a half-built one is never used. Advisory locks make
// concurrent processes (the packages of one go test ./...) build it once, and
// on an external server the last of them to close drops it.
func (s *Server) Template(ctx context.Context, fsys fs.FS, dir string) (*Template, error) {
	hash, err := hashFiles(fsys)
	if err != nil {
		return nil, fmt.Errorf("hash migrations in %s: %w", dir, err)
	}
	// One Template per set of files and Server: each holds a connection
	// (its shared lock) until Close, so asking again must not open another.
	s.tplMu.Lock()
	defer s.tplMu.Unlock()
	if t := s.templates[hash]; t != nil {
		return t, nil
	}
	name := dbPrefix + "tpl_" + hash[:16]
	key, _ := templateKey(name) // a hex hash: always a key
	t := &Template{srv: s, name: name, key: key}

	conn, err := pgx.Connect(ctx, s.admin.String())
	if err != nil {
		return nil, redact.Error(err, s.admin.String())
	}
	err = t.acquire(ctx, conn, fsys, dir)
	if err != nil {
		conn.Close(context.WithoutCancel(ctx))
		return nil, err
	}
	t.conn = conn
	if s.templates == nil {
		s.templates = map[string]*Template{}
	}
	s.templates[hash] = t
	return t, nil
}

// acquire builds the template unless it exists, then marks it in use.
func (t *Template) acquire(ctx context.Context, conn *pgx.Conn, fsys fs.FS, dir string) error {
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1, $2)", lockBuild, t.key); err != nil {
		return fmt.Errorf("lock template %s: %w", t.name, err)
	}
	defer conn.Exec(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1, $2)", lockBuild, t.key)

	var exists bool
	if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", t.name).Scan(&exists); err != nil {
		return err
	}
	if !exists {
		if err := t.build(ctx, conn, fsys, dir); err != nil {
			return err
		}
		t.built = true
	}
	_, err := conn.Exec(ctx, "SELECT pg_advisory_lock_shared($1, $2)", lockUse, t.key)
	return err
}

// release ends this process's use of the template. With drop, it drops the
// template too when no other process uses it.
func (t *Template) release(ctx context.Context, drop bool) error {
	defer t.conn.Close(context.WithoutCancel(ctx)) // ends the session: releases every lock
	if !drop {
		return nil
	}
	// Keep new users out while deciding, then stop being one.
	if _, err := t.conn.Exec(ctx, "SELECT pg_advisory_lock($1, $2), pg_advisory_unlock_shared($3, $2)", lockBuild, t.key, lockUse); err != nil {
		return fmt.Errorf("release template %s: %w", t.name, err)
	}
	var last bool
	if err := t.conn.QueryRow(ctx, "SELECT pg_try_advisory_lock($1, $2)", lockUse, t.key).Scan(&last); err != nil {
		return fmt.Errorf("release template %s: %w", t.name, err)
	}
	if !last {
		return nil // another process still clones from it
	}
	if _, err := t.conn.Exec(ctx, "ALTER DATABASE "+pgx.Identifier{t.name}.Sanitize()+" WITH IS_TEMPLATE false"); err != nil {
		return fmt.Errorf("release template %s: %w", t.name, err)
	}
	return t.srv.dropDatabase(ctx, t.name)
}

func (t *Template) build(ctx context.Context, conn *pgx.Conn, fsys fs.FS, dir string) error {
	s := t.srv
	// Builds that died part way (their process was killed) left databases
	// named for this hash; under the lock none is in progress.
	rows, err := conn.Query(ctx, "SELECT datname FROM pg_database WHERE starts_with(datname, $1)", t.name+"_build_")
	if err != nil {
		return err
	}
	stale, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return err
	}
	for _, name := range stale {
		if err := s.dropDatabase(ctx, name); err != nil {
			return err
		}
	}

	building := t.name + "_build_" + randomHex(4)
	if err := s.createDatabase(ctx, building, ""); err != nil {
		return err
	}
	fail := func(err error) error {
		return errors.Join(err, s.dropDatabase(context.WithoutCancel(ctx), building))
	}
	mg, err := migrator.New(s.URL(building), fsys, dir)
	if err != nil {
		return fail(err)
	}
	err = mg.Up(ctx)
	if cerr := mg.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fail(fmt.Errorf("build template from %s: %w", dir, err))
	}
	// No session may be connected while renaming; migrator.Close ended ours.
	// ALLOW_CONNECTIONS false keeps anyone from connecting later, which
	// would make every clone fail with "source database is being accessed".
	for _, sql := range []string{
		"ALTER DATABASE " + pgx.Identifier{building}.Sanitize() + " RENAME TO " + pgx.Identifier{t.name}.Sanitize(),
		"ALTER DATABASE " + pgx.Identifier{t.name}.Sanitize() + " WITH IS_TEMPLATE true ALLOW_CONNECTIONS false",
	} {
		if _, err := conn.Exec(ctx, sql); err != nil {
			return fail(fmt.Errorf("finish template %s: %w", t.name, err))
		}
	}
	// The template is not one of the databases Close drops with the clones:
	// release decides, once no other process clones from it.
	s.forget(building)
	return nil
}

// Database is a database made for one user of the harness.
type Database struct {
	Name string
	URL  string // connection URL, password included
	srv  *Server
}

// Clone returns a new database copied from the template: one made ahead
// when Prefetch has one ready, else one made now.
func (t *Template) Clone(ctx context.Context) (*Database, error) {
	if p := t.prefetch.Load(); p != nil {
		select {
		case db := <-p.ready:
			<-p.slots // room for the next one
			return db, nil
		default:
		}
	}
	return t.clone(ctx)
}

func (t *Template) clone(ctx context.Context) (*Database, error) {
	name := fmt.Sprintf("%s_%d_%s", t.name, t.seq.Add(1), randomHex(3))
	if err := t.srv.createDatabase(ctx, name, t.name); err != nil {
		return nil, err
	}
	return &Database{Name: name, URL: t.srv.URL(name), srv: t.srv}, nil
}

// Prefetch keeps up to n clones made ahead, in the background, so that
// Clone is a channel receive while they last. A clone handed out is its
// user's to drop; it never comes back to the pool. The clones still waiting
// are dropped when the server closes. Calls after the first change nothing.
func (t *Template) Prefetch(n int) {
	if n <= 0 {
		return
	}
	t.prefetchOnce.Do(func() {
		p := &prefetcher{ready: make(chan *Database, n), slots: make(chan struct{}, n),
			stop: make(chan struct{}), done: make(chan struct{})}
		t.prefetch.Store(p)
		go t.fill(p)
	})
}

// fill makes clones while there is room for them, until stopped. A clone it
// cannot make is left to Clone, which makes its own and reports the error.
//
// A CREATE DATABASE under way when it is stopped runs to its end (~15 ms):
// cancelled, the server may have made the database all the same, and
// nobody would know to drop it.
func (t *Template) fill(p *prefetcher) {
	defer close(p.done)
	for failures := 0; ; {
		select { // wait for room: at most n clones made ahead at once
		case p.slots <- struct{}{}:
		case <-p.stop:
			return
		}
		db, err := t.clone(context.Background())
		if err != nil {
			<-p.slots
			failures++
			t.srv.logf("pgenv: making a clone of %s ahead failed (%d): %v", t.name, failures, err)
			select { // back off: Clone makes clones itself meanwhile
			case <-p.stop:
				return
			case <-time.After(time.Duration(min(failures, 20)) * 50 * time.Millisecond):
			}
			continue
		}
		failures = 0
		p.ready <- db // never blocks: it holds a slot
		select {
		case <-p.stop:
			return // stopPrefetch drops what is ready
		default:
		}
	}
}

// stopPrefetch stops the filler; with drop, it drops the clones it made
// that nobody took (a server that stops takes them with it).
func (t *Template) stopPrefetch(ctx context.Context, drop bool) error {
	p := t.prefetch.Load()
	if p == nil {
		return nil
	}
	close(p.stop)
	<-p.done
	var errs []error
	for {
		select {
		case db := <-p.ready:
			if drop {
				errs = append(errs, db.Drop(ctx))
			}
		default:
			return errors.Join(errs...)
		}
	}
}

// Drop drops the database.
func (d *Database) Drop(ctx context.Context) error { return d.srv.dropDatabase(ctx, d.Name) }

// Keep stops the server from dropping the database when it closes (an
// external server outlives the run: the database stays for inspection).
//
// On an external server it is marked as kept, no longer as a run's, so a
// later run's sweep leaves it; the error says when that mark failed (the
// sweep would then drop it once this process is gone).
func (d *Database) Keep() error {
	d.srv.forget(d.Name)
	if d.srv.source != External {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	pool, err := d.srv.adminPool(ctx)
	if err == nil {
		_, err = pool.Exec(ctx, "COMMENT ON DATABASE "+pgx.Identifier{d.Name}.Sanitize()+" IS "+pgident.Literal(keptMark+owner.Current().String()))
	}
	if err != nil {
		return fmt.Errorf("mark %s as kept for inspection: %w", d.Name, err)
	}
	return nil
}

// hashFiles hashes the names and contents of every file in fsys, in name
// order, with the template recipe: the key of a template.
func hashFiles(fsys fs.FS) (string, error) {
	var names []string
	err := fs.WalkDir(fsys, ".", func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			names = append(names, path)
		}
		return err
	})
	if err != nil {
		return "", err
	}
	sort.Strings(names)
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00", templateRecipe)
	for _, name := range names {
		b, err := fs.ReadFile(fsys, name)
		if err != nil {
			return "", err
		}
		fmt.Fprintf(h, "%s\x00%d\x00", name, len(b))
		h.Write(b)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// NewDatabase creates an empty database: for migrations themselves, or a
// model's DDL.
func (s *Server) NewDatabase(ctx context.Context) (*Database, error) {
	name := dbPrefix + "db_" + randomHex(6)
	if err := s.createDatabase(ctx, name, ""); err != nil {
		return nil, err
	}
	return &Database{Name: name, URL: s.URL(name), srv: s}, nil
}

// Copy creates a new database holding a copy of db (CREATE DATABASE …
// TEMPLATE): a database migrated once by another tool becomes the template
// of the next. No session may be connected to db while it is copied.
func (s *Server) Copy(ctx context.Context, db *Database) (*Database, error) {
	name := dbPrefix + "db_" + randomHex(6)
	if err := s.createDatabase(ctx, name, db.Name); err != nil {
		return nil, err
	}
	return &Database{Name: name, URL: s.URL(name), srv: s}, nil
}
