package flow

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
)

func credentials(login, password, code string) map[string]string {
	return map[string]string{"email_or_phone": login, "password": password, "otp": code}
}

func (r *runner) health(ctx context.Context) {
	r.step(StepHealth, func(s *Step) {
		if resp := r.do(ctx, s, request{method: "GET", path: r.cfg.Paths.Healthz}); resp != nil {
			s.expect(resp, Contract, "the process is up (200)", resp.status == 200, "status %d: %s", resp.status, resp.body)
		}
	})
}

func (r *runner) openAPI(ctx context.Context) {
	r.step(StepOpenAPI, func(s *Step) {
		resp := r.do(ctx, s, request{method: "GET", path: r.cfg.Paths.OpenAPI})
		if resp == nil || !s.expect(resp, Contract, "the document is served (200)", resp.status == 200, "status %d", resp.status) {
			return
		}
		router, err := loadDocument(ctx, resp.body)
		if s.expect(resp, Contract, "the document is valid OpenAPI 3", err == nil, "%v", err) {
			r.router = router // every later response is checked against it
		}
	})
}

func (r *runner) ready(ctx context.Context) {
	r.step(StepReady, func(s *Step) {
		if resp := r.do(ctx, s, request{method: "GET", path: r.cfg.Paths.Readyz}); resp != nil {
			r.readyStatus = resp.status
			s.expect(resp, Readiness, "the database answers and its schema matches the model (200)", resp.status == 200,
				"status %d: %s", resp.status, resp.body)
		}
	})
}

// signIn posts the account's credentials with a fresh one-time code and,
// on a 200, checks the pair and opens a session. It returns the answer and
// the session (nil unless signed in).
func (r *runner) signIn(ctx context.Context, s *Step) (*response, *session) {
	return r.signInAt(ctx, s, "")
}

// signInAt is signIn at the API at base ("": Config.BaseURL).
func (r *runner) signInAt(ctx context.Context, s *Step, base string) (*response, *session) {
	code, err := r.codes.Next(ctx)
	if !s.check(OneTimeCode, "a one-time code for the sign-in", err == nil, "%v", err) {
		return nil, nil
	}
	resp := r.do(ctx, s, request{method: "POST", base: base, path: r.cfg.Paths.Login, body: credentials(r.cfg.Email, r.cfg.Password, code)})
	if resp == nil || resp.status != 200 {
		return resp, nil
	}
	return resp, r.opened(s, resp)
}

// opened records the session a 200 sign-in (or a refresh that should not
// have succeeded) answered, so that the flow signs out of it at the end.
func (r *runner) opened(s *Step, resp *response) *session {
	access, refresh, _ := r.pair(s, resp)
	if refresh == "" {
		return nil
	}
	sess := &session{access: access, refresh: []string{refresh}}
	sess.expiresIn, _ = resp.json()["expires_in"].(float64)
	r.sessions = append(r.sessions, sess)
	return sess
}

func (r *runner) login(ctx context.Context) bool {
	r.step(StepLogin, func(s *Step) {
		resp, sess := r.signIn(ctx, s)
		if resp == nil {
			return
		}
		if resp.status >= 500 && r.readyStatus == 200 {
			s.expect(resp, Readiness, "readiness covers what login needs", false,
				"/readyz answered 200 while login answered %d: readiness does not cover the schema", resp.status)
		}
		if !s.expect(resp, Contract, "signed in (200)", resp.status == 200, "status %d: %s", resp.status, resp.body) || sess == nil {
			return
		}
		r.a = sess
		user, _ := resp.json()["user"].(map[string]any)
		r.userID, _ = user["id"].(string)
		email, _ := user["email"].(string)
		s.expect(resp, Contract, "user.email is the account's", strings.EqualFold(email, r.cfg.Email) || user["phone"] == r.cfg.Email,
			"user.email %q, signed in as %q", email, r.cfg.Email)
		s.expect(resp, Storage, "the answer holds no password, hash or secret", !leaks(resp.body, r.cfg.Password), "body: %s", resp.body)
	})
	return r.a != nil // its tokens are in hand, whatever its checks said
}

// pair checks a token pair answer and returns its tokens and user id.
func (r *runner) pair(s *Step, resp *response) (access, refresh, userID string) {
	body := resp.json()
	access, _ = body["access_token"].(string)
	refresh, _ = body["refresh_token"].(string)
	r.secret(access)
	r.secret(refresh)
	user, _ := body["user"].(map[string]any)
	userID, _ = user["id"].(string)
	s.expect(resp, Contract, "token_type is bearer", body["token_type"] == "bearer", "token_type %v", body["token_type"])
	expiresIn, _ := body["expires_in"].(float64)
	s.expect(resp, Contract, "expires_in is positive", expiresIn > 0, "expires_in %v", body["expires_in"])
	if r.cfg.AccessTTL > 0 {
		s.expect(resp, Expiry, fmt.Sprintf("the access token lives no longer than the stated access lifetime (%s)", r.cfg.AccessTTL),
			expiresIn <= r.cfg.AccessTTL.Seconds(), "expires_in %v s", body["expires_in"])
	}
	s.expect(resp, Contract, "an access token, a refresh token, and they differ", access != "" && refresh != "" && access != refresh,
		"access %s, refresh %s", access, refresh)
	s.expect(resp, Contract, "user.id is set", userID != "", "user %v", user)
	c := readClaims(access)
	if s.expect(resp, Expiry, "the access token states iat and exp", c.ok && c.hasIssued && c.hasExpiry, "claims of %s", access) {
		s.expect(resp, Expiry, "the access token lives exactly expires_in (exp − iat)", c.lifetime().Seconds() == expiresIn,
			"exp − iat = %s, expires_in = %v s", c.lifetime(), expiresIn)
	}
	return access, refresh, userID
}

func (r *runner) codeReplay(ctx context.Context) {
	if r.cfg.TOTPSecret == "" {
		r.skip(StepCodeReplay, "the account's one-time code is a fixed one, not a TOTP secret's: no code is spent, so none can be replayed")
		return
	}
	r.step(StepCodeReplay, func(s *Step) {
		resp := r.do(ctx, s, request{method: "POST", path: r.cfg.Paths.Login, body: credentials(r.cfg.Email, r.cfg.Password, r.codes.spent())})
		if resp == nil {
			return
		}
		if resp.status == 200 {
			r.opened(s, resp)
		}
		s.expect(resp, OneTimeCode, "a spent one-time code is refused (401)", resp.status == 401, "status %d: %s", resp.status, resp.body)
	})
}

func (r *runner) me(ctx context.Context) {
	r.step(StepMe, func(s *Step) {
		resp := r.do(ctx, s, request{method: "GET", path: r.cfg.Paths.Me, header: bearer(r.a.access)})
		if resp == nil || !s.expect(resp, Contract, "the access token works (200)", resp.status == 200, "status %d: %s", resp.status, resp.body) {
			return
		}
		s.expect(resp, Contract, "it is the signed-in user", resp.json()["id"] == r.userID, "id %v, signed in as %s", resp.json()["id"], r.userID)
	})
}

// leaks reports whether a sign-in answer holds the password, or a field
// named like a hash or a secret, anywhere but in its two tokens (whose
// random base64 could spell "hash" by chance).
func leaks(body []byte, password string) bool {
	var v map[string]any
	if json.Unmarshal(body, &v) == nil {
		delete(v, "access_token")
		delete(v, "refresh_token")
		body, _ = json.Marshal(v)
	}
	lower := strings.ToLower(string(body))
	return strings.Contains(string(body), password) || strings.Contains(lower, "password") ||
		strings.Contains(lower, "secret") || strings.Contains(lower, "hash")
}
