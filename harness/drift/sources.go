// Package drift compares the three descriptions of one schema — the model
// declared in Go, the migrations, and a live database — and reports the
// live database's migration state: the check that would have stopped the
// login incident, where a database claimed its newest migration while
// lacking a column the model wrote.
package drift

import (
	"context"
	"errors"
	"fmt"
	"io/fs"

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
	if err := m.Validate(); err != nil {
		return nil, err
	}
	return scratch(ctx, "model", func() (*pgenv.Database, error) { return srv.NewDatabase(ctx) }, func(conn *pgx.Conn) error {
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
	})
}

// FromMigrations applies the migrations in fsys (dir names the folder in
// messages) up to version — 0 means all of them — to a scratch database on
// srv and reads it back. All of them come from srv's template of these files,
// built once per server and cloned after.
func FromMigrations(ctx context.Context, srv *pgenv.Server, fsys fs.FS, dir string, version uint) (*schema.Snapshot, error) {
	if version == 0 {
		tpl, err := srv.Template(ctx, fsys, dir)
		if err != nil {
			return nil, err
		}
		return scratch(ctx, "migrations", func() (*pgenv.Database, error) { return tpl.Clone(ctx) }, nil)
	}
	return scratch(ctx, "migrations", func() (*pgenv.Database, error) { return srv.NewDatabase(ctx) }, func(conn *pgx.Conn) error {
		mg, err := migrator.New(conn.Config().ConnString(), fsys, dir)
		if err != nil {
			return err
		}
		defer mg.Close()
		return mg.To(ctx, version)
	})
}

// scratch makes a database with create, runs fill in it (when given), reads
// the snapshot, and drops the database.
func scratch(ctx context.Context, source string, create func() (*pgenv.Database, error), fill func(*pgx.Conn) error) (*schema.Snapshot, error) {
	db, err := create()
	if err != nil {
		return nil, err
	}
	defer db.Drop(context.WithoutCancel(ctx))
	conn, err := pgx.Connect(ctx, db.URL)
	if err != nil {
		return nil, err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if fill != nil {
		if err := fill(conn); err != nil {
			return nil, err
		}
	}
	return schema.Read(ctx, conn, "public", source)
}

func causeOf(err error) string {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return ": " + pgErr.Message
	}
	return ""
}
