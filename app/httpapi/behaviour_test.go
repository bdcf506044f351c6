package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/appydex/smoke/app/auth"
	"github.com/appydex/smoke/app/httpapi"
	"github.com/appydex/smoke/app/store"
	"github.com/appydex/smoke/harness/apitest"
	"github.com/appydex/smoke/harness/pgenv"
	"github.com/appydex/smoke/harness/pgtest"
	"github.com/appydex/smoke/migrations"
)

func loginPair(t testing.TB, api *apitest.API) (access, refresh string) {
	t.Helper()
	status, body := call(t, "POST", api.URL+"/api/v1/auth/login", admin)
	require.Equal(t, 200, status, "%s", body)
	var pair struct {
		Access  string `json:"access_token"`
		Refresh string `json:"refresh_token"`
	}
	require.NoError(t, json.Unmarshal(body, &pair))
	return pair.Access, pair.Refresh
}

func liveInFamily(t *testing.T, api *apitest.API, token string) int {
	t.Helper()
	var live int
	require.NoError(t, api.DB.QueryRow(t.Context(), `SELECT count(*) FROM refresh_tokens WHERE NOT revoked
		AND family_id = (SELECT family_id FROM refresh_tokens WHERE token_hash = $1)`, auth.HashToken(token)).Scan(&live))
	return live
}

// Twenty refreshes of one token at once: one wins, the others are reuse.
func TestConcurrentRefreshesOfOneToken(t *testing.T) {
	t.Parallel()
	api := apitest.Start(t, apitest.Options{})
	_, refresh := loginPair(t, api)

	statuses := make([]int, 20)
	bodies := make([][]byte, 20)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range statuses {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			statuses[i], bodies[i] = call(t, "POST", api.URL+"/api/v1/auth/refresh", map[string]string{"refresh_token": refresh})
		}()
	}
	close(start)
	wg.Wait()

	ok, refused := 0, 0
	for i, s := range statuses {
		switch {
		case s == 200:
			ok++
		case s == 401:
			refused++
		default:
			t.Errorf("refresh %d answered %d: %s", i, s, bodies[i])
		}
	}
	assert.Equal(t, 1, ok, "exactly one refresh wins: %v", statuses)
	assert.Equal(t, 19, refused, "the others are refused: %v", statuses)
	assert.LessOrEqual(t, liveInFamily(t, api, refresh), 1, "at most one live token in the family")
}

// Refresh racing logout on one session never answers 5xx, and the session
// ends up with no live token.
func TestRefreshRacingLogout(t *testing.T) {
	t.Parallel()
	api := apitest.Start(t, apitest.Options{})
	for round := range 10 {
		_, refresh := loginPair(t, api)
		var wg sync.WaitGroup
		results := map[string]int{}
		var mu sync.Mutex
		for _, path := range []string{"/api/v1/auth/refresh", "/api/v1/auth/logout", "/api/v1/auth/refresh"} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				status, body := call(t, "POST", api.URL+path, map[string]string{"refresh_token": refresh})
				assert.Less(t, status, 500, "round %d %s: %s", round, path, body)
				mu.Lock()
				results[path] = status
				mu.Unlock()
			}()
		}
		wg.Wait()
		assert.Equal(t, 204, results["/api/v1/auth/logout"], "round %d: logout always succeeds", round)
		assert.Zero(t, liveInFamily(t, api, refresh), "round %d: logout leaves the session no live token (%v)", round, results)
	}
}

// A TOTP code signs in once per time step: its replay is refused.
func TestTOTPReplayIsRefused(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 26, 9, 0, 5, 0, time.UTC) // frozen
	api := apitest.Start(t, apitest.Options{NoDevOTP: true, Now: func() time.Time { return now }})
	key, err := totp.Generate(totp.GenerateOpts{Issuer: "appydex", AccountName: "totp@appydex.local"})
	require.NoError(t, err)
	hash, err := auth.HashPassword("s3cret-pass", apitest.Passwords)
	require.NoError(t, err)
	_, err = store.New(api.DB).UpsertUser(t.Context(), store.NewUser{Email: "totp@appydex.local", PasswordHash: hash,
		Roles: []string{"admin"}, TOTPSecret: key.Secret()})
	require.NoError(t, err)

	code, err := totp.GenerateCode(key.Secret(), now)
	require.NoError(t, err)
	login := map[string]string{"email_or_phone": "totp@appydex.local", "password": "s3cret-pass", "otp": code}
	status, body := call(t, "POST", api.URL+"/api/v1/auth/login", login)
	require.Equal(t, 200, status, "%s", body)
	status, body = call(t, "POST", api.URL+"/api/v1/auth/login", login)
	assert.Equal(t, 401, status, "the same code again in its time step: %s", body)
	assert.Contains(t, string(body), "INVALID_CREDENTIALS")

	status, _ = call(t, "POST", api.URL+"/api/v1/auth/login", admin)
	assert.Equal(t, 401, status, "without a development OTP configured, 000000 is just a wrong code")
}

// The database stops mid-flow: the API answers 503 and is not ready; when
// it is back, login works again without restarting the API.
func TestDatabaseOutageAndRecovery(t *testing.T) {
	cfg, err := pgtest.Config()
	require.NoError(t, err)
	cfg.Source = pgenv.Local // the local source can pause a server and resume it
	ctx := context.Background()
	srv, err := pgenv.Start(ctx, cfg)
	pgtest.RequireSource(t, pgenv.Local, err)
	t.Cleanup(func() { srv.Close(ctx) })
	tpl, err := srv.Template(ctx, migrations.FS, migrations.Dir)
	require.NoError(t, err)
	db, err := tpl.Clone(ctx)
	require.NoError(t, err)
	api := apitest.Start(t, apitest.Options{DatabaseURL: db.URL})
	_, refresh := loginPair(t, api)

	require.NoError(t, srv.Pause(ctx))
	status, body := call(t, "POST", api.URL+"/api/v1/auth/login", admin)
	assert.Equal(t, 503, status, "%s", body)
	assert.JSONEq(t, `{"code":"SERVICE_UNAVAILABLE","message":"The service is temporarily unavailable; try again shortly","details":{}}`, string(body))
	status, body = call(t, "POST", api.URL+"/api/v1/auth/refresh", map[string]string{"refresh_token": refresh})
	assert.Equal(t, 503, status, "%s", body)
	status, body = call(t, "GET", api.URL+"/readyz", nil)
	assert.Equal(t, 503, status, "%s", body)
	status, _ = call(t, "GET", api.URL+"/healthz", nil)
	assert.Equal(t, 200, status, "the process itself is up")

	require.NoError(t, srv.Resume(ctx))
	require.Eventually(t, func() bool {
		status, _ := call(t, "GET", api.URL+"/readyz", nil)
		return status == 200
	}, 10*time.Second, 50*time.Millisecond, "ready again once the database is back")
	loginPair(t, api)
	status, body = call(t, "POST", api.URL+"/api/v1/auth/refresh", map[string]string{"refresh_token": refresh})
	assert.Equal(t, 200, status, "the session from before the outage still refreshes: %s", body)
}

// Phone numbers sign in too; an inactive user gets the very answer a wrong
// password gets.
func TestPhoneLoginAndInactiveUser(t *testing.T) {
	t.Parallel()
	api := apitest.Start(t, apitest.Options{})
	ctx := t.Context()
	pool := api.DB
	hash, err := auth.HashPassword("phone-pass", apitest.Passwords)
	require.NoError(t, err)
	_, err = store.New(pool).UpsertUser(ctx, store.NewUser{Email: "support@appydex.local", Phone: "+15550100", PasswordHash: hash, Roles: []string{"support"}})
	require.NoError(t, err)

	byPhone := map[string]string{"email_or_phone": "+15550100", "password": "phone-pass", "otp": "000000"}
	status, body := call(t, "POST", api.URL+"/api/v1/auth/login", byPhone)
	require.Equal(t, 200, status, "%s", body)
	assert.Contains(t, string(body), `"phone":"+15550100"`)

	_, wrongPassword := call(t, "POST", api.URL+"/api/v1/auth/login",
		map[string]string{"email_or_phone": "+15550100", "password": "nope", "otp": "000000"})
	_, err = pool.Exec(ctx, "UPDATE users SET is_active = false WHERE phone = '+15550100'")
	require.NoError(t, err)
	status, inactive := call(t, "POST", api.URL+"/api/v1/auth/login", byPhone)
	assert.Equal(t, 401, status)
	assert.Equal(t, string(wrongPassword), string(inactive), "an inactive user is told nothing more than a wrong password is")
}

// A storm of sign-ins waits its turn for the password check; one that
// cannot get a turn is told to come back — 503 with Retry-After — and the
// log names the cause, not the database.
func TestASignInThatCannotGetAPasswordCheckIsToldToComeBack(t *testing.T) {
	t.Parallel()
	hashes := auth.NewHashLimit(1, 0, time.Hour)
	api := apitest.Start(t, apitest.Options{Limits: httpapi.Limits{Hashes: hashes}})
	release, err := hashes.Acquire(t.Context())
	require.NoError(t, err)

	body, _ := json.Marshal(admin)
	resp, err := http.Post(api.URL+"/api/v1/auth/login", "application/json", bytes.NewReader(body))
	require.NoError(t, err)
	answer, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Equal(t, 503, resp.StatusCode, "%s", answer)
	assert.Equal(t, "5", resp.Header.Get("Retry-After"))
	assert.JSONEq(t, `{"code":"SERVICE_UNAVAILABLE","message":"Too many sign-ins at once; try again shortly","details":{}}`, string(answer))
	assert.Len(t, api.LogLines(`"password checks busy`), 1, "%s", api.Logs())
	assert.Empty(t, api.LogLines(`database unavailable`), "the database is not to blame:\n%s", api.Logs())

	release()
	status, answer := call(t, "POST", api.URL+"/api/v1/auth/login", admin)
	assert.Equal(t, 200, status, "with a slot free, the next sign-in goes through: %s", answer)
}

// The database's deadline starts when its step does: a sign-in that waited
// longer than that deadline for its password check still signs in.
func TestTheDatabaseDeadlineStartsAfterThePasswordCheck(t *testing.T) {
	t.Parallel()
	const deadline = time.Second
	hashes := auth.NewHashLimit(1, 10, time.Minute)
	api := apitest.Start(t, apitest.Options{Limits: httpapi.Limits{Hashes: hashes, DatabaseTimeout: deadline}})
	release, err := hashes.Acquire(t.Context())
	require.NoError(t, err)

	type answer struct {
		status int
		body   []byte
		err    error
	}
	done := make(chan answer, 1)
	body, _ := json.Marshal(admin)
	go func() {
		resp, err := http.Post(api.URL+"/api/v1/auth/login", "application/json", bytes.NewReader(body))
		if err != nil {
			done <- answer{err: err}
			return
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		done <- answer{resp.StatusCode, b, err}
	}()
	require.Eventually(t, func() bool { return hashes.Waiting() == 1 }, 10*time.Second, 5*time.Millisecond,
		"the sign-in waits for the password check")
	time.Sleep(deadline + deadline/2)
	release()
	got := <-done
	require.NoError(t, got.err)
	assert.Equal(t, 200, got.status, "a wait for the password check is not the database's time: %s\n%s", got.body, api.Logs())
}
