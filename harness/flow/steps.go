package flow

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

func (r *runner) credentials() map[string]string {
	return map[string]string{"email_or_phone": r.cfg.Email, "password": r.cfg.Password, "otp": r.cfg.OTP}
}

func (r *runner) health(ctx context.Context) {
	r.step("health", func(s *Step) {
		if resp := r.do(ctx, s, request{method: "GET", path: r.cfg.Paths.Healthz}); resp != nil {
			s.expect(resp, "the process is up (200)", resp.status == 200, "status %d: %s", resp.status, resp.body)
		}
	})
}

func (r *runner) openAPI(ctx context.Context) {
	r.step("openapi", func(s *Step) {
		resp := r.do(ctx, s, request{method: "GET", path: r.cfg.Paths.OpenAPI})
		if resp == nil || !s.expect(resp, "the document is served (200)", resp.status == 200, "status %d", resp.status) {
			return
		}
		router, err := loadDocument(ctx, resp.body)
		if s.expect(resp, "the document is valid OpenAPI 3", err == nil, "%v", err) {
			r.router = router // every later response is checked against it
		}
	})
}

func (r *runner) ready(ctx context.Context) {
	r.step("ready", func(s *Step) {
		if resp := r.do(ctx, s, request{method: "GET", path: r.cfg.Paths.Readyz}); resp != nil {
			s.expect(resp, "the database answers and its schema matches the model (200)", resp.status == 200, "status %d: %s", resp.status, resp.body)
		}
	})
}

func (r *runner) login(ctx context.Context) bool {
	s := r.step("login", func(s *Step) {
		resp := r.do(ctx, s, request{method: "POST", path: r.cfg.Paths.Login, body: r.credentials()})
		if resp == nil {
			return
		}
		if !s.expect(resp, "signed in (200)", resp.status == 200, "status %d: %s", resp.status, resp.body) {
			return
		}
		r.access, r.refreshToken, r.userID = r.pair(s, resp)
		user, _ := resp.json()["user"].(map[string]any)
		email, _ := user["email"].(string)
		s.expect(resp, "user.email is the account's", strings.EqualFold(email, r.cfg.Email) || user["phone"] == r.cfg.Email,
			"user.email %q, signed in as %q", email, r.cfg.Email)
		s.expect(resp, "the answer holds no password, hash or secret", !leaks(resp.body, r.cfg.Password), "body: %s", resp.body)
	})
	return s.Passed && r.refreshToken != ""
}

// pair checks a token pair answer and returns its tokens and user id.
func (r *runner) pair(s *Step, resp *response) (access, refresh, userID string) {
	body := resp.json()
	access, _ = body["access_token"].(string)
	refresh, _ = body["refresh_token"].(string)
	user, _ := body["user"].(map[string]any)
	userID, _ = user["id"].(string)
	s.expect(resp, "token_type is bearer", body["token_type"] == "bearer", "token_type %v", body["token_type"])
	expiresIn, _ := body["expires_in"].(float64)
	s.expect(resp, "expires_in is positive", expiresIn > 0, "expires_in %v", body["expires_in"])
	s.expect(resp, "an access token, a refresh token, and they differ", access != "" && refresh != "" && access != refresh,
		"access %q, refresh %q", abbrev(access), abbrev(refresh))
	s.expect(resp, "user.id is set", userID != "", "user %v", user)
	return access, refresh, userID
}

func (r *runner) me(ctx context.Context) {
	r.step("me", func(s *Step) {
		resp := r.do(ctx, s, request{method: "GET", path: r.cfg.Paths.Me, header: map[string]string{"Authorization": "Bearer " + r.access}})
		if resp == nil || !s.expect(resp, "the access token works (200)", resp.status == 200, "status %d: %s", resp.status, resp.body) {
			return
		}
		s.expect(resp, "it is the signed-in user", resp.json()["id"] == r.userID, "id %v, signed in as %s", resp.json()["id"], r.userID)
		refresh := r.do(ctx, s, request{method: "GET", path: r.cfg.Paths.Me, header: map[string]string{"Authorization": "Bearer " + r.refreshToken}})
		if refresh != nil {
			s.expect(refresh, "a refresh token is no access token (401)", refresh.status == 401, "status %d: %s", refresh.status, refresh.body)
		}
	})
}

// storedRow checks the row login wrote.
func (r *runner) storedRow(ctx context.Context) {
	if r.db == nil {
		return
	}
	r.step("stored token row", func(s *Step) {
		var jti, ua, ip string
		var expires time.Time
		var revoked bool
		var familyID string
		err := r.db.QueryRow(ctx, `SELECT jti, coalesce(user_agent, ''), coalesce(ip_address, ''), expires_at, revoked, family_id::text
			FROM refresh_tokens WHERE token_hash = $1`, sha256Hex(r.refreshToken)).Scan(&jti, &ua, &ip, &expires, &revoked, &familyID)
		if !s.check("a row whose token_hash is the SHA-256 of the refresh token", err == nil, "%v", err) {
			return
		}
		s.check("its jti is the token's", jti == jtiOf(r.refreshToken), "row jti %q, token jti %q", jti, jtiOf(r.refreshToken))
		s.check("expires_at is in the future", expires.After(time.Now()), "expires_at %s", expires)
		s.check("it is live", !revoked, "revoked")
		s.check("user_agent is the client's", ua == r.cfg.UserAgent, "user_agent %q, sent %q", ua, r.cfg.UserAgent)
		s.check("ip_address is an IP address", net.ParseIP(ip) != nil, "ip_address %q", ip)
		var copies int
		err = r.db.QueryRow(ctx, `SELECT count(*) FROM refresh_tokens t WHERE strpos(t::text, $1) > 0`, r.refreshToken).Scan(&copies)
		s.check("the token's plaintext appears nowhere in the table", err == nil && copies == 0, "%d rows hold it (%v)", copies, err)
	})
}

func (r *runner) refresh(ctx context.Context) {
	r.step("refresh", func(s *Step) {
		resp := r.do(ctx, s, request{method: "POST", path: r.cfg.Paths.Refresh, body: map[string]string{"refresh_token": r.refreshToken}})
		if resp == nil || !s.expect(resp, "a new pair (200)", resp.status == 200, "status %d: %s", resp.status, resp.body) {
			return
		}
		var userID string
		_, r.rotatedToken, userID = r.pair(s, resp)
		s.expect(resp, "a new refresh token", r.rotatedToken != r.refreshToken, "the same token came back")
		s.expect(resp, "for the same user", userID == r.userID, "user %s, signed in as %s", userID, r.userID)
		if r.db == nil {
			return
		}
		var revoked, used bool
		var oldID, oldFamily string
		var oldExpires time.Time
		err := r.db.QueryRow(ctx, `SELECT id::text, family_id::text, expires_at, revoked AND revoked_at IS NOT NULL, last_used_at IS NOT NULL
			FROM refresh_tokens WHERE token_hash = $1`, sha256Hex(r.refreshToken)).Scan(&oldID, &oldFamily, &oldExpires, &revoked, &used)
		if s.check("the old row is still there", err == nil, "%v", err) {
			s.check("the old token is revoked, with revoked_at", revoked, "not revoked")
			s.check("its last_used_at is set", used, "last_used_at is null")
		}
		var parent, family string
		var expires time.Time
		err = r.db.QueryRow(ctx, `SELECT coalesce(parent_id::text, ''), family_id::text, expires_at FROM refresh_tokens WHERE token_hash = $1`,
			sha256Hex(r.rotatedToken)).Scan(&parent, &family, &expires)
		if s.check("the new token is stored by its hash", err == nil, "%v", err) {
			s.check("its parent is the old token", parent == oldID, "parent %q, old %q", parent, oldID)
			s.check("it keeps the family", family == oldFamily, "family %s, old %s", family, oldFamily)
			s.check("it keeps the family's absolute expiry", expires.Equal(oldExpires), "expires %s, old %s", expires, oldExpires)
		}
	})
}

func (r *runner) reuse(ctx context.Context) {
	if r.rotatedToken == "" {
		return
	}
	r.step("reuse", func(s *Step) {
		resp := r.do(ctx, s, request{method: "POST", path: r.cfg.Paths.Refresh, body: map[string]string{"refresh_token": r.refreshToken}})
		if resp == nil {
			return
		}
		s.expect(resp, "a rotated token is refused (401)", resp.status == 401, "status %d: %s", resp.status, resp.body)
		s.expect(resp, "as TOKEN_REUSED", resp.json()["code"] == "TOKEN_REUSED", "code %v", resp.json()["code"])
		child := r.do(ctx, s, request{method: "POST", path: r.cfg.Paths.Refresh, body: map[string]string{"refresh_token": r.rotatedToken}})
		if child != nil {
			s.expect(child, "its family is revoked: the child is refused too (401)", child.status == 401, "status %d: %s", child.status, child.body)
		}
		if r.db != nil {
			var live int
			err := r.db.QueryRow(ctx, `SELECT count(*) FROM refresh_tokens WHERE NOT revoked
				AND family_id = (SELECT family_id FROM refresh_tokens WHERE token_hash = $1)`, sha256Hex(r.refreshToken)).Scan(&live)
			s.check("no live token is left in the family", err == nil && live == 0, "%d live (%v)", live, err)
		}
	})
}

func (r *runner) logout(ctx context.Context) {
	r.step("logout", func(s *Step) {
		resp := r.do(ctx, s, request{method: "POST", path: r.cfg.Paths.Login, body: r.credentials()})
		if resp == nil || !s.expect(resp, "a second session (200)", resp.status == 200, "status %d: %s", resp.status, resp.body) {
			return
		}
		token, _ := resp.json()["refresh_token"].(string)
		for i, what := range []string{"logout (204)", "logout again: idempotent (204)"} {
			out := r.do(ctx, s, request{method: "POST", path: r.cfg.Paths.Logout, body: map[string]string{"refresh_token": token}})
			if out == nil {
				continue
			}
			s.expect(out, what, out.status == 204, "status %d: %s", out.status, out.body)
			if i == 0 {
				s.main(len(s.Exchanges) - 1) // the step's main request is the logout, not the login before it
			}
		}
		after := r.do(ctx, s, request{method: "POST", path: r.cfg.Paths.Refresh, body: map[string]string{"refresh_token": token}})
		if after != nil {
			s.expect(after, "the logged-out token is refused (401)", after.status == 401, "status %d: %s", after.status, after.body)
		}
	})
}

// wrongCredentials: an unknown user, a wrong password and a wrong code get
// one identical answer, so none tells an attacker which part was wrong.
func (r *runner) wrongCredentials(ctx context.Context) {
	r.step("wrong credentials", func(s *Step) {
		wrongOTP := "123456"
		if r.cfg.OTP == wrongOTP {
			wrongOTP = "654321"
		}
		attempts := []struct {
			what string
			body map[string]string
		}{
			{"wrong password", map[string]string{"email_or_phone": r.cfg.Email, "password": r.cfg.Password + "-wrong", "otp": r.cfg.OTP}},
			{"wrong one-time code", map[string]string{"email_or_phone": r.cfg.Email, "password": r.cfg.Password, "otp": wrongOTP}},
			{"unknown user", map[string]string{"email_or_phone": "nobody-" + fmt.Sprint(time.Now().UnixNano()) + "@appydex.invalid", "password": r.cfg.Password, "otp": r.cfg.OTP}},
		}
		var first []byte
		for i, a := range attempts {
			resp := r.do(ctx, s, request{method: "POST", path: r.cfg.Paths.Login, body: a.body})
			if resp == nil {
				continue
			}
			s.expect(resp, a.what+": 401 INVALID_CREDENTIALS", resp.status == 401 && resp.json()["code"] == "INVALID_CREDENTIALS",
				"status %d: %s", resp.status, resp.body)
			if i == 0 {
				first = resp.body
			} else {
				s.expect(resp, a.what+": the same body as a wrong password", string(resp.body) == string(first), "%s vs %s", resp.body, first)
			}
		}
	})
}

// malformed: bad requests get a 4xx in the error envelope, never a 5xx.
func (r *runner) malformed(ctx context.Context) {
	r.step("malformed requests", func(s *Step) {
		login, refresh := r.cfg.Paths.Login, r.cfg.Paths.Refresh
		cases := []struct {
			what string
			req  request
			want int
		}{
			{"not JSON", request{method: "POST", path: login, body: "email_or_phone=admin", contentType: "application/x-www-form-urlencoded"}, 415},
			{"broken JSON", request{method: "POST", path: login, body: `{"email_or_phone":`}, 422},
			{"a JSON array", request{method: "POST", path: login, body: `[1,2,3]`}, 422},
			{"no fields", request{method: "POST", path: login, body: `{}`}, 422},
			{"fields of the wrong type", request{method: "POST", path: login, body: `{"email_or_phone":5,"password":true,"otp":["0"]}`}, 422},
			{"a NUL character", request{method: "POST", path: login, body: `{"email_or_phone":"a\u0000b","password":"x","otp":"0"}`}, 422},
			{"a body over 64 KiB", request{method: "POST", path: login, body: `{"email_or_phone":"` + strings.Repeat("a", 70<<10) + `"}`}, 413},
			{"a refresh token that is no token", request{method: "POST", path: refresh, body: `{"refresh_token":"not.a.jwt"}`}, 401},
			{"me without a token", request{method: "GET", path: r.cfg.Paths.Me}, 401},
		}
		for _, c := range cases {
			resp := r.do(ctx, s, c.req)
			if resp == nil {
				continue
			}
			body := resp.json()
			_, hasCode := body["code"].(string)
			_, hasMessage := body["message"].(string)
			_, hasDetails := body["details"].(map[string]any)
			s.expect(resp, fmt.Sprintf("%s: %d in the error envelope", c.what, c.want),
				resp.status == c.want && hasCode && hasMessage && hasDetails, "status %d: %.200s", resp.status, resp.body)
		}
	})
}

func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// jtiOf reads a JWT's jti without checking its signature: the flow does not
// know the API's key, and only compares the claim with the stored row.
func jtiOf(token string) string {
	claims := jwt.RegisteredClaims{}
	if _, _, err := jwt.NewParser().ParseUnverified(token, &claims); err != nil {
		return ""
	}
	return claims.ID
}

// leaks reports whether a body holds the password or a field named like a
// hash or a secret.
func leaks(body []byte, password string) bool {
	lower := strings.ToLower(string(body))
	return strings.Contains(string(body), password) || strings.Contains(lower, "password") ||
		strings.Contains(lower, "secret") || strings.Contains(lower, "hash")
}

func abbrev(s string) string {
	if len(s) > 12 {
		return s[:12] + "…"
	}
	return s
}
