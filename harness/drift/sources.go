// Package drift compares the three descriptions of one schema — the model
// declared in Go, the migrations, and a live database — and reports the
// live database's migration state: the check that would have stopped the
// login incident, where a database claimed its newest migration while
// lacking a column the model wrote.
package drift

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/appydex/smoke/harness/migrator"
	"github.com/appydex/smoke/harness/pgenv"
	"github.com/appydex/smoke/schema"
	"github.com/appydex/smoke/schema/model"
)

// FromModel turns the model into a snapshot the way PostgreSQL sees it:
// its DDL applied to a scratch database on srv, then read back. A type
// PostgreSQL does not know is reported with the column that names it.
func FromModel(ctx context.Context, srv *pgenv.Server, m model.Schema) (*schema.Snapshot, error) {
	db, err := ModelDatabase(ctx, srv, m)
	if err != nil {
		return nil, err
	}
	defer db.Drop(context.WithoutCancel(ctx))
	return read(ctx, db, "model")
}

// ModelDatabase makes a scratch database on srv holding the model's DDL.
// The caller drops it.
func ModelDatabase(ctx context.Context, srv *pgenv.Server, m model.Schema) (*pgenv.Database, error) {
	if err := m.Validate(); err != nil {
		return nil, err
	}
	db, err := srv.NewDatabase(ctx)
	if err != nil {
		return nil, err
	}
	if err := withConn(ctx, db, func(conn *pgx.Conn) error { return applyModel(ctx, conn, m) }); err != nil {
		db.Drop(context.WithoutCancel(ctx))
		return nil, err
	}
	return db, nil
}

func applyModel(ctx context.Context, conn *pgx.Conn, m model.Schema) error {
	for _, e := range m.Enums {
		if _, err := conn.Exec(ctx, e.Create()); err != nil {
			return fmt.Errorf("model: enum %s: %w", e.Name, err)
		}
	}
	for _, t := range m.Tables {
		for _, c := range t.Columns {
			var known bool
			err := conn.QueryRow(ctx, "SELECT to_regtype($1) IS NOT NULL", c.Type).Scan(&known)
			if err != nil || !known {
				return fmt.Errorf("model: %s.%s: type %q is not a PostgreSQL type (nor an enum the model declares)%s",
					t.Name, c.Name, c.Type, causeOf(err))
			}
		}
	}
	for _, stmt := range (model.Schema{Tables: m.Tables}).DDL() {
		if _, err := conn.Exec(ctx, stmt); err != nil {
			return fmt.Errorf("model: PostgreSQL rejects the DDL written from the model: %w\n%s", err, stmt)
		}
	}
	return nil
}

// FromMigrations applies the migrations in fsys (dir names the folder in
// messages) up to version — 0 means all of them — to a scratch database on
// srv and reads it back. All of them come from srv's template of these files,
// built once per server and cloned after.
func FromMigrations(ctx context.Context, srv *pgenv.Server, fsys fs.FS, dir string, version uint) (*schema.Snapshot, error) {
	var db *pgenv.Database
	var err error
	if version == 0 {
		db, err = MigrationsDatabase(ctx, srv, fsys, dir)
	} else {
		db, err = srv.NewDatabase(ctx)
		if err == nil {
			err = withConn(ctx, db, func(conn *pgx.Conn) error {
				mg, err := migrator.New(conn.Config().ConnString(), fsys, dir)
				if err != nil {
					return err
				}
				defer mg.Close()
				return mg.To(ctx, version)
			})
			if err != nil {
				db.Drop(context.WithoutCancel(ctx))
			}
		}
	}
	if err != nil {
		return nil, err
	}
	defer db.Drop(context.WithoutCancel(ctx))
	return read(ctx, db, "migrations")
}

// MigrationsDatabase is a scratch database on srv with every migration in
// fsys applied: a copy of srv's template of these files. The caller drops
// it.
func MigrationsDatabase(ctx context.Context, srv *pgenv.Server, fsys fs.FS, dir string) (*pgenv.Database, error) {
	tpl, err := srv.Template(ctx, fsys, dir)
	if err != nil {
		return nil, err
	}
	return tpl.Clone(ctx)
}

func withConn(ctx context.Context, db *pgenv.Database, f func(*pgx.Conn) error) error {
	conn, err := pgx.Connect(ctx, db.URL)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	return f(conn)
}

func read(ctx context.Context, db *pgenv.Database, source string) (*schema.Snapshot, error) {
	var snap *schema.Snapshot
	err := withConn(ctx, db, func(conn *pgx.Conn) error {
		var err error
		snap, err = schema.Read(ctx, conn, "public", source)
		return err
	})
	return snap, err
}

func causeOf(err error) string {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return ": " + pgErr.Message
	}
	return ""
}

// modelSnapshot is FromModel, made once per kept server
// (pgenv.Server.Remember): the model's DDL is all that goes into it.
func modelSnapshot(ctx context.Context, srv *pgenv.Server, m model.Schema) (*schema.Snapshot, bool, error) {
	if err := m.Validate(); err != nil {
		return nil, false, err
	}
	key := "drift model\x00" + strings.Join(m.DDL(), "\x00")
	return remembered(srv, key, func() (*schema.Snapshot, error) { return FromModel(ctx, srv, m) })
}

// migrationsSnapshot is FromMigrations of all the files, made once per kept
// server: the template's name carries the hash of every file.
func migrationsSnapshot(ctx context.Context, srv *pgenv.Server, fsys fs.FS, dir string) (*schema.Snapshot, bool, error) {
	tpl, err := srv.Template(ctx, fsys, dir)
	if err != nil {
		return nil, false, err
	}
	return remembered(srv, "drift migrations\x00"+tpl.Name(), func() (*schema.Snapshot, error) {
		return FromMigrations(ctx, srv, fsys, dir, 0)
	})
}

// remembered is read's snapshot kept as JSON on the server (every field of
// a Snapshot is one).
func remembered(srv *pgenv.Server, key string, read func() (*schema.Snapshot, error)) (*schema.Snapshot, bool, error) {
	var made *schema.Snapshot
	b, reused, err := srv.Remember(key, func() ([]byte, error) {
		var err error
		if made, err = read(); err != nil {
			return nil, err
		}
		return json.Marshal(made)
	})
	if err != nil || !reused {
		return made, false, err
	}
	var snap schema.Snapshot
	if err := json.Unmarshal(b, &snap); err != nil {
		// Not what this build writes: made again, as on a server that
		// keeps nothing.
		made, err := read()
		return made, false, err
	}
	return &snap, true, nil
}
