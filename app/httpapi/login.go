package httpapi

import (
	"errors"
	"net/http"
	"time"

	"github.com/google/uuid"

	"github.com/appydex/smoke/app/auth"
	"github.com/appydex/smoke/app/store"
)

// userBody is a user as the API shows it: never a hash or a secret.
type userBody struct {
	ID        string    `json:"id"`
	Email     *string   `json:"email"`
	Phone     *string   `json:"phone"`
	Roles     []string  `json:"roles"`
	IsActive  bool      `json:"is_active"`
	CreatedAt time.Time `json:"created_at"`
}

func showUser(u *store.User) userBody {
	roles := u.Roles
	if roles == nil {
		roles = []string{}
	}
	return userBody{ID: u.ID, Email: u.Email, Phone: u.Phone, Roles: roles, IsActive: u.IsActive, CreatedAt: u.CreatedAt}
}

type tokenPair struct {
	AccessToken  string   `json:"access_token"`
	RefreshToken string   `json:"refresh_token"`
	TokenType    string   `json:"token_type"`
	ExpiresIn    int      `json:"expires_in"`
	User         userBody `json:"user"`
}

// login: POST /api/v1/auth/login {"email_or_phone","password","otp"}. An
// unknown user, a wrong password, a wrong code and an inactive user all get
// one identical answer.
func (s *Server) login(w http.ResponseWriter, r *http.Request) *apiError {
	var login, password, code string
	if e := decode(w, r, map[string]field{
		"email_or_phone": {&login, 255}, "password": {&password, 1024}, "otp": {&code, 16},
	}); e != nil {
		return e
	}
	// Each database step has its own deadline, started when it starts: a
	// password check's wait for its turn is not the database's time.
	ctx, cancel := s.dbContext(r)
	u, err := s.Store.UserByLogin(ctx, login)
	cancel()
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return s.fail(r, "find user", err)
	}
	hash := s.dummyHash // an unknown user takes as long to refuse as a wrong password
	if u != nil {
		hash = u.PasswordHash
	}
	ok, err := s.Hashes.Verify(r.Context(), password, hash)
	if r.Context().Err() != nil {
		// The client left while its sign-in waited its turn: nobody reads
		// the answer, and nothing went wrong here.
		s.Log.Info("client left while its password check waited", "method", r.Method, "path", r.URL.Path)
		return errUnavailable
	}
	if errors.Is(err, auth.ErrBusy) {
		s.Log.Warn("password checks busy: answered 503", "method", r.Method, "path", r.URL.Path,
			"error", err.Error(), "concurrent", s.Hashes.Concurrent(), "max_wait", s.Hashes.Wait().String())
		return errBusy
	}
	if err != nil {
		return s.fail(r, "verify password", err)
	}
	if u == nil {
		return errInvalidCredentials
	}
	secret := ""
	if u.TOTPSecret != nil {
		secret = *u.TOTPSecret
	}
	// The code is only spent when the password is right.
	if !ok || !s.OTP.Verify(u.ID, secret, code) || !u.IsActive {
		return errInvalidCredentials
	}

	userAgent, ip := clientInfo(r)
	refresh, err := s.newRefresh(u.ID, s.Tokens.Now().Add(s.Tokens.RefreshTTL))
	if err != nil {
		return s.fail(r, "sign refresh token", err)
	}
	refresh.row.FamilyID, refresh.row.UserAgent, refresh.row.IPAddress = uuid.NewString(), userAgent, ip
	ctx, cancel = s.dbContext(r)
	defer cancel()
	if _, err := s.Store.InsertRefreshToken(ctx, refresh.row); err != nil {
		return s.fail(r, "store refresh token", err)
	}
	return s.answerPair(w, r, u, refresh.token)
}

// issued is a signed refresh token and the row that records it.
type issued struct {
	token string
	row   store.NewRefreshToken
}

// newRefresh signs a refresh token with a new jti, expiring at expires.
func (s *Server) newRefresh(userID string, expires time.Time) (issued, error) {
	jti := uuid.NewString()
	token, err := s.Tokens.IssueRefresh(userID, jti, expires)
	if err != nil {
		return issued{}, err
	}
	return issued{token: token, row: store.NewRefreshToken{
		UserID: userID, JTI: jti, ExpiresAt: expires.UTC().Truncate(time.Second), TokenHash: auth.HashToken(token),
	}}, nil
}

func (s *Server) answerPair(w http.ResponseWriter, r *http.Request, u *store.User, refresh string) *apiError {
	access, _, err := s.Tokens.IssueAccess(u.ID, u.Roles)
	if err != nil {
		return s.fail(r, "sign access token", err)
	}
	writeJSON(w, http.StatusOK, tokenPair{AccessToken: access, RefreshToken: refresh, TokenType: "bearer",
		ExpiresIn: int(s.Tokens.AccessTTL.Seconds()), User: showUser(u)})
	return nil
}
