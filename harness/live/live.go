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
	"errors"
	"fmt"
	"net"
	"syscall"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/appydex/smoke/redact"
)

// Connect opens a connection to the database at databaseURL, read-only
// from its first statement (default_transaction_read_only), with errors
// that show the URL with its password masked.
func Connect(ctx context.Context, databaseURL string) (*pgx.Conn, error) {
	if _, err := redact.ParseConn(databaseURL); err != nil {
		return nil, fmt.Errorf("database URL %s: %w", redact.Conn(databaseURL), err)
	}
	cfg, err := pgx.ParseConfig(databaseURL)
	if err != nil {
		return nil, fmt.Errorf("database URL %s: %w", redact.Conn(databaseURL), redact.Error(err, databaseURL))
	}
	cfg.RuntimeParams["default_transaction_read_only"] = "on"
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("connect to %s: %w", redact.Conn(databaseURL), redact.Error(err, databaseURL))
	}
	// A pooler in between may drop a startup setting (PgBouncer's
	// ignore_startup_parameters): the session is read-only, or it is not
	// used at all.
	var readOnly string
	if err := conn.QueryRow(ctx, "SHOW transaction_read_only").Scan(&readOnly); err != nil || readOnly != "on" {
		conn.Close(context.WithoutCancel(ctx))
		if err == nil {
			err = fmt.Errorf("%w: transaction_read_only is %q", ErrNotReadOnly, readOnly)
		}
		return nil, fmt.Errorf("the session on %s is not read-only, though it asked to be (a connection pooler in between may drop "+
			"default_transaction_read_only): connect to the database directly, or through a pool that keeps it: %w",
			redact.Conn(databaseURL), redact.Error(err, databaseURL))
	}
	return conn, nil
}

// ErrNotReadOnly is a session that stayed writable though it asked to be
// read-only.
var ErrNotReadOnly = errors.New("the session is not read-only")

// Failure says in a few words why Connect failed, for a report's step: the
// connection string does not parse, the server refused the password or the
// role, the database does not exist, the server did not answer, and so on.
// The error itself says the rest.
func Failure(err error) string {
	var connErr *redact.ConnError
	var pgErr *pgconn.PgError
	switch {
	case errors.As(err, &connErr):
		return "the connection string does not parse"
	case errors.Is(err, ErrNotReadOnly):
		return "the session is not read-only"
	case errors.As(err, &pgErr):
		switch pgErr.Code {
		case "28P01":
			return "password authentication failed"
		case "28000":
			return "the server refused the role (pg_hba.conf or role settings)"
		case "3D000":
			return "the database does not exist"
		case "53300":
			return "the server has no connection slot left"
		case "57P03":
			return "the server is starting up or shutting down"
		}
		return "the server refused the connection: " + pgErr.Message
	case errors.Is(err, context.DeadlineExceeded) || pgconn.Timeout(err):
		return "no answer in time"
	}
	var netErr *net.OpError
	var dnsErr *net.DNSError
	switch {
	case errors.As(err, &dnsErr):
		return "its host name does not resolve"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused: nothing listens at that host and port"
	case errors.As(err, &netErr):
		return "no answer"
	}
	return "could not connect"
}
