package auth

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"
)

// TokenType keeps access and refresh tokens apart: each is accepted only
// where its type is expected.
type TokenType string

// The token types, in the "typ" claim.
const (
	Access  TokenType = "access"
	Refresh TokenType = "refresh"
)

// Claims are the claims of both token types.
type Claims struct {
	jwt.RegisteredClaims
	Type  TokenType `json:"typ"`
	Roles []string  `json:"roles,omitempty"` // access tokens
}

// Tokens issues and checks HS256 tokens.
type Tokens struct {
	Secret     []byte
	Issuer     string // "appydex"
	Audience   string // "appydex-admin"
	AccessTTL  time.Duration
	RefreshTTL time.Duration
	Now        func() time.Time
}

// ErrTokenInvalid is any token that fails a check: signature, algorithm,
// issuer, audience, expiry, type.
var ErrTokenInvalid = errors.New("token invalid")

// IssueAccess signs an access token for a user.
func (t *Tokens) IssueAccess(userID string, roles []string) (token string, expires time.Time, err error) {
	now := t.Now()
	expires = now.Add(t.AccessTTL)
	token, err = t.sign(Claims{Type: Access, Roles: roles, RegisteredClaims: t.registered(userID, uuid.NewString(), now, expires)})
	return token, expires, err
}

// IssueRefresh signs a refresh token with its jti and absolute expiry.
func (t *Tokens) IssueRefresh(userID, jti string, expires time.Time) (string, error) {
	return t.sign(Claims{Type: Refresh, RegisteredClaims: t.registered(userID, jti, t.Now(), expires)})
}

func (t *Tokens) registered(subject, jti string, now, expires time.Time) jwt.RegisteredClaims {
	return jwt.RegisteredClaims{
		Issuer: t.Issuer, Audience: jwt.ClaimStrings{t.Audience}, Subject: subject, ID: jti,
		IssuedAt: jwt.NewNumericDate(now), NotBefore: jwt.NewNumericDate(now), ExpiresAt: jwt.NewNumericDate(expires),
	}
}

func (t *Tokens) sign(c Claims) (string, error) {
	return jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString(t.Secret)
}

// Parse checks a token — HS256 only (the algorithm is pinned: "none" and
// RS/HS confusion are refused), issuer, audience, expiry, and its type —
// and returns its claims.
func (t *Tokens) Parse(token string, want TokenType) (*Claims, error) {
	claims := &Claims{}
	_, err := jwt.ParseWithClaims(token, claims, func(*jwt.Token) (any, error) { return t.Secret, nil },
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
		jwt.WithIssuer(t.Issuer), jwt.WithAudience(t.Audience),
		jwt.WithExpirationRequired(), jwt.WithIssuedAt(), jwt.WithTimeFunc(t.Now))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrTokenInvalid, err)
	}
	if claims.Type != want {
		return nil, fmt.Errorf("%w: a %q token where a %q token belongs", ErrTokenInvalid, claims.Type, want)
	}
	if claims.Subject == "" || claims.ID == "" {
		return nil, fmt.Errorf("%w: no subject or jti", ErrTokenInvalid)
	}
	return claims, nil
}

// HashToken is what the database stores of a refresh token: its SHA-256,
// in hex. The token itself is never stored.
func HashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}
