// Package store is the appydex API's data layer. Its column lists come from
// the model in app/tables, as SQLAlchemy's do from its models: a column the
// model declares is written whether or not the database has it, so a model
// change without a migration fails exactly as the login incident did.
package store

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/appydex/smoke/schema/model"
	"github.com/appydex/smoke/schema/pgident"
)

// Store reads and writes the appydex auth tables.
type Store struct {
	pool *pgxpool.Pool
}

// New wraps a connection pool.
func New(pool *pgxpool.Pool) *Store { return &Store{pool: pool} }

// Ping checks the database answers.
func (s *Store) Ping(ctx context.Context) error { return s.pool.Ping(ctx) }

// Pool is the store's connection pool.
func (s *Store) Pool() *pgxpool.Pool { return s.pool }

// Sentinel outcomes the API branches on.
var (
	ErrNotFound     = errors.New("not found")
	ErrTokenInvalid = errors.New("refresh token unknown, expired or revoked")
	ErrTokenReused  = errors.New("refresh token already rotated: its family is revoked")
)

// Unavailable reports whether err means the database cannot be reached or
// is shutting down (the API answers 503), as opposed to a query it rejected
// (500: a bug, or a schema that does not match the model).
func Unavailable(err error) bool {
	if err == nil {
		return false
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		// Class 08: connection exception; 57P01-03: shutting down, crashed,
		// cannot connect now.
		return strings.HasPrefix(pgErr.Code, "08") || pgErr.Code == "57P01" || pgErr.Code == "57P02" || pgErr.Code == "57P03"
	}
	var connErr *pgconn.ConnectError
	var netErr net.Error
	return errors.As(err, &connErr) || errors.As(err, &netErr) || pgconn.SafeToRetry(err) ||
		errors.Is(err, context.DeadlineExceeded) || strings.Contains(err.Error(), "conn closed")
}

// querier is what both a pool and a transaction offer.
type querier interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
}

// insert writes one row of table with exactly the model's columns, less
// serverFilled (their defaults fill them), taking each value by column name.
// A column the model declares and values lacks — or the reverse — is a bug
// in this package, reported as an error.
func insert(ctx context.Context, q querier, table *model.Table, serverFilled []string, values map[string]any, returning []string, dest ...any) error {
	cols := table.ColumnNames(serverFilled...)
	args := make([]any, len(cols))
	params := make([]string, len(cols))
	for i, c := range cols {
		v, ok := values[c]
		if !ok {
			return fmt.Errorf("store: the model declares %s.%s but the insert gives it no value", table.Name, c)
		}
		args[i], params[i] = v, fmt.Sprintf("$%d", i+1)
	}
	if len(values) != len(cols) {
		for c := range values {
			if _, ok := table.Column(c); !ok {
				return fmt.Errorf("store: the insert gives a value for %s.%s, which the model does not declare", table.Name, c)
			}
		}
	}
	sql := fmt.Sprintf("INSERT INTO %s (%s) VALUES (%s) RETURNING %s",
		pgident.Quote(table.Name), identList(cols), strings.Join(params, ", "), identList(returning))
	if err := q.QueryRow(ctx, sql, args...).Scan(dest...); err != nil {
		return fmt.Errorf("insert into %s: %w", table.Name, err)
	}
	return nil
}

// selectList is the model's column list of table, for a SELECT.
func selectList(table *model.Table) string { return identList(table.ColumnNames()) }

func identList(names []string) string {
	quoted := make([]string, len(names))
	for i, n := range names {
		quoted[i] = pgident.Quote(n)
	}
	return strings.Join(quoted, ", ")
}
