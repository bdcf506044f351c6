package auth_test

import (
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/pquerna/otp/totp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/appydex/smoke/app/auth"
)

// fast keeps unit tests quick; the API uses auth.OWASP.
var fast = auth.Argon2Params{MemoryKiB: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}

func TestPasswordHashRoundTrip(t *testing.T) {
	hash, err := auth.HashPassword("admin123!@#", fast)
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(hash, "$argon2id$v=19$m=64,t=1,p=1$"), hash)

	ok, err := auth.VerifyPassword("admin123!@#", hash)
	require.NoError(t, err)
	assert.True(t, ok)
	ok, err = auth.VerifyPassword("admin123!@", hash)
	require.NoError(t, err)
	assert.False(t, ok)

	other, err := auth.HashPassword("admin123!@#", fast)
	require.NoError(t, err)
	assert.NotEqual(t, hash, other, "every hash has its own salt")

	for _, bad := range []string{"", "plain", "$argon2i$v=19$m=64,t=1,p=1$c2FsdA$a2V5", "$argon2id$v=19$m=x$c2FsdA$a2V5"} {
		_, err := auth.VerifyPassword("x", bad)
		assert.ErrorIs(t, err, auth.ErrMalformedHash, "VerifyPassword(%q)", bad)
	}
}

func TestOWASPParameters(t *testing.T) {
	hash, err := auth.HashPassword("x", auth.OWASP)
	require.NoError(t, err)
	assert.Contains(t, hash, "$m=19456,t=2,p=1$")
}

func tokens(now time.Time) *auth.Tokens {
	return &auth.Tokens{Secret: []byte("0123456789abcdef0123456789abcdef"), Issuer: "appydex", Audience: "appydex-admin",
		AccessTTL: 15 * time.Minute, RefreshTTL: 7 * 24 * time.Hour, Now: func() time.Time { return now }}
}

func TestTokensKeepTheirTypeAndChecks(t *testing.T) {
	now := time.Now()
	tk := tokens(now)
	access, _, err := tk.IssueAccess("user-1", []string{"admin"})
	require.NoError(t, err)
	refresh, err := tk.IssueRefresh("user-1", "jti-1", now.Add(time.Hour))
	require.NoError(t, err)

	c, err := tk.Parse(access, auth.Access)
	require.NoError(t, err)
	assert.Equal(t, "user-1", c.Subject)
	assert.Equal(t, []string{"admin"}, c.Roles)
	c, err = tk.Parse(refresh, auth.Refresh)
	require.NoError(t, err)
	assert.Equal(t, "jti-1", c.ID)

	_, err = tk.Parse(refresh, auth.Access)
	assert.ErrorIs(t, err, auth.ErrTokenInvalid, "a refresh token is no access token")
	_, err = tk.Parse(access, auth.Refresh)
	assert.ErrorIs(t, err, auth.ErrTokenInvalid, "an access token is no refresh token")

	later := tokens(now.Add(16 * time.Minute))
	_, err = later.Parse(access, auth.Access)
	assert.ErrorIs(t, err, auth.ErrTokenInvalid, "expired")

	other := tokens(now)
	other.Audience = "someone-else"
	_, err = other.Parse(access, auth.Access)
	assert.ErrorIs(t, err, auth.ErrTokenInvalid, "audience")
	other = tokens(now)
	other.Secret = []byte("another secret, just as long......")
	_, err = other.Parse(access, auth.Access)
	assert.ErrorIs(t, err, auth.ErrTokenInvalid, "signature")
}

func TestTokensRefuseOtherAlgorithms(t *testing.T) {
	now := time.Now()
	tk := tokens(now)
	claims := auth.Claims{Type: auth.Access, RegisteredClaims: jwt.RegisteredClaims{
		Issuer: "appydex", Audience: jwt.ClaimStrings{"appydex-admin"}, Subject: "user-1", ID: "x",
		IssuedAt: jwt.NewNumericDate(now), ExpiresAt: jwt.NewNumericDate(now.Add(time.Minute))}}
	none, err := jwt.NewWithClaims(jwt.SigningMethodNone, claims).SignedString(jwt.UnsafeAllowNoneSignatureType)
	require.NoError(t, err)
	_, err = tk.Parse(none, auth.Access)
	assert.ErrorIs(t, err, auth.ErrTokenInvalid, `alg "none"`)
	hs512, err := jwt.NewWithClaims(jwt.SigningMethodHS512, claims).SignedString(tk.Secret)
	require.NoError(t, err)
	_, err = tk.Parse(hs512, auth.Access)
	assert.ErrorIs(t, err, auth.ErrTokenInvalid, "HS512 with the right secret is still not the pinned HS256")
}

func TestHashTokenIsSHA256Hex(t *testing.T) {
	assert.Equal(t, "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", auth.HashToken("test"))
}

func TestTOTPCodeWorksOncePerTimeStep(t *testing.T) {
	key, err := totp.Generate(totp.GenerateOpts{Issuer: "appydex", AccountName: "admin@appydex.local"})
	require.NoError(t, err)
	secret := key.Secret()
	now := time.Date(2026, 11, 26, 12, 0, 10, 0, time.UTC) // frozen: 10 s into a 30 s step
	o := &auth.OTP{Now: func() time.Time { return now }}

	code, err := totp.GenerateCode(secret, now)
	require.NoError(t, err)
	assert.True(t, o.Verify("u1", secret, code), "a fresh code")
	assert.False(t, o.Verify("u1", secret, code), "the same code again in its step: a replay")
	assert.True(t, o.Verify("u2", secret, code), "another user's use is their own")

	previous, err := totp.GenerateCode(secret, now.Add(-30*time.Second))
	require.NoError(t, err)
	assert.False(t, o.Verify("u1", secret, previous), "an older step once a newer one was used")

	now = now.Add(30 * time.Second)
	next, err := totp.GenerateCode(secret, now)
	require.NoError(t, err)
	assert.True(t, o.Verify("u1", secret, next), "the next step's code")
	assert.False(t, o.Verify("u1", secret, "000000"), "no static code unless configured")
	assert.False(t, o.Verify("u1", "", "123456"), "no secret, no code")
}

func TestDevOTPOnlyWhenConfigured(t *testing.T) {
	o := &auth.OTP{Now: time.Now}
	assert.False(t, o.Verify("u1", "", "000000"))
	o = &auth.OTP{Now: time.Now, DevCode: "000000"}
	assert.True(t, o.Verify("u1", "", "000000"))
	assert.True(t, o.Verify("u1", "", "000000"), "the development code is static")
	assert.False(t, o.Verify("u1", "", "000001"))
}
