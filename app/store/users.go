package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/appydex/smoke/app/tables"
)

// User is a row of users.
type User struct {
	ID           string
	Email        *string
	Phone        *string
	PasswordHash string
	Roles        []string
	IsActive     bool
	TOTPSecret   *string
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// fields maps each column the model declares to where a scan puts it.
func (u *User) fields() map[string]any {
	return map[string]any{
		"id": &u.ID, "email": &u.Email, "phone": &u.Phone, "password_hash": &u.PasswordHash, "roles": &u.Roles,
		"is_active": &u.IsActive, "totp_secret": &u.TOTPSecret, "created_at": &u.CreatedAt, "updated_at": &u.UpdatedAt,
	}
}

func scanUser(row pgx.Row) (*User, error) {
	u := &User{}
	fields := u.fields()
	cols := tables.Users.ColumnNames()
	dest := make([]any, len(cols))
	for i, c := range cols {
		if dest[i] = fields[c]; dest[i] == nil {
			return nil, fmt.Errorf("store: the model declares users.%s but User has no field for it", c)
		}
	}
	if err := row.Scan(dest...); err != nil {
		if errors.Is(err, pgx.ErrNoRows) {
			return nil, ErrNotFound
		}
		return nil, fmt.Errorf("read users: %w", err)
	}
	return u, nil
}

// UserByLogin finds a user by email (case-insensitively: emails are stored
// in lower case) or by phone.
func (s *Store) UserByLogin(ctx context.Context, emailOrPhone string) (*User, error) {
	return scanUser(s.pool.QueryRow(ctx,
		"SELECT "+selectList(tables.Users)+" FROM users WHERE email = lower($1) OR phone = $1 LIMIT 1", emailOrPhone))
}

// UserByID finds a user by id.
func (s *Store) UserByID(ctx context.Context, id string) (*User, error) {
	return scanUser(s.pool.QueryRow(ctx, "SELECT "+selectList(tables.Users)+" FROM users WHERE id = $1", id))
}

// NewUser is a user to create.
type NewUser struct {
	Email, Phone, PasswordHash, TOTPSecret string // "" for none
	Roles                                  []string
	Inactive                               bool // a disabled account: it may not sign in
}

// UpsertUser creates the user, or updates the user with that email: the
// seed step's way to make the development admin exist, any number of times.
func (s *Store) UpsertUser(ctx context.Context, nu NewUser) (string, error) {
	var id string
	err := s.pool.QueryRow(ctx, `
		INSERT INTO users (email, phone, password_hash, roles, totp_secret, is_active)
		VALUES (lower(nullif($1, '')), nullif($2, ''), $3, $4, nullif($5, ''), NOT $6)
		ON CONFLICT (email) DO UPDATE
		   SET phone = EXCLUDED.phone, password_hash = EXCLUDED.password_hash, roles = EXCLUDED.roles,
		       totp_secret = EXCLUDED.totp_secret, is_active = EXCLUDED.is_active, updated_at = now()
		RETURNING id`, strings.TrimSpace(nu.Email), nu.Phone, nu.PasswordHash, nu.Roles, nu.TOTPSecret, nu.Inactive).Scan(&id)
	if err != nil {
		return "", fmt.Errorf("upsert user %s: %w", nu.Email, err)
	}
	return id, nil
}
