package tests

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"

	"github.com/appydex/smoke/app/auth"
	"github.com/appydex/smoke/app/store"
	"github.com/appydex/smoke/harness/apitest"
)

// The deliberately broken variants of the reference API that
// flow_strictness_test.go runs the flow against. Each one is a realistic
// auth bug, made by wrapping the reference's handler (apitest's
// Middleware) and, where the bug lives deeper, by doing one thing the way
// a careless backend would, with the reference's own store and signer.
// A variant gets the running API once it has started.
type variant func(api func() *apitest.API) func(http.Handler) http.Handler

// answer is a handler's answer, recorded so a variant can look at it and
// rewrite it before the client sees it.
type answer struct {
	status int
	header http.Header
	body   []byte
}

// record runs next and returns its answer, unsent.
func record(next http.Handler, r *http.Request) answer {
	rec := httptest.NewRecorder()
	next.ServeHTTP(rec, r)
	return answer{status: rec.Code, header: rec.Header(), body: rec.Body.Bytes()}
}

func (a answer) send(w http.ResponseWriter) {
	for k, v := range a.header {
		if k != "Content-Length" {
			w.Header()[k] = v
		}
	}
	w.WriteHeader(a.status)
	w.Write(a.body)
}

// readBody reads a JSON request body and puts it back for the next handler.
func readBody(r *http.Request) map[string]any {
	b, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(b))
	var v map[string]any
	_ = json.Unmarshal(b, &v)
	return v
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, status int, code, message string) {
	writeJSON(w, status, map[string]any{"code": code, "message": message, "details": map[string]any{}})
}

// writePair answers a token pair as the reference does.
func writePair(w http.ResponseWriter, r *http.Request, api *apitest.API, userID, refresh string) {
	u, err := api.Server.Store.UserByID(r.Context(), userID)
	if err != nil {
		writeError(w, 500, "INTERNAL_ERROR", "Something went wrong")
		return
	}
	access, _, _ := api.Server.Tokens.IssueAccess(u.ID, u.Roles)
	roles := u.Roles
	if roles == nil {
		roles = []string{}
	}
	writeJSON(w, 200, map[string]any{"access_token": access, "refresh_token": refresh, "token_type": "bearer",
		"expires_in": int(api.Server.Tokens.AccessTTL.Seconds()),
		"user":       map[string]any{"id": u.ID, "email": u.Email, "phone": u.Phone, "roles": roles, "is_active": u.IsActive, "created_at": u.CreatedAt}})
}

// at is a variant that breaks one path of the reference: h answers it (next
// is the reference's own handler, a the running API), and every other
// request goes to the reference untouched.
func at(path string, h func(a *apitest.API, next http.Handler, w http.ResponseWriter, r *http.Request)) variant {
	return func(api func() *apitest.API) func(http.Handler) http.Handler {
		return func(next http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path != path {
					next.ServeHTTP(w, r)
					return
				}
				h(api(), next, w, r)
			})
		}
	}
}

// trustsUnverifiedTokens decodes a bearer token without checking its
// signature or its type, and serves the user it names: any token with the
// right subject gets in. (It swaps in a real access token of that user,
// seen in an earlier answer, so the reference does the rest.)
func trustsUnverifiedTokens(api func() *apitest.API) func(http.Handler) http.Handler {
	var mu sync.Mutex
	accessOf := map[string]string{}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/api/v1/auth/me" {
				token := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
				var c jwt.RegisteredClaims
				if _, _, err := jwt.NewParser().ParseUnverified(token, &c); err == nil {
					mu.Lock()
					if real, ok := accessOf[c.Subject]; ok {
						r.Header.Set("Authorization", "Bearer "+real)
					}
					mu.Unlock()
				}
			}
			a := record(next, r)
			var pair struct {
				Access string `json:"access_token"`
			}
			if json.Unmarshal(a.body, &pair) == nil && pair.Access != "" {
				var c jwt.RegisteredClaims
				if _, _, err := jwt.NewParser().ParseUnverified(pair.Access, &c); err == nil {
					mu.Lock()
					accessOf[c.Subject] = pair.Access
					mu.Unlock()
				}
			}
			a.send(w)
		})
	}
}

// slidingExpiry gives a rotated token a fresh lifetime from now, so a
// session that keeps refreshing never ends.
var slidingExpiry = at("/api/v1/auth/refresh", func(a *apitest.API, next http.Handler, w http.ResponseWriter, r *http.Request) {
	token, _ := readBody(r)["refresh_token"].(string)
	if _, err := a.Server.Tokens.Parse(token, auth.Refresh); err != nil {
		next.ServeHTTP(w, r) // the reference's own refusal
		return
	}
	var child string
	err := a.Server.Store.Rotate(r.Context(), auth.HashToken(token), func(old store.Rotated) (store.NewRefreshToken, error) {
		expires := a.Server.Tokens.Now().Add(a.Server.Tokens.RefreshTTL) // the bug: not old.ExpiresAt
		jti := uuid.NewString()
		var err error
		child, err = a.Server.Tokens.IssueRefresh(old.UserID, jti, expires)
		return store.NewRefreshToken{UserID: old.UserID, JTI: jti, ExpiresAt: expires.UTC().Truncate(time.Second),
			TokenHash: auth.HashToken(child), UserAgent: r.UserAgent(), IPAddress: "127.0.0.1"}, err
	})
	if err != nil {
		next.ServeHTTP(w, r) // refused: let the reference say so
		return
	}
	var c jwt.RegisteredClaims
	_, _, _ = jwt.NewParser().ParseUnverified(child, &c)
	writePair(w, r, a, c.Subject, child)
})

// checkThenAct rotates a refresh token by reading whether it is live, then
// revoking it: between the two, every racing request reads it live too.
var checkThenAct = at("/api/v1/auth/refresh", func(a *apitest.API, next http.Handler, w http.ResponseWriter, r *http.Request) {
	token, _ := readBody(r)["refresh_token"].(string)
	ctx := r.Context()
	var id, userID, family string
	var expires time.Time
	err := a.DB.QueryRow(ctx, `SELECT id, user_id, family_id, expires_at FROM refresh_tokens
		WHERE token_hash = $1 AND NOT revoked AND expires_at > now()`, auth.HashToken(token)).Scan(&id, &userID, &family, &expires)
	if _, perr := a.Server.Tokens.Parse(token, auth.Refresh); err != nil || perr != nil {
		next.ServeHTTP(w, r) // not live: the reference refuses it, reuse detection and all
		return
	}
	time.Sleep(30 * time.Millisecond) // the window: whatever the handler does between check and act
	jti := uuid.NewString()
	child, _ := a.Server.Tokens.IssueRefresh(userID, jti, expires)
	_, err = a.DB.Exec(ctx, "UPDATE refresh_tokens SET revoked = true, revoked_at = now(), last_used_at = now() WHERE id = $1", id)
	if err == nil {
		_, err = a.Server.Store.InsertRefreshToken(ctx, store.NewRefreshToken{UserID: userID, JTI: jti, FamilyID: family, ParentID: &id,
			ExpiresAt: expires, TokenHash: auth.HashToken(child), UserAgent: r.UserAgent(), IPAddress: "127.0.0.1"})
	}
	if err != nil {
		writeError(w, 500, "INTERNAL_ERROR", "Something went wrong")
		return
	}
	writePair(w, r, a, userID, child)
})

// logoutRevokesOneToken revokes the presented token only, not its session:
// a client holding the session's newer token stays signed in.
var logoutRevokesOneToken = at("/api/v1/auth/logout", func(a *apitest.API, next http.Handler, w http.ResponseWriter, r *http.Request) {
	token, _ := readBody(r)["refresh_token"].(string)
	if _, err := a.DB.Exec(r.Context(), "UPDATE refresh_tokens SET revoked = true, revoked_at = now() WHERE token_hash = $1 AND NOT revoked",
		auth.HashToken(token)); err != nil {
		writeError(w, 500, "INTERNAL_ERROR", "Something went wrong")
		return
	}
	w.WriteHeader(http.StatusNoContent)
})

// noReuseDetection refuses a revoked refresh token presented again, but
// leaves the rest of its session live: a thief who replays a stolen token
// is refused, and keeps the one the rotation gave them.
var noReuseDetection = at("/api/v1/auth/refresh", func(a *apitest.API, next http.Handler, w http.ResponseWriter, r *http.Request) {
	token, _ := readBody(r)["refresh_token"].(string)
	var revoked bool
	err := a.DB.QueryRow(r.Context(), "SELECT revoked FROM refresh_tokens WHERE token_hash = $1", auth.HashToken(token)).Scan(&revoked)
	if err == nil && revoked {
		writeError(w, 401, "INVALID_TOKEN", "The refresh token is not valid")
		return
	}
	next.ServeHTTP(w, r)
})

// tellsDisabledAccounts answers a disabled account's sign-in with its own
// code: an attacker learns the account exists.
var tellsDisabledAccounts = at("/api/v1/auth/login", func(a *apitest.API, next http.Handler, w http.ResponseWriter, r *http.Request) {
	login, _ := readBody(r)["email_or_phone"].(string)
	if u, err := a.Server.Store.UserByLogin(r.Context(), login); err == nil && !u.IsActive {
		writeError(w, 401, "ACCOUNT_DISABLED", "This account is disabled; ask an administrator")
		return
	}
	next.ServeHTTP(w, r)
})

// showsTheException puts the exception's text in a 500's message, as a
// framework's debug mode does.
func showsTheException(api func() *apitest.API) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			a := record(next, r)
			if a.status >= 500 {
				lines := api().LogLines(`"msg":"internal error"`, r.URL.Path)
				message := "internal error"
				if len(lines) > 0 {
					var entry struct {
						Error string `json:"error"`
					}
					_ = json.Unmarshal([]byte(lines[len(lines)-1]), &entry)
					message = entry.Error
				}
				writeError(w, a.status, "INTERNAL_ERROR", message)
				return
			}
			a.send(w)
		})
	}
}

// readyWithoutTheSchema answers readiness from a ping alone: ready while
// every login fails, as in the incident.
var readyWithoutTheSchema = at("/readyz", func(_ *apitest.API, _ http.Handler, w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, 200, map[string]any{"status": "ready", "database": "reachable", "schema": "not checked", "findings": []string{}})
})

// leaksThePassword echoes the password back in the sign-in answer.
var leaksThePassword = at("/api/v1/auth/login", func(a *apitest.API, next http.Handler, w http.ResponseWriter, r *http.Request) {
	password, _ := readBody(r)["password"].(string)
	ans := record(next, r)
	var body map[string]any
	if ans.status == 200 && json.Unmarshal(ans.body, &body) == nil {
		if user, ok := body["user"].(map[string]any); ok {
			user["password"] = password
		}
		ans.body, _ = json.Marshal(body)
	}
	ans.send(w)
})

// keepsTheSignatureAsItsHash keeps the signature of each refresh token a
// sign-in issues in token_hash, where its hash belongs: with the row's
// user, jti and expiry, the token is rebuilt from it.
var keepsTheSignatureAsItsHash = at("/api/v1/auth/login", func(a *apitest.API, next http.Handler, w http.ResponseWriter, r *http.Request) {
	rewriteHash(a, r, next, w, func(token string) string { return token[strings.LastIndex(token, ".")+1:] })
})

// keyedHashAfterLogin keeps each sign-in's refresh token under a keyed
// hash (HMAC-SHA-256) instead of its SHA-256: the reference finds it no
// more on refresh, but the row is a correct one for a backend that keys
// its hashes.
var keyedHashAfterLogin = at("/api/v1/auth/login", func(a *apitest.API, next http.Handler, w http.ResponseWriter, r *http.Request) {
	rewriteHash(a, r, next, w, func(token string) string {
		mac := hmac.New(sha256.New, []byte("a server secret"))
		mac.Write([]byte(token))
		return hex.EncodeToString(mac.Sum(nil))
	})
})

// rewriteHash answers a sign-in as the reference does, then replaces its
// refresh token's token_hash with hash(token).
func rewriteHash(a *apitest.API, r *http.Request, next http.Handler, w http.ResponseWriter, hash func(string) string) {
	ans := record(next, r)
	var body struct {
		RefreshToken string `json:"refresh_token"`
	}
	if ans.status == 200 && json.Unmarshal(ans.body, &body) == nil && body.RefreshToken != "" {
		if _, err := a.DB.Exec(r.Context(), "UPDATE refresh_tokens SET token_hash = $1 WHERE token_hash = $2",
			hash(body.RefreshToken), auth.HashToken(body.RefreshToken)); err != nil {
			writeError(w, 500, "VARIANT_BROKEN", err.Error()) // the variant's own fault: the test shows it
			return
		}
	}
	ans.send(w)
}

// expiresInMinutes states the access token's lifetime in minutes, not the
// seconds OAuth's expires_in is in: the tokens work, only the number lies.
var expiresInMinutes = at("/api/v1/auth/login", func(a *apitest.API, next http.Handler, w http.ResponseWriter, r *http.Request) {
	ans := record(next, r)
	var body map[string]any
	if ans.status == 200 && json.Unmarshal(ans.body, &body) == nil {
		if seconds, ok := body["expires_in"].(float64); ok {
			body["expires_in"] = seconds / 60
		}
		ans.body, _ = json.Marshal(body)
	}
	ans.send(w)
})

// keepsThePlaintext keeps each refresh token a sign-in issues in the
// clear beside its hash (appended to the row's user_agent).
var keepsThePlaintext = at("/api/v1/auth/login", func(a *apitest.API, next http.Handler, w http.ResponseWriter, r *http.Request) {
	ans := record(next, r)
	var body struct {
		RefreshToken string `json:"refresh_token"`
	}
	if ans.status == 200 && json.Unmarshal(ans.body, &body) == nil && body.RefreshToken != "" {
		_, _ = a.DB.Exec(r.Context(), "UPDATE refresh_tokens SET user_agent = coalesce(user_agent, '') || ' ' || $1 WHERE token_hash = $2",
			body.RefreshToken, auth.HashToken(body.RefreshToken))
	}
	ans.send(w)
})

// both is a backend with two bugs: outer's in front of inner's.
func both(outer, inner variant) variant {
	return func(api func() *apitest.API) func(http.Handler) http.Handler {
		return func(next http.Handler) http.Handler { return outer(api)(inner(api)(next)) }
	}
}

// startVariant runs the reference API broken by v, on a fresh clone — or
// on the database at databaseURL — seeded as smoke run seeds it.
func startVariant(t testing.TB, v variant, databaseURL string) *apitest.API {
	var api *apitest.API
	api = apitest.Start(t, apitest.Options{DatabaseURL: databaseURL, Middleware: v(func() *apitest.API { return api })})
	return api
}
