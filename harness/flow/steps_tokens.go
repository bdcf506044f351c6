package flow

import (
	"cmp"
	"context"
	"fmt"
	"net"
	"sort"
	"time"
)

// refusedInEnvelope checks that a token the API must not accept got a 401
// in the error envelope.
func refusedInEnvelope(s *Step, resp *response, class Class, what string) {
	s.expect(resp, class, what+" is refused (401, in the envelope)", resp.status == 401 && resp.errorCode() != "",
		"status %d: %.300s", resp.status, resp.body)
}

// forged: tokens the API did not sign, or signed for another use, are
// refused — made from the session's own tokens, with no secret of the
// deployment, so the check runs against any of them.
func (r *runner) forged(ctx context.Context) {
	r.step(StepForged, func(s *Step) {
		for _, f := range forgeries(r.a.access) {
			r.secret(f.token)
			if resp := r.do(ctx, s, request{method: "GET", path: r.cfg.Paths.Me, header: bearer(f.token)}); resp != nil {
				refusedInEnvelope(s, resp, Forgery, "GET me with "+f.what)
			}
		}
		if resp := r.do(ctx, s, request{method: "GET", path: r.cfg.Paths.Me, header: bearer(r.a.refresh[0])}); resp != nil {
			refusedInEnvelope(s, resp, Forgery, "a refresh token presented as an access token")
		}
		misused := []struct{ what, token string }{
			{"an access token presented to refresh", r.a.access},
			{"a truncated refresh token", truncated(r.a.refresh[0])},
			{"garbage presented to refresh", "not.a.jwt"},
		}
		for _, m := range misused {
			resp := r.do(ctx, s, request{method: "POST", path: r.cfg.Paths.Refresh, body: map[string]string{"refresh_token": m.token}})
			if resp == nil {
				continue
			}
			if resp.status == 200 {
				r.opened(s, resp) // a session the API should not have opened: sign out of it too
			}
			refusedInEnvelope(s, resp, Forgery, m.what)
		}
	})
}

// storedRow checks the row login wrote, reading only the columns the
// incident report lists — found by the value the backend derives from
// the token (TokenHash), or where it cannot be computed by the token's
// jti — and that no row keeps the token in the clear.
func (r *runner) storedRow(ctx context.Context) {
	token := r.a.refresh[0]
	col, key, ok := r.key(token)
	switch {
	case r.db == nil:
		r.skip(StepStoredRow, "no database to read the rows from: give the deployment's database URL")
		return
	case !ok:
		r.skip(StepStoredRow, "token_hash is opaque and the refresh token has no jti: nothing finds its row")
		return
	}
	r.step(StepStoredRow, func(s *Step) {
		var userID, jti, ua, ip, hash string
		var expires time.Time
		var revoked bool
		err := r.db.QueryRow(ctx, fmt.Sprintf(`SELECT user_id::text, coalesce(jti::text, ''), coalesce(user_agent, ''), coalesce(ip_address::text, ''),
			expires_at, revoked, coalesce(token_hash::text, '') FROM refresh_tokens WHERE %s = $1`, col), key).
			Scan(&userID, &jti, &ua, &ip, &expires, &revoked, &hash)
		detail := fmt.Sprint(err)
		if why := r.whyNoRow(ctx, token); err != nil && why != "" {
			detail = why
		}
		if !s.check(Storage, "a row "+r.foundBy(), err == nil, "%s", detail) {
			r.notInTheClear(ctx, s, token)
			return
		}
		r.oneRow(ctx, s, token, "the refresh token")
		s.check(Storage, "its token_hash is set, and is not the token nor a part of it", hash != "" && clearPart(hash, token) == "",
			"token_hash is %s", cmp.Or(clearPart(hash, token), "empty"))
		c := readClaims(token)
		s.check(Storage, "it is the signed-in user's", userID == r.userID, "user_id %s, signed in as %s", userID, r.userID)
		s.check(Storage, "its jti is the token's", c.ok && jti == c.jti, "row jti %q, token jti %q", jti, c.jti)
		s.check(Expiry, "its expires_at is the token's exp, to the second", c.hasExpiry && expires.Unix() == c.expires.Unix(),
			"expires_at %s, exp %s", expires.UTC(), c.expires.UTC())
		if r.cfg.RefreshTTL > 0 {
			s.check(Expiry, fmt.Sprintf("the session ends within the stated refresh lifetime (%s)", r.cfg.RefreshTTL),
				c.hasIssued && c.lifetime() > 0 && c.lifetime() <= r.cfg.RefreshTTL, "exp − iat = %s", c.lifetime())
		}
		s.check(Storage, "it is live", !revoked, "revoked")
		s.check(Storage, "user_agent is the client's", ua == r.cfg.UserAgent, "user_agent %q, sent %q", ua, r.cfg.UserAgent)
		s.check(Storage, "ip_address is an IP address", net.ParseIP(ip) != nil || parsesAsPrefix(ip), "ip_address %q", ip)
		r.notInTheClear(ctx, s, token)
	})
}

// truncated is a token cut short: its last eight characters gone, or half
// of a token too short for that.
func truncated(token string) string {
	if len(token) <= 16 {
		return token[:len(token)/2]
	}
	return token[:len(token)-8]
}

// parsesAsPrefix accepts an inet's text form, 10.0.0.1/32.
func parsesAsPrefix(s string) bool {
	_, _, err := net.ParseCIDR(s)
	return err == nil
}

// refresh rotates the first session's token, a second or more after login
// so that second-rounded timestamps cannot hide a sliding expiry.
func (r *runner) refresh(ctx context.Context) {
	r.step(StepRefresh, func(s *Step) {
		if !s.check(Contract, "a second passes before the refresh", r.wait(ctx, 1100*time.Millisecond) == nil, "interrupted") {
			return
		}
		parent := r.a.refresh[0]
		resp := r.do(ctx, s, request{method: "POST", path: r.cfg.Paths.Refresh, body: map[string]string{"refresh_token": parent}})
		if resp == nil || !s.expect(resp, Contract, "a new pair (200)", resp.status == 200, "status %d: %s", resp.status, resp.body) {
			return
		}
		access, child, userID := r.pair(s, resp)
		if child == "" {
			return
		}
		r.a.access, r.a.refresh = access, append(r.a.refresh, child)
		s.expect(resp, Rotation, "a new refresh token", child != parent, "the same token came back")
		s.expect(resp, Contract, "for the same user", userID == r.userID, "user %s, signed in as %s", userID, r.userID)
		pc, cc := readClaims(parent), readClaims(child)
		s.expect(resp, Expiry, "the new refresh token keeps the session's absolute expiry (exp)", cc.hasExpiry && cc.expires.Equal(pc.expires),
			"exp %s, the first token's %s: the session's end moved", cc.expires.UTC(), pc.expires.UTC())
		if r.db == nil {
			return
		}
		pcol, pkey, pok := r.key(parent)
		ccol, ckey, cok := r.key(child)
		if !pok || !cok {
			return // storedRow said why no row can be found
		}
		var revokedAt, used bool
		var oldExpires time.Time
		var oldHash string
		err := r.db.QueryRow(ctx, fmt.Sprintf(`SELECT expires_at, revoked AND revoked_at IS NOT NULL, last_used_at IS NOT NULL, coalesce(token_hash::text, '')
			FROM refresh_tokens WHERE %s = $1`, pcol), pkey).Scan(&oldExpires, &revokedAt, &used, &oldHash)
		if s.check(Storage, "the old row is still there", err == nil, "%v", err) {
			s.check(Rotation, "the old token is revoked, with revoked_at", revokedAt, "not revoked, or revoked_at is null")
			s.check(Revocation, "its last_used_at is written", used, "last_used_at is null")
		}
		var userOf, ua, ip, hash string
		var expires time.Time
		err = r.db.QueryRow(ctx, fmt.Sprintf(`SELECT user_id::text, expires_at, coalesce(user_agent, ''), coalesce(ip_address::text, ''), coalesce(token_hash::text, '')
			FROM refresh_tokens WHERE %s = $1`, ccol), ckey).Scan(&userOf, &expires, &ua, &ip, &hash)
		if s.check(Storage, "the new token has a row "+r.foundBy(), err == nil, "%v", err) {
			r.oneRow(ctx, s, child, "the new refresh token")
			what := clearPart(hash, child)
			switch {
			case hash == "":
				what = "empty"
			case hash == oldHash:
				what = "the old token's value"
			}
			s.check(Storage, "its token_hash is its own: not the old token's, not the token nor a part of it", what == "", "token_hash is %s", what)
			s.check(Storage, "for the same user", userOf == r.userID, "user_id %s, signed in as %s", userOf, r.userID)
			s.check(Expiry, "its expires_at is the first row's: rotation never extends a session", expires.Equal(oldExpires),
				"expires_at %s, the first row's %s", expires.UTC(), oldExpires.UTC())
			s.check(Storage, "it keeps the client's user_agent", ua == r.cfg.UserAgent, "user_agent %q, sent %q", ua, r.cfg.UserAgent)
			s.check(Storage, "it keeps an ip_address", net.ParseIP(ip) != nil || parsesAsPrefix(ip), "ip_address %q", ip)
		}
		r.notInTheClear(ctx, s, child)
	})
}

// race presents one refresh token Parallel times at once: exactly one may
// win.
func (r *runner) race(ctx context.Context) {
	if len(r.a.refresh) < 2 {
		r.skip(StepRace, "it needs the token the refresh step rotated to, and the refresh failed")
		return
	}
	r.step(StepRace, func(s *Step) {
		token := r.a.newest()
		before, countErr := r.rowsOfUser(ctx)
		reqs := make([]request, r.cfg.Parallel)
		for i := range reqs {
			reqs[i] = request{method: "POST", path: r.cfg.Paths.Refresh, body: map[string]string{"refresh_token": token}}
		}
		answers := r.sendAll(ctx, reqs)
		// Recorded winners first, then by status: the same outcome reads the same.
		sort.SliceStable(answers, func(i, j int) bool { return rank(answers[i].resp) < rank(answers[j].resp) })
		won, refused := 0, 0
		var children []string
		for _, a := range answers {
			resp := r.record(ctx, s, a)
			switch {
			case resp == nil:
			case resp.status == 200:
				won++
				if _, child, _ := r.pair(s, resp); child != "" {
					r.a.refresh = append(r.a.refresh, child)
					children = append(children, child)
				}
			case resp.status == 401:
				refused++
			}
		}
		if len(children) > 1 {
			// Each winner may be a live token of its own: sign-out ends
			// them all, not just the newest.
			r.a.spare = append(r.a.spare, children[:len(children)-1]...)
		}
		s.check(Rotation, fmt.Sprintf("%d refreshes of one token at once: exactly one wins (200)", r.cfg.Parallel), won == 1, "%d won", won)
		s.check(Rotation, "the others are refused (401)", refused == r.cfg.Parallel-1, "%d of %d refused", refused, r.cfg.Parallel-1)
		if r.db != nil && countErr == nil {
			after, err := r.rowsOfUser(ctx)
			s.check(Rotation, "the database holds exactly one new token", err == nil && after-before == 1,
				"%d new rows for the user (%v)", after-before, err)
		}
	})
}

// rank orders answers: a 200 first, then by status, no answer last.
func rank(resp *response) int {
	switch {
	case resp == nil:
		return 1000
	case resp.status == 200:
		return 0
	default:
		return resp.status
	}
}

// rowsOfUser counts the signed-in user's refresh_tokens rows.
func (r *runner) rowsOfUser(ctx context.Context) (int, error) {
	if r.db == nil {
		return 0, nil
	}
	var n int
	err := r.db.QueryRow(ctx, "SELECT count(*) FROM refresh_tokens WHERE user_id::text = $1", r.userID).Scan(&n)
	return n, err
}
