package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/appydex/smoke/app/tables"
)

// NewRefreshToken is a refresh token to store: its hash, never the token.
type NewRefreshToken struct {
	UserID    string
	JTI       string
	FamilyID  string
	ParentID  *string // the token it was rotated from; nil at login
	ExpiresAt time.Time
	TokenHash string // SHA-256 hex of the token
	UserAgent string
	IPAddress string
}

// serverFilled are the refresh_tokens columns the insert leaves to their
// defaults, as the incident's SQLAlchemy insert did (RETURNING id, created_at).
var serverFilled = []string{"id", "created_at"}

func (s *Store) insertToken(ctx context.Context, q querier, t NewRefreshToken) (string, error) {
	values := map[string]any{
		"user_id": t.UserID, "token_hash": t.TokenHash, "jti": t.JTI, "family_id": t.FamilyID, "parent_id": t.ParentID,
		"expires_at": t.ExpiresAt, "revoked": false, "revoked_at": nil, "last_used_at": nil,
		"user_agent": nullable(t.UserAgent), "ip_address": nullable(t.IPAddress),
	}
	var id string
	var created time.Time
	err := insert(ctx, q, tables.RefreshTokens, serverFilled, values, []string{"id", "created_at"}, &id, &created)
	return id, err
}

func nullable(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// InsertRefreshToken stores the first token of a new family (a login).
func (s *Store) InsertRefreshToken(ctx context.Context, t NewRefreshToken) (string, error) {
	return s.insertToken(ctx, s.pool, t)
}

// Rotated is the token a refresh presented, as it was stored.
type Rotated struct {
	ID        string
	UserID    string
	FamilyID  string
	ExpiresAt time.Time // the family's absolute expiry: rotation never extends it
}

// Rotate revokes the live token whose hash is presented and stores the
// child child(old) returns, in one transaction: the UPDATE … WHERE NOT
// revoked AND expires_at > now() … RETURNING lets exactly one of many
// concurrent refreshes of a token win. A token that was already rotated is
// reuse: every live token of its family is revoked — a revocation that
// commits although the refresh fails with ErrTokenReused. An unknown,
// expired or logged-out token is ErrTokenInvalid.
func (s *Store) Rotate(ctx context.Context, tokenHash string, child func(old Rotated) (NewRefreshToken, error)) error {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	var old Rotated
	err = tx.QueryRow(ctx, `
		UPDATE refresh_tokens
		   SET revoked = true, revoked_at = now(), last_used_at = now()
		 WHERE token_hash = $1 AND NOT revoked AND expires_at > now()
		RETURNING id, user_id, family_id, expires_at`, tokenHash).Scan(&old.ID, &old.UserID, &old.FamilyID, &old.ExpiresAt)
	if errors.Is(err, pgx.ErrNoRows) {
		tx.Rollback(ctx)
		return s.refused(ctx, tokenHash)
	}
	if err != nil {
		return fmt.Errorf("rotate refresh token: %w", err)
	}
	next, err := child(old)
	if err != nil {
		return err
	}
	next.ParentID, next.FamilyID, next.UserID = &old.ID, old.FamilyID, old.UserID
	if _, err := s.insertToken(ctx, tx, next); err != nil {
		return err
	}
	return tx.Commit(ctx)
}

// refused says why a presented token could not be rotated, revoking its
// family when it was rotated before.
func (s *Store) refused(ctx context.Context, tokenHash string) error {
	var familyID string
	var rotated bool
	err := s.pool.QueryRow(ctx, `
		SELECT family_id, EXISTS (SELECT 1 FROM refresh_tokens c WHERE c.parent_id = t.id)
		  FROM refresh_tokens t WHERE token_hash = $1`, tokenHash).Scan(&familyID, &rotated)
	if errors.Is(err, pgx.ErrNoRows) {
		return ErrTokenInvalid
	}
	if err != nil {
		return fmt.Errorf("look up refresh token: %w", err)
	}
	if !rotated {
		return ErrTokenInvalid // expired, or revoked by a logout
	}
	if err := s.revokeFamily(ctx, familyID); err != nil {
		return err
	}
	return ErrTokenReused
}

// RevokeFamily revokes every token of the family of the token whose hash
// is given (a logout). It reports whether such a token exists.
func (s *Store) RevokeFamily(ctx context.Context, tokenHash string) (bool, error) {
	var familyID string
	err := s.pool.QueryRow(ctx, "SELECT family_id FROM refresh_tokens WHERE token_hash = $1", tokenHash).Scan(&familyID)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("look up refresh token: %w", err)
	}
	return true, s.revokeFamily(ctx, familyID)
}

// revokeFamily revokes the family's live tokens. It runs the UPDATE twice,
// as two statements: a rotation that was committing while the first one
// waited for its row lock inserted a child the first statement's snapshot
// cannot see; the second one's can.
func (s *Store) revokeFamily(ctx context.Context, familyID string) error {
	for range 2 {
		if _, err := s.pool.Exec(ctx, `
			UPDATE refresh_tokens SET revoked = true, revoked_at = now()
			 WHERE family_id = $1 AND NOT revoked`, familyID); err != nil {
			return fmt.Errorf("revoke token family: %w", err)
		}
	}
	return nil
}
