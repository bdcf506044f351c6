package flow

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// reuse presents the first session's first token again, long rotated: the
// API must see a stolen token's replay and end the whole session.
func (r *runner) reuse(ctx context.Context) {
	if len(r.a.refresh) < 2 {
		r.skip(StepReuse, "it needs a token the refresh step rotated away, and the refresh failed")
		return
	}
	r.step(StepReuse, func(s *Step) {
		resp := r.do(ctx, s, request{method: "POST", path: r.cfg.Paths.Refresh, body: map[string]string{"refresh_token": r.a.refresh[0]}})
		if resp == nil {
			return
		}
		if resp.status == 200 {
			r.opened(s, resp)
		}
		s.expect(resp, Revocation, "a rotated token is refused (401)", resp.status == 401, "status %d: %s", resp.status, resp.body)
		s.expect(resp, Revocation, "as TOKEN_REUSED", resp.errorCode() == "TOKEN_REUSED", "code %q", resp.errorCode())
		newest := r.do(ctx, s, request{method: "POST", path: r.cfg.Paths.Refresh, body: map[string]string{"refresh_token": r.a.newest()}})
		if newest != nil {
			if newest.status == 200 {
				r.opened(s, newest)
			}
			s.expect(newest, Revocation, "the session is over: its newest token is refused too (401)", newest.status == 401,
				"status %d: %s", newest.status, newest.body)
		}
		r.allRevoked(ctx, s, r.a, "after reuse detection")
	})
}

// allRevoked checks that every token of sess is revoked, with revoked_at,
// and that no revoked row of the user lacks revoked_at.
func (r *runner) allRevoked(ctx context.Context, s *Step, sess *session, when string) {
	if r.db == nil {
		return
	}
	keys := r.keys(sess.refresh)
	if len(keys) == 0 {
		return // no token's row can be found: storedRow said why
	}
	var live, noDate int
	var err error
	for col, keys := range keys {
		var l, n int
		err = errors.Join(err, r.db.QueryRow(ctx, fmt.Sprintf(`SELECT count(*) FILTER (WHERE NOT revoked), count(*) FILTER (WHERE revoked AND revoked_at IS NULL)
			FROM refresh_tokens WHERE %s = ANY($1)`, col), keys).Scan(&l, &n))
		live, noDate = live+l, noDate+n
	}
	s.check(Revocation, when+", no token of the session is live", err == nil && live == 0, "%d of %d live (%v)", live, len(sess.refresh), err)
	s.check(Revocation, when+", every revoked token has revoked_at", err == nil && noDate == 0, "%d without (%v)", noDate, err)
	var undated int
	err = r.db.QueryRow(ctx, "SELECT count(*) FROM refresh_tokens WHERE user_id::text = $1 AND revoked AND revoked_at IS NULL",
		r.userID).Scan(&undated)
	s.check(Revocation, when+", no revoked row of the user lacks revoked_at", err == nil && undated == 0, "%d rows (%v)", undated, err)
}

// logout opens a second session, rotates it, and logs out with the token
// that was rotated: the whole session must end, the child with it.
func (r *runner) logout(ctx context.Context) {
	r.step(StepLogout, func(s *Step) {
		resp, sess := r.signIn(ctx, s)
		if resp == nil || !s.expect(resp, Contract, "a second session (200)", resp.status == 200, "status %d: %s", resp.status, resp.body) || sess == nil {
			return
		}
		rotated := r.do(ctx, s, request{method: "POST", path: r.cfg.Paths.Refresh, body: map[string]string{"refresh_token": sess.refresh[0]}})
		if rotated == nil || !s.expect(rotated, Contract, "its token rotates (200)", rotated.status == 200, "status %d: %s", rotated.status, rotated.body) {
			return
		}
		access, child, _ := r.pair(s, rotated)
		if child == "" {
			return
		}
		sess.access, sess.refresh = access, append(sess.refresh, child)

		out := r.do(ctx, s, request{method: "POST", path: r.cfg.Paths.Logout, body: map[string]string{"refresh_token": sess.refresh[0]}})
		if out != nil {
			s.main(len(s.Exchanges) - 1) // the step's main request is the logout
			s.expect(out, Revocation, "logout with the rotated token (204)", out.status == 204, "status %d: %s", out.status, out.body)
		}
		after := r.do(ctx, s, request{method: "POST", path: r.cfg.Paths.Refresh, body: map[string]string{"refresh_token": child}})
		if after != nil {
			if after.status == 200 {
				r.opened(s, after)
			}
			s.expect(after, Revocation, "the session is over: the newer token is refused (401)", after.status == 401,
				"status %d: %s", after.status, after.body)
		}
		again := r.do(ctx, s, request{method: "POST", path: r.cfg.Paths.Logout, body: map[string]string{"refresh_token": child}})
		if again != nil {
			s.expect(again, Contract, "logout again: idempotent (204)", again.status == 204, "status %d: %s", again.status, again.body)
		}
		r.allRevoked(ctx, s, sess, "after logout")
	})
}

// expired lets a third session's access token, then its refresh token,
// expire, and proves each refused.
func (r *runner) expired(ctx context.Context) {
	short := r.cfg.Expiry
	if !r.cfg.ProveExpiry && short == nil {
		why := r.cfg.NoExpiry
		if why == "" {
			why = "the deployment's clock cannot be moved, and its lifetimes are too long to wait out"
		}
		r.skip(StepExpired, why)
		return
	}
	base, wait := "", r.wait
	if short != nil {
		// An instance started with lifetimes of seconds: its clock is not
		// the flow's to move, so they are waited out.
		base, wait = short.BaseURL, sleepFor
	}
	r.step(StepExpired, func(s *Step) {
		resp, sess := r.signInAt(ctx, s, base)
		if resp == nil || !s.expect(resp, Contract, "a third session (200)", resp.status == 200, "status %d: %s", resp.status, resp.body) || sess == nil {
			return
		}
		access, refresh := readClaims(sess.access), readClaims(sess.refresh[0])
		if !s.check(Expiry, "both tokens state iat and exp", access.hasIssued && access.hasExpiry && refresh.hasIssued && refresh.hasExpiry,
			"access %v, refresh %v", access.hasExpiry, refresh.hasExpiry) {
			return
		}
		if short != nil {
			s.expect(resp, Expiry, fmt.Sprintf("expires_in is the access lifetime it was started with (%s)", short.AccessTTL),
				sess.expiresIn == short.AccessTTL.Seconds(), "expires_in %v s", sess.expiresIn)
			s.check(Expiry, fmt.Sprintf("the access token lives the lifetime it was started with (%s)", short.AccessTTL),
				access.lifetime() == short.AccessTTL, "exp − iat = %s", access.lifetime())
			if !s.check(Expiry, fmt.Sprintf("the refresh token lives the lifetime it was started with (%s)", short.RefreshTTL),
				refresh.lifetime() == short.RefreshTTL, "exp − iat = %s: the backend does not take the lifetime it is given", refresh.lifetime()) {
				return // a lifetime it does not take may be days: not waited out
			}
		}
		if r.cfg.Wait == nil && short == nil && refresh.lifetime() > 2*time.Minute {
			s.check(Expiry, "the lifetimes can be waited out", false,
				"a refresh token lives %s: set lifetimes of seconds, or a Wait that moves the deployment's clock", refresh.lifetime())
			return
		}
		if !s.check(Expiry, "the access token's lifetime passes", wait(ctx, access.lifetime()+time.Second) == nil, "interrupted") {
			return
		}
		if me := r.do(ctx, s, request{method: "GET", base: base, path: r.cfg.Paths.Me, header: bearer(sess.access)}); me != nil {
			refusedInEnvelope(s, me, Expiry, "an expired access token")
		}
		if !s.check(Expiry, "the refresh token's lifetime passes", wait(ctx, refresh.lifetime()-access.lifetime()) == nil, "interrupted") {
			return
		}
		late := r.do(ctx, s, request{method: "POST", base: base, path: r.cfg.Paths.Refresh, body: map[string]string{"refresh_token": sess.refresh[0]}})
		if late != nil {
			if late.status == 200 {
				r.opened(s, late)
			}
			refusedInEnvelope(s, late, Expiry, "an expired refresh token")
		}
	})
}

// wrongCredentials: an unknown user, a wrong password, a wrong code and an
// inactive account get one identical answer, so none tells an attacker
// which part was wrong, or that an account exists.
func (r *runner) wrongCredentials(ctx context.Context) {
	r.step(StepWrongCredentials, func(s *Step) {
		code := r.codes.spent() // a wrong password is refused whatever the code
		wrongCode := "123456"
		if code == wrongCode {
			wrongCode = "654321"
		}
		attempts := []struct {
			what string
			body map[string]string
		}{
			{"wrong password", credentials(r.cfg.Email, r.cfg.Password+"-wrong", code)},
			{"wrong one-time code", credentials(r.cfg.Email, r.cfg.Password, wrongCode)},
			{"unknown user", credentials("nobody-"+fmt.Sprint(time.Now().UnixNano())+"@appydex.invalid", r.cfg.Password, code)},
		}
		if r.cfg.InactiveEmail != "" {
			attempts = append(attempts, struct {
				what string
				body map[string]string
			}{"inactive account", credentials(r.cfg.InactiveEmail, r.cfg.InactivePassword, code)})
		}
		// None of them depends on another, nor spends a fresh one-time
		// code: they are sent at once, and judged in this order.
		reqs := make([]request, len(attempts))
		for i, a := range attempts {
			reqs[i] = request{method: "POST", path: r.cfg.Paths.Login, body: a.body}
		}
		answers := r.doAll(ctx, s, reqs)
		var first []byte
		for i, a := range attempts {
			resp := answers[i]
			if resp == nil {
				continue
			}
			if resp.status == 200 {
				r.opened(s, resp)
			}
			s.expect(resp, Accounts, a.what+": 401 INVALID_CREDENTIALS", resp.status == 401 && resp.errorCode() == "INVALID_CREDENTIALS",
				"status %d: %s", resp.status, resp.body)
			if i == 0 {
				first = resp.body
			} else {
				s.expect(resp, Accounts, a.what+": the very answer a wrong password gets", string(resp.body) == string(first),
					"%s vs %s", resp.body, first)
			}
		}
	})
}

// malformed: bad requests get a 4xx in the error envelope, never a 5xx.
func (r *runner) malformed(ctx context.Context) {
	r.step(StepMalformed, func(s *Step) {
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
			s.expect(resp, Contract, fmt.Sprintf("%s: %d in the error envelope", c.what, c.want),
				resp.status == c.want && hasCode && hasMessage && hasDetails, "status %d: %.200s", resp.status, resp.body)
		}
	})
}

// signOut logs out of every session the flow opened, whatever happened
// before, and checks that none of its tokens is still live.
func (r *runner) signOut(ctx context.Context) {
	if len(r.sessions) == 0 {
		r.skip(StepSignOut, "the flow opened no session")
		return
	}
	r.step(StepSignOut, func(s *Step) {
		var tokens []string
		for i, sess := range r.sessions {
			resp := r.do(ctx, s, request{method: "POST", path: r.cfg.Paths.Logout, body: map[string]string{"refresh_token": sess.newest()}})
			if resp != nil {
				// 401: the token had expired or was refused: the session is over either way.
				s.expect(resp, Sessions, fmt.Sprintf("session %d signed out (204, or 401 for a session already over)", i+1),
					resp.status == 204 || resp.status == 401, "status %d: %s", resp.status, resp.body)
			}
			for k, t := range sess.spare {
				resp := r.do(ctx, s, request{method: "POST", path: r.cfg.Paths.Logout, body: map[string]string{"refresh_token": t}})
				if resp != nil {
					s.expect(resp, Sessions, fmt.Sprintf("session %d's extra race winner %d signed out too (204, or 401 if already over)", i+1, k+1),
						resp.status == 204 || resp.status == 401, "status %d: %s", resp.status, resp.body)
				}
			}
			tokens = append(tokens, sess.refresh...)
		}
		if r.db == nil {
			return
		}
		keys := r.keys(tokens)
		if len(keys) == 0 {
			return // no token's row can be found: storedRow said why
		}
		var live int
		var err error
		for col, keys := range keys {
			var n int
			err = errors.Join(err, r.db.QueryRow(ctx, fmt.Sprintf("SELECT count(*) FROM refresh_tokens WHERE %s = ANY($1) AND NOT revoked AND expires_at > now()", col),
				keys).Scan(&n))
			live += n
		}
		s.check(Sessions, "no token the flow was given is still live", err == nil && live == 0, "%d live (%v)", live, err)
	})
}
