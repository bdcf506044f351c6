// Package live opens connections to a database the harness checks but
// does not own — a deployment's, or one it made — that cannot write:
// every transaction is read-only from the session's first statement.
//
// It imports pgx and redact only, so the flow (an HTTP contract checker a
// user may embed in their own tests) reads rows without pulling in the
// harness's containers or migrations.
package live

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/appydex/smoke/redact"
)

// Connect opens a connection to the database at databaseURL, read-only
// from its first statement (default_transaction_read_only), with errors
// that show the URL with its password masked.
func Connect(ctx context.Context, databaseURL string) (*pgx.Conn, error) {
	cfg, err := pgx.ParseConfig(databaseURL)
	if err != nil {
		return nil, fmt.Errorf("database URL %s: %w", redact.URL(databaseURL), redact.Error(err, databaseURL))
	}
	cfg.RuntimeParams["default_transaction_read_only"] = "on"
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("connect to %s: %w", redact.URL(databaseURL), redact.Error(err, databaseURL))
	}
	// A pooler in between may drop a startup setting (PgBouncer's
	// ignore_startup_parameters): the session is read-only, or it is not
	// used at all.
	var readOnly string
	if err := conn.QueryRow(ctx, "SHOW transaction_read_only").Scan(&readOnly); err != nil || readOnly != "on" {
		conn.Close(context.WithoutCancel(ctx))
		if err == nil {
			err = fmt.Errorf("transaction_read_only is %q", readOnly)
		}
		return nil, fmt.Errorf("the session on %s is not read-only, though it asked to be (a connection pooler in between may drop "+
			"default_transaction_read_only): connect to the database directly, or through a pool that keeps it: %w",
			redact.URL(databaseURL), redact.Error(err, databaseURL))
	}
	return conn, nil
}
