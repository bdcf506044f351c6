// Command appydex-migrate is the reference API's migration tool, shipped in
// its image beside appydex-api the way alembic ships in a Python service's:
// the harness runs it as one-off containers of that image, as a backend
// description names the commands.
//
//	appydex-migrate up              apply every migration
//	appydex-migrate to VERSION      migrate up or down to VERSION
//	appydex-migrate current         print the database's version ("4 (head)")
//	appydex-migrate heads           print the newest migration's version
//	appydex-migrate create-model    create the model's schema (app/tables) in an empty database
//
// The database is APPYDEX_DATABASE_URL, or --database-url before the
// subcommand. Exit codes: 0 done, 1 the database refused, 2 usage.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"

	"github.com/jackc/pgx/v5"

	"github.com/appydex/smoke/app/tables"
	"github.com/appydex/smoke/harness/migrator"
	"github.com/appydex/smoke/migrations"
	"github.com/appydex/smoke/redact"
)

func main() {
	os.Exit(run(context.Background(), os.Args[1:], os.Getenv, os.Stdout, os.Stderr))
}

const usage = "usage: appydex-migrate [--database-url URL] up | to VERSION | current | heads | create-model"

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("appydex-migrate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var databaseURL string
	fs.StringVar(&databaseURL, "database-url", "", "PostgreSQL URL ($APPYDEX_DATABASE_URL)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if databaseURL == "" {
		databaseURL = getenv("APPYDEX_DATABASE_URL")
	}
	args = fs.Args()
	if len(args) == 0 || (args[0] == "to") != (len(args) == 2) || len(args) > 2 {
		fmt.Fprintln(stderr, usage)
		return 2
	}
	files, err := migrator.ReadFiles(migrations.FS, migrations.Dir)
	if err != nil {
		fmt.Fprintln(stderr, "appydex-migrate:", err)
		return 1
	}
	if args[0] == "heads" {
		fmt.Fprintf(stdout, "%d (head)\n", files.Head())
		return 0
	}
	if databaseURL == "" {
		fmt.Fprintln(stderr, "appydex-migrate: set APPYDEX_DATABASE_URL or --database-url (postgres://user:password@host:5432/appydex)")
		return 2
	}
	if err := command(ctx, args, databaseURL, files, stdout); err != nil {
		var usageErr usageError
		fmt.Fprintln(stderr, "appydex-migrate:", redact.Error(err, databaseURL))
		if errors.As(err, &usageErr) {
			return 2
		}
		return 1
	}
	return 0
}

type usageError string

func (e usageError) Error() string { return string(e) }

func command(ctx context.Context, args []string, databaseURL string, files migrator.Files, stdout io.Writer) error {
	if args[0] == "create-model" {
		return createModel(ctx, databaseURL)
	}
	mg, err := migrator.New(databaseURL, migrations.FS, migrations.Dir)
	if err != nil {
		return err
	}
	defer mg.Close()
	switch args[0] {
	case "up":
		return mg.Up(ctx)
	case "to":
		version, err := strconv.ParseUint(args[1], 10, 32)
		if err != nil {
			return usageError(fmt.Sprintf("to %q: want a version number, e.g. 3", args[1]))
		}
		return mg.To(ctx, uint(version))
	case "current":
		version, dirty, err := mg.Version()
		if err != nil {
			return err
		}
		switch {
		case version == 0:
			fmt.Fprintln(stdout, "(no version)")
		case dirty:
			fmt.Fprintf(stdout, "%d (dirty)\n", version)
		case version == files.Head():
			fmt.Fprintf(stdout, "%d (head)\n", version)
		default:
			fmt.Fprintln(stdout, version)
		}
		return nil
	}
	return usageError(usage)
}

// createModel applies the model's DDL, in one transaction, to an empty database.
func createModel(ctx context.Context, databaseURL string) error {
	conn, err := pgx.Connect(ctx, databaseURL)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	tx, err := conn.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx)
	for _, stmt := range tables.Schema.DDL() {
		if _, err := tx.Exec(ctx, stmt); err != nil {
			return fmt.Errorf("%w\n%s", err, stmt)
		}
	}
	return tx.Commit(ctx)
}
