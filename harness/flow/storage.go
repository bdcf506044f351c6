package flow

// Where the database keeps a refresh token: its row, found by the value
// the backend derives (TokenHash), and whether any of the user's rows
// holds the token in the clear.

import (
	"context"
	"fmt"
	"strings"
)

// key is how the flow finds a refresh token's row: the column (as SQL:
// jti read as text, whatever its type — a uuid, a varchar) and the
// value; ok is false when it cannot (an opaque hash, and a token with no
// jti to find it by).
func (r *runner) key(token string) (column, value string, ok bool) {
	if r.cfg.TokenHash == TokenHashSHA256 {
		return "token_hash", sha256Hex(token), true
	}
	if c := readClaims(token); c.ok && c.jti != "" {
		return "jti::text", c.jti, true
	}
	return "", "", false
}

// keys are the columns and values of tokens' rows, grouped by column: the
// tokens whose rows cannot be found are left out.
func (r *runner) keys(tokens []string) map[string][]string {
	out := map[string][]string{}
	for _, t := range tokens {
		if col, v, ok := r.key(t); ok {
			out[col] = append(out[col], v)
		}
	}
	return out
}

// foundBy says how a token's row is found, for a check's words.
func (r *runner) foundBy() string {
	if r.cfg.TokenHash == TokenHashSHA256 {
		return "whose token_hash is the SHA-256 of the refresh token"
	}
	return "for the refresh token (found by its jti: token_hash is opaque)"
}

// whyNoRow says why a token's row was not found by its SHA-256, when a row
// has its jti: the token kept in the clear, or a hash of another kind.
func (r *runner) whyNoRow(ctx context.Context, token string) string {
	c := readClaims(token)
	if r.cfg.TokenHash != TokenHashSHA256 || !c.ok || c.jti == "" {
		return ""
	}
	var hash string
	if r.db.QueryRow(ctx, "SELECT coalesce(token_hash::text, '') FROM refresh_tokens WHERE jti::text = $1", c.jti).Scan(&hash) != nil {
		return ""
	}
	if part := clearPart(hash, token); part != "" {
		return "stored in the clear: the row with the token's jti holds " + part + " in token_hash"
	}
	return "the row with the token's jti holds another value in token_hash: a keyed or salted hash? Say so (token_hash: opaque in backend.yaml, --token-hash opaque for verify)"
}

// clearPart names what of token value is, when it is token or a part of
// a JWT one that identifies it (its payload, or its signature: with the
// row's user, jti and expiry the token is rebuilt from either); "" when
// it is neither.
func clearPart(value, token string) string {
	if value == token {
		return "the refresh token itself"
	}
	if parts := strings.Split(token, "."); len(parts) == 3 {
		switch value {
		case parts[1]:
			return "the token's payload"
		case parts[2]:
			return "the token's signature"
		}
	}
	return ""
}

// clearCopies counts the user's rows that hold token, or the payload or
// signature of a JWT one, in any column — a listed one or not (a "token"
// column beside token_hash is the classic slip). The rows' text is
// searched here, in memory, never printed; the token is never sent to the
// database, whose statement log would keep it.
func (r *runner) clearCopies(ctx context.Context, token string) (int, error) {
	needles := []string{token}
	if parts := strings.Split(token, "."); len(parts) == 3 {
		// The header is the same in every token: not a copy of this one.
		for _, p := range parts[1:] {
			if len(p) >= 16 {
				needles = append(needles, p)
			}
		}
	}
	rows, err := r.db.Query(ctx, `SELECT t::text FROM refresh_tokens t WHERE t.user_id::text = $1`, r.userID)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	copies := 0
	for rows.Next() {
		var row string
		if err := rows.Scan(&row); err != nil {
			return copies, err
		}
		for _, n := range needles {
			if strings.Contains(row, n) {
				copies++
				break
			}
		}
	}
	return copies, rows.Err()
}

// notInTheClear checks that none of the user's rows holds token.
func (r *runner) notInTheClear(ctx context.Context, s *Step, token string) {
	copies, err := r.clearCopies(ctx, token)
	if err != nil {
		s.check(Storage, "the refresh token is not stored in the clear (in no column of the user's rows, nor its JWT parts)", false,
			"the user's rows could not be read: %v", err)
		return
	}
	s.check(Storage, "the refresh token is not stored in the clear (in no column of the user's rows, nor its JWT parts)", copies == 0,
		"stored in the clear: %d of the user's rows hold it", copies)
}

// oneRow checks that token has exactly one row, found by key.
func (r *runner) oneRow(ctx context.Context, s *Step, token, what string) {
	col, v, ok := r.key(token)
	if !ok {
		return
	}
	var n int
	err := r.db.QueryRow(ctx, fmt.Sprintf("SELECT count(*) FROM refresh_tokens WHERE %s = $1", col), v).Scan(&n)
	s.check(Storage, what+" has one row of its own", err == nil && n == 1, "%d rows (%v)", n, err)
}
