package httpapi

import (
	"errors"
	"net/http"
	"strings"

	"github.com/appydex/smoke/app/auth"
	"github.com/appydex/smoke/app/store"
)

// refresh: POST /api/v1/auth/refresh {"refresh_token"} → a new pair. The
// presented token is revoked and its child keeps the family and the
// family's absolute expiry.
func (s *Server) refresh(w http.ResponseWriter, r *http.Request) *apiError {
	var token string
	if e := decode(w, r, map[string]field{"refresh_token": {&token, 4096}}); e != nil {
		return e
	}
	if _, err := s.Tokens.Parse(token, auth.Refresh); err != nil {
		return errTokenInvalid
	}
	ctx, cancel := s.dbContext(r)
	defer cancel()
	userAgent, ip := clientInfo(r)
	var child issued
	err := s.Store.Rotate(ctx, auth.HashToken(token), func(old store.Rotated) (store.NewRefreshToken, error) {
		var err error
		child, err = s.newRefresh(old.UserID, old.ExpiresAt) // rotation never extends the family's life
		child.row.UserAgent, child.row.IPAddress = userAgent, ip
		return child.row, err
	})
	switch {
	case errors.Is(err, store.ErrTokenReused):
		s.Log.Warn("refresh token reuse: family revoked", "path", r.URL.Path)
		return errTokenReused
	case errors.Is(err, store.ErrTokenInvalid):
		return errTokenInvalid
	case err != nil:
		return s.fail(r, "rotate refresh token", err)
	}
	u, err := s.Store.UserByID(ctx, child.row.UserID)
	if err != nil {
		return s.fail(r, "find user", err)
	}
	if !u.IsActive {
		return errTokenInvalid
	}
	return s.answerPair(w, r, u, child.token)
}

// logout: POST /api/v1/auth/logout {"refresh_token"} → 204, whether or not
// the session was still live: every token of its family is revoked.
func (s *Server) logout(w http.ResponseWriter, r *http.Request) *apiError {
	var token string
	if e := decode(w, r, map[string]field{"refresh_token": {&token, 4096}}); e != nil {
		return e
	}
	if _, err := s.Tokens.Parse(token, auth.Refresh); err != nil {
		// An expired token's session is over anyway; a forged one is not ours.
		if !strings.Contains(err.Error(), "expired") {
			return errTokenInvalid
		}
	}
	ctx, cancel := s.dbContext(r)
	defer cancel()
	if _, err := s.Store.RevokeFamily(ctx, auth.HashToken(token)); err != nil {
		return s.fail(r, "revoke token family", err)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// me: GET /api/v1/auth/me with Authorization: Bearer <access token>.
func (s *Server) me(w http.ResponseWriter, r *http.Request) *apiError {
	scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return errTokenInvalid
	}
	claims, err := s.Tokens.Parse(strings.TrimSpace(token), auth.Access)
	if err != nil {
		return errTokenInvalid
	}
	ctx, cancel := s.dbContext(r)
	defer cancel()
	u, err := s.Store.UserByID(ctx, claims.Subject)
	if errors.Is(err, store.ErrNotFound) {
		return errTokenInvalid
	}
	if err != nil {
		return s.fail(r, "find user", err)
	}
	if !u.IsActive {
		return errTokenInvalid
	}
	writeJSON(w, http.StatusOK, showUser(u))
	return nil
}
