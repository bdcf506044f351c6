package flow

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// claims are what the flow reads of a JWT, without checking its signature:
// it does not know the deployment's key, and only compares the claims with
// the answers and the stored rows.
type claims struct {
	ok                   bool
	jti                  string
	issuedAt, expires    time.Time
	hasIssued, hasExpiry bool
}

func readClaims(token string) claims {
	var c jwt.RegisteredClaims
	if _, _, err := jwt.NewParser().ParseUnverified(token, &c); err != nil {
		return claims{}
	}
	out := claims{ok: true, jti: c.ID}
	if c.IssuedAt != nil {
		out.issuedAt, out.hasIssued = c.IssuedAt.Time, true
	}
	if c.ExpiresAt != nil {
		out.expires, out.hasExpiry = c.ExpiresAt.Time, true
	}
	return out
}

// lifetime is exp − iat.
func (c claims) lifetime() time.Duration { return c.expires.Sub(c.issuedAt) }

// forgery is a token the deployment must refuse, made from a real one
// without knowing any secret.
type forgery struct {
	what  string
	token string
}

// forgeries of an access token: each keeps the real claims, so only the
// signature (or its absence) can give it away.
func forgeries(access string) []forgery {
	parts := strings.Split(access, ".")
	if len(parts) != 3 || len(parts[2]) < 2 {
		return []forgery{{"garbage", "not.a.jwt"}}
	}
	header, payload, sig := parts[0], parts[1], parts[2]

	// The first character of the signature carries six bits that all count
	// (the last one's padding bits may not): changing it changes the bytes.
	flipped := "A"
	if sig[0] == 'A' {
		flipped = "B"
	}
	tampered := header + "." + payload + "." + flipped + sig[1:]

	none := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","typ":"JWT"}`)) + "." + payload + "."

	var mapClaims jwt.MapClaims
	otherKey := "not.a.jwt"
	if _, _, err := jwt.NewParser().ParseUnverified(access, &mapClaims); err == nil {
		key := make([]byte, 32)
		_, _ = rand.Read(key)
		if signed, err := jwt.NewWithClaims(jwt.SigningMethodHS256, mapClaims).SignedString(key); err == nil {
			otherKey = signed
		}
	}
	return []forgery{
		{"an access token with a tampered signature", tampered},
		{`an access token with "alg": "none" and no signature`, none},
		{"an access token signed with another key", otherKey},
		{"a truncated access token", access[:len(access)-len(sig)/2]},
		{"garbage", "not.a.jwt"},
	}
}

func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}
