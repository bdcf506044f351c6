package tests

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/appydex/smoke/app/auth"
	"github.com/appydex/smoke/app/seed"
	"github.com/appydex/smoke/app/store"
	"github.com/appydex/smoke/harness/apitest"
	"github.com/appydex/smoke/harness/flow"
	"github.com/appydex/smoke/harness/pgtest"
	"github.com/appydex/smoke/migrations"
)

// The flow is the contract test of backends this repository did not
// write, so it must fail the auth bugs that matter — each with a line that
// names what broke. Every variant here is the reference API with one
// realistic bug (broken_backends_test.go); the unbroken reference passes
// (login_flow_test.go).
func TestTheFlowFailsABrokenBackendNamingWhatBroke(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name     string
		broken   variant
		incident bool // on the incident's database, where login answers 500
		want     flow.Class
	}{
		{"a backend that trusts tokens it did not verify", trustsUnverifiedTokens, false, flow.Forgery},
		{"a backend whose refresh slides the session's end", slidingExpiry, false, flow.Expiry},
		{"a backend whose rotation checks, then acts", checkThenAct, false, flow.Rotation},
		{"a backend whose logout revokes one token, not the session", logoutRevokesOneToken, false, flow.Revocation},
		// Every racing refresh wins a live token of its own, a replayed token
		// does not end its session, and logout ends only the token it is
		// given: the flow must still leave none of them live.
		{"a backend with three bugs, many live tokens in one session", both(checkThenAct, both(noReuseDetection, logoutRevokesOneToken)), false, flow.Rotation},
		{"a backend that tells a disabled account apart", tellsDisabledAccounts, false, flow.Accounts},
		{"a backend that shows the exception in a 500", showsTheException, true, flow.ErrorBodies},
		{"a backend whose readiness ignores the schema", readyWithoutTheSchema, true, flow.Readiness},
		{"a backend that echoes the password", leaksThePassword, false, flow.Storage},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			databaseURL := ""
			if c.incident {
				databaseURL = pgtest.AtVersion(t, migrations.IncidentHead).URL
			}
			api := startVariant(t, c.broken, databaseURL)
			res, err := flow.Run(t.Context(), api.Flow())
			require.NoError(t, err)
			t.Logf("flow:\n%s", res.Text())

			assert.False(t, res.Passed, "the flow must fail this backend")
			assert.Contains(t, res.FailedClasses(), c.want, "the failing checks must include the class %q", c.want)
			assert.Contains(t, strings.Join(res.Failures(), "\n"), "["+string(c.want)+"]", "a failing line names the class")
			assertShowsNoSecret(t, res, seed.AdminPassword, seed.InactivePassword)
			assertNoSessionLeftLive(t, api, seed.AdminEmail)
		})
	}
}

// One failed check of login's hides no bug behind it: with login's tokens
// in hand every later step runs. Here expires_in is in minutes (login's
// own check fails) and a replayed token does not end its session (the
// reuse step's): both are named, and no step is skipped for login's sake.
func TestAFailedLoginCheckHidesNoLaterBug(t *testing.T) {
	t.Parallel()
	api := startVariant(t, both(expiresInMinutes, noReuseDetection), "")
	res, err := flow.Run(t.Context(), api.Flow())
	require.NoError(t, err)
	t.Logf("flow:\n%s", res.Text())
	login := res.Step(flow.StepLogin)
	require.NotNil(t, login)
	assert.False(t, login.Passed, "expires_in in minutes fails login's own check")
	assert.Contains(t, strings.Join(res.Failures(), "\n"), "login: [expiry] the access token lives exactly expires_in")
	reuse := res.Step(flow.StepReuse)
	require.NotNil(t, reuse, "the reuse step ran")
	assert.False(t, reuse.Passed, "and failed on its own bug")
	assert.Contains(t, res.FailedClasses(), flow.Revocation)
	for _, s := range res.Steps {
		if s.Skipped != "" && s.Name != flow.StepCodeReplay {
			t.Errorf("%s skipped: %s", s.Name, s.Skipped)
		}
	}
	assertNoSessionLeftLive(t, api, seed.AdminEmail)
}

// An instance said to be started with lifetimes of seconds, whose tokens
// live their usual 15 minutes and 7 days, is a backend that does not take
// the lifetimes it is given: the expired-tokens step says so at once,
// without waiting days.
func TestTheExpiryStepFailsABackendThatIgnoresItsLifetimes(t *testing.T) {
	t.Parallel()
	api := apitest.Start(t, apitest.Options{})
	cfg := api.Flow()
	cfg.Wait, cfg.ProveExpiry = nil, false
	cfg.Expiry = &flow.ExpiryAPI{BaseURL: api.URL, AccessTTL: 3 * time.Second, RefreshTTL: 6 * time.Second}
	start := time.Now()
	res, err := flow.Run(t.Context(), cfg)
	require.NoError(t, err)
	t.Logf("flow:\n%s", res.Text())
	failures := strings.Join(res.Failures(), "\n")
	assert.Contains(t, failures, "expired tokens: [expiry] expires_in is the access lifetime it was started with (3s): expires_in 900 s")
	assert.Contains(t, failures, "expired tokens: [expiry] the refresh token lives the lifetime it was started with (6s): exp − iat = 168h0m0s")
	assert.Less(t, time.Since(start), time.Minute, "nothing waited out")
}

// A refresh token kept in the clear in any column is found, though the
// flow never sends the token to the database: it searches the user's
// rows itself.
func TestTheFlowFindsATokenKeptInTheClear(t *testing.T) {
	t.Parallel()
	api := startVariant(t, keepsThePlaintext, "")
	res, err := flow.Run(t.Context(), api.Flow())
	require.NoError(t, err)
	t.Logf("flow:\n%s", res.Text())
	assert.Contains(t, strings.Join(res.Failures(), "\n"),
		"stored token row: [stored tokens] the refresh token is not stored in the clear (in no column of the user's rows, nor its JWT parts): stored in the clear: 1 of the user's rows hold it")
	assertNoSessionLeftLive(t, api, seed.AdminEmail)
}

// token_hash is judged by what it is, not by one algorithm: a backend that
// keeps the token itself there is told it stores it in the clear, whatever
// it says its hash is; one whose value is not the SHA-256 is told how to
// say it uses another; and a correct backend passes as opaque too (its
// rows found by the token's jti).
func TestTokenStorageIsJudgedByWhatItIs(t *testing.T) {
	t.Parallel()
	run := func(t *testing.T, v variant, hash flow.TokenHash) (*flow.Result, string) {
		t.Helper()
		var api *apitest.API
		if v == nil {
			api = apitest.Start(t, apitest.Options{})
		} else {
			api = startVariant(t, v, "")
		}
		cfg := api.Flow()
		cfg.TokenHash = hash
		res, err := flow.Run(t.Context(), cfg)
		require.NoError(t, err)
		t.Logf("flow:\n%s", res.Text())
		return res, strings.Join(res.Failures(), "\n")
	}
	t.Run("the token's signature in token_hash", func(t *testing.T) {
		t.Parallel()
		_, failures := run(t, keepsTheSignatureAsItsHash, flow.TokenHashSHA256)
		assert.Contains(t, failures, "stored token row: [stored tokens] a row whose token_hash is the SHA-256 of the refresh token: "+
			"stored in the clear: the row with the token's jti holds the token's signature in token_hash")
		assert.Contains(t, failures, "stored in the clear: 1 of the user's rows hold it")
		_, failures = run(t, keepsTheSignatureAsItsHash, flow.TokenHashOpaque)
		assert.Contains(t, failures, "stored token row: [stored tokens] its token_hash is set, and is not the token nor a part of it: token_hash is the token's signature")
		assert.Contains(t, failures, "stored in the clear: 1 of the user's rows hold it")
	})
	t.Run("a keyed hash, judged as SHA-256", func(t *testing.T) {
		t.Parallel()
		_, failures := run(t, keyedHashAfterLogin, flow.TokenHashSHA256)
		assert.Contains(t, failures, "the row with the token's jti holds another value in token_hash: a keyed or salted hash? "+
			"Say so (token_hash: opaque in backend.yaml, --token-hash opaque for verify)")
		assert.NotContains(t, failures, "stored in the clear")
	})
	t.Run("a correct backend, said to be opaque", func(t *testing.T) {
		t.Parallel()
		res, failures := run(t, nil, flow.TokenHashOpaque)
		assert.True(t, res.Passed, "failures:\n%s", failures)
		row := res.Step(flow.StepStoredRow)
		require.NotNil(t, row)
		assert.Empty(t, row.Skipped)
		assert.Contains(t, row.Checks[0].What, "found by its jti")
	})
}

// Two instances of the reference behind one address, each remembering the
// codes it has seen: a code spent on one is taken by the other. The flow,
// given the account's TOTP secret, replays a spent code and must see it
// refused.
func TestTheFlowFailsABackendThatTakesASpentCode(t *testing.T) {
	t.Parallel()
	key := strings.Repeat("k", 32) // one deployment: one signing key
	first := apitest.Start(t, apitest.Options{NoDevOTP: true, JWTSecret: key})
	second := apitest.Start(t, apitest.Options{NoDevOTP: true, JWTSecret: key, DatabaseURL: first.DatabaseURL})
	secret := totpUser(t, first, "totp@appydex.local", "totp-pass-1")

	var logins atomic.Int64
	balancer := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		target := first.URL
		if r.URL.Path == "/api/v1/auth/login" && logins.Add(1)%2 == 0 {
			target = second.URL // every other sign-in: the instance that saw no code yet
		}
		u, _ := url.Parse(target)
		httputil.NewSingleHostReverseProxy(u).ServeHTTP(w, r)
	}))
	t.Cleanup(balancer.Close)

	res, err := flow.Run(context.Background(), flow.Config{BaseURL: balancer.URL, DatabaseURL: first.DatabaseURL,
		Email: "totp@appydex.local", Password: "totp-pass-1", TOTPSecret: secret, RefreshTTL: flow.ContractRefreshTTL})
	require.NoError(t, err)
	t.Logf("flow:\n%s", res.Text())
	assert.False(t, res.Passed)
	assert.Equal(t, []flow.Class{flow.OneTimeCode}, res.FailedClasses(), "only the replay fails")
	replay := res.Step(flow.StepCodeReplay)
	require.NotNil(t, replay)
	assert.Equal(t, 200, replay.HTTPStatus, "the spent code was taken")
	assertShowsNoSecret(t, res, "totp-pass-1", secret)
	assertNoSessionLeftLive(t, first, "totp@appydex.local")
}

// totpUser creates an account that signs in with TOTP only, and returns its
// secret.
func totpUser(t *testing.T, api *apitest.API, email, password string) string {
	t.Helper()
	key, err := totp.Generate(totp.GenerateOpts{Issuer: "appydex", AccountName: email})
	require.NoError(t, err)
	hash, err := auth.HashPassword(password, apitest.Passwords)
	require.NoError(t, err)
	_, err = store.New(api.DB).UpsertUser(t.Context(), store.NewUser{Email: email, PasswordHash: hash, Roles: []string{"admin"}, TOTPSecret: key.Secret()})
	require.NoError(t, err)
	return key.Secret()
}

// jwtShape is a whole JSON Web Token.
var jwtShape = regexp.MustCompile(`eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*`)

// assertShowsNoSecret checks the result, as text and as JSON, for whole
// tokens and for the given secrets.
func assertShowsNoSecret(t *testing.T, res *flow.Result, secrets ...string) {
	t.Helper()
	asJSON, err := json.Marshal(res)
	require.NoError(t, err)
	for form, out := range map[string]string{"text": res.Text(), "JSON": string(asJSON), "failures": strings.Join(res.Failures(), "\n")} {
		assert.Empty(t, jwtShape.FindAllString(out, 3), "the %s shows whole tokens", form)
		for _, s := range secrets {
			assert.NotContains(t, out, s, "the %s shows a secret", form)
		}
	}
}

// assertNoSessionLeftLive checks that the flow signed out of every session
// it opened: no refresh token of the account is live.
func assertNoSessionLeftLive(t *testing.T, api *apitest.API, email string) {
	t.Helper()
	var live int
	require.NoError(t, api.DB.QueryRow(t.Context(), `SELECT count(*) FROM refresh_tokens r JOIN users u ON u.id = r.user_id
		WHERE u.email = $1 AND NOT r.revoked AND r.expires_at > now()`, email).Scan(&live))
	assert.Zero(t, live, "live sessions of %s after the flow", email)
}

// The lifetimes the flow holds an API to are the contract's — an access
// token lives 15 minutes, a session at most 7 days — never the API's own
// settings: an API whose sessions were set to last a century, or whose
// access tokens were set to live a day, fails, though it keeps its own
// word.
func TestTheFlowHoldsTheAPIToTheContractsLifetimes(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name            string
		access, refresh time.Duration
		says            string
	}{
		{"sessions set to last a century", 0, 100 * 365 * 24 * time.Hour, "the session ends within the stated refresh lifetime (168h0m0s)"},
		{"access tokens set to live a day", 24 * time.Hour, 0, "the access token lives no longer than the stated access lifetime (15m0s)"},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			api := apitest.Start(t, apitest.Options{AccessTTL: c.access, RefreshTTL: c.refresh})
			res, err := flow.Run(t.Context(), api.Flow())
			require.NoError(t, err)
			t.Logf("flow:\n%s", res.Text())
			assert.False(t, res.Passed, "the flow must fail this API")
			assert.Equal(t, []flow.Class{flow.Expiry}, res.FailedClasses(), "only its lifetimes are wrong")
			assert.Contains(t, strings.Join(res.Failures(), "\n"), c.says)
			assertNoSessionLeftLive(t, api, seed.AdminEmail)
		})
	}
}
