package tests

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/appydex/smoke/harness/backend"
	"github.com/appydex/smoke/harness/flow"
)

// Variants of the backends in containers, each with one realistic bug:
// the flow must fail each, naming it.

// flowRun runs the flow against image, served twice on a migrated copy of
// the stack's template: with the lifetimes the backend promises, and
// beside it with backend.ShortLifetimes for the expired-tokens step, as
// `smoke run --backend` does.
func flowRun(t *testing.T, stack *backend.Stack, image string) *flow.Result {
	t.Helper()
	ctx := t.Context()
	template, _, err := stack.Migrated(ctx, stack.Desc.Image)
	require.NoError(t, err)
	db, err := stack.Server.Copy(ctx, template)
	require.NoError(t, err)
	svc := serve(t, stack, image, db)
	short, err := stack.StartWith(ctx, image, db, backend.ShortLifetimes)
	require.NoError(t, err)
	cfg := stack.Desc.Flow(svc.URL, db.URL)
	cfg.Expiry = backend.ShortLifetimes.ExpiryAPI(short.URL)
	res, err := flow.Run(ctx, cfg)
	require.NoError(t, err)
	t.Logf("flow against %s:\n%s", image, res.Text())
	return res
}

// expiryRun is flowRun's expired-tokens step.
func expiryRun(t *testing.T, stack *backend.Stack, image string) *flow.Step {
	t.Helper()
	step := flowRun(t, stack, image).Step(flow.StepExpired)
	require.NotNil(t, step)
	require.Empty(t, step.Skipped, "the expired-tokens step ran")
	return step
}

// failures are a step's failed checks, a line each.
func failures(s *flow.Step) string {
	var out []string
	for _, c := range s.Checks {
		if !c.OK {
			out = append(out, c.Line())
		}
	}
	return strings.Join(out, "\n")
}

// Against a backend in containers the expired-tokens step runs — on an
// instance started with lifetimes of seconds, waited out — and passes on
// the good image; it fails on the FastAPI image that skips the expiry
// check (PyJWT's verify_exp turned off), and so does the Rails image that
// skips it (ruby-jwt's verify_expiration), naming the expired access token
// each took. (The reference's image is FROM scratch, a Go binary: no variant
// of it skips the check without a switch in its code for the purpose;
// TestTheExpiryStepFailsABackendThatIgnoresItsLifetimes covers the other
// way a backend fails this step.)
func TestTheExpiryStepRunsAgainstBackendsInContainers(t *testing.T) {
	t.Parallel()
	// Each backend's image with its expiry check skipped.
	for name, skipping := range map[string]func(t *testing.T, image string) string{
		"fastapi": func(t *testing.T, image string) string { // PyJWT's verify_exp turned off
			return derivedImage(t, image, `USER root
RUN sed -i 's/"verify_exp": not allow_expired/"verify_exp": False/' /srv/app/security.py && grep -q '"verify_exp": False' /srv/app/security.py
USER 65534:65534`)
		},
		"rails": func(t *testing.T, image string) string { // ruby-jwt's verify_expiration turned off
			return derivedImage(t, image, `USER root
RUN sed -i 's/verify_expiration: !allow_expired/verify_expiration: false/' /srv/app/lib/tokens.rb && grep -q 'verify_expiration: false' /srv/app/lib/tokens.rb
USER 65534:65534`)
		},
		"reference": func(t *testing.T, image string) string { // its token parser built without claims validation
			return referenceVariant(t, image, "../app/auth/tokens.go",
				"jwt.WithExpirationRequired(), jwt.WithIssuedAt(), jwt.WithTimeFunc(t.Now))", "jwt.WithoutClaimsValidation())")
		},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			stack := upBackend(t, name)
			good := expiryRun(t, stack, stack.Desc.Image)
			assert.True(t, good.Passed, "the good image: %s", failures(good))

			bad := expiryRun(t, stack, skipping(t, stack.Desc.Image))
			assert.False(t, bad.Passed, "an image that never checks exp must fail the step")
			// Its refresh tokens' rows expire in the database too: those stay refused.
			assert.Contains(t, failures(bad), "[expiry] an expired access token is refused (401, in the envelope): status 200")
		})
	}
}

// referenceVariant is the reference API's image with its appydex-api
// built from the repository's code with one edit — old replaced by new in
// file, through go build's -overlay, the files themselves untouched — and
// removed when the test ends. The edit must apply.
func referenceVariant(t *testing.T, image, file, old, new string) string {
	t.Helper()
	src, err := os.ReadFile(file)
	require.NoError(t, err)
	require.Contains(t, string(src), old, "the edit applies to %s", file)
	dir := t.TempDir()
	edited, overlay := filepath.Join(dir, filepath.Base(file)), filepath.Join(dir, "overlay.json")
	require.NoError(t, os.WriteFile(edited, []byte(strings.Replace(string(src), old, new, 1)), 0o644))
	abs, err := filepath.Abs(file)
	require.NoError(t, err)
	spec, err := json.Marshal(map[string]map[string]string{"Replace": {abs: edited}})
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(overlay, spec, 0o644))
	build := exec.Command("go", "build", "-overlay", overlay, "-trimpath", "-o", filepath.Join(dir, "appydex-api"), "../cmd/appydex-api")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	out, err := build.CombinedOutput()
	require.NoError(t, err, "go build: %s", out)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte("FROM "+image+"\nCOPY appydex-api /appydex-api\n"), 0o644))
	return buildImage(t, dir)
}

// derivedImage builds an image FROM image with the Dockerfile lines
// steps (no registry: the base is on this machine), removed when the test
// ends.
func derivedImage(t *testing.T, image, steps string) string {
	t.Helper()
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte("FROM "+image+"\n"+steps+"\n"), 0o644))
	return buildImage(t, dir)
}

// buildImage builds the image of the Dockerfile in dir, with dir as its
// context, named for this test; it is removed when the test ends.
func buildImage(t *testing.T, dir string) string {
	t.Helper()
	suffix := make([]byte, 6)
	_, _ = rand.Read(suffix)
	name := "appydex-smoke/derived-test:" + hex.EncodeToString(suffix)
	out, err := exec.Command("docker", "build", "--quiet", "-t", name, dir).CombinedOutput()
	require.NoError(t, err, "docker build: %s", out)
	t.Cleanup(func() { _ = exec.Command("docker", "rmi", "-f", name).Run() })
	return name
}

// The FastAPI image with a hash_token that keeps the token's signature —
// a unique value that looks like a hash, and with the row's user, jti and
// expiry rebuilds the token — works, and is told it stores its tokens in
// the clear; so are the Rails image whose digest does the same, and the
// reference API built with a HashToken that keeps the signature. (The reference's image is a Go binary FROM scratch: see
// TestTokenStorageIsJudgedByWhatItIs for the same bug in the reference.)
func TestABackendInContainersThatStoresTokensInTheClear(t *testing.T) {
	t.Parallel()
	t.Run("reference", func(t *testing.T) {
		t.Parallel()
		stack := upBackend(t, "reference")
		broken := referenceVariant(t, stack.Desc.Image, "../app/auth/tokens.go",
			"sum := sha256.Sum256([]byte(token))\n\treturn hex.EncodeToString(sum[:])",
			`_, _ = sha256.Sum256, hex.EncodeToString
	for i := len(token) - 1; i >= 0; i-- {
		if token[i] == '.' {
			return token[i+1:] // the signature: a unique value that looks like a hash
		}
	}
	return token`)
		res := flowRun(t, stack, broken)
		failures := strings.Join(res.Failures(), "\n")
		assert.Contains(t, failures, "[stored tokens] the refresh token is not stored in the clear (in no column of the user's rows, nor its JWT parts): stored in the clear")
	})
	for name, edit := range map[string]string{
		"fastapi": `sed -i 's/return hashlib.sha256(token.encode()).hexdigest()/return token.rsplit(".", 1)[1]/' /srv/app/security.py && grep -q 'rsplit' /srv/app/security.py`,
		"rails":   `sed -i 's/def digest(token) = Digest::SHA256.hexdigest(token)/def digest(token) = token.split(".").last/' /srv/app/lib/auth_tokens.rb && grep -q 'token.split' /srv/app/lib/auth_tokens.rb`,
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			stack := upBackend(t, name)
			broken := derivedImage(t, stack.Desc.Image, "USER root\nRUN "+edit+"\nUSER 65534:65534")
			res := flowRun(t, stack, broken)
			failures := strings.Join(res.Failures(), "\n")
			assert.Contains(t, failures, "stored token row: [stored tokens] a row whose token_hash is the SHA-256 of the refresh token: "+
				"stored in the clear: the row with the token's jti holds the token's signature in token_hash")
			assert.Contains(t, failures, "[stored tokens] the refresh token is not stored in the clear (in no column of the user's rows, nor its JWT parts): stored in the clear")
		})
	}
}

// errorPathRun signs in to image served on a copy of the stack's migrated
// database without refresh_tokens.token_hash, as `smoke run --backend`'s
// error path does.
func errorPathRun(t *testing.T, stack *backend.Stack, image string) *flow.Result {
	t.Helper()
	ctx := t.Context()
	template, _, err := stack.Migrated(ctx, stack.Desc.Image)
	require.NoError(t, err)
	db, err := stack.WithoutColumn(ctx, template, "refresh_tokens.token_hash")
	require.NoError(t, err)
	svc := serve(t, stack, image, db)
	res, err := flow.ErrorPath(ctx, stack.Desc.Flow(svc.URL, ""), "refresh_tokens.token_hash")
	require.NoError(t, err)
	t.Logf("error path of %s:\n%s", image, res.Text())
	return res
}

// A healthy run never meets a 500; the error path makes one, on the
// incident's database: the good images answer it in the bare envelope,
// and a FastAPI image whose routes put the exception's text in the
// message is named for it.
func TestTheErrorPathOfBackendsInContainers(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"fastapi", "rails", "reference"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			stack := upBackend(t, name)
			res := errorPathRun(t, stack, stack.Desc.Image)
			assert.True(t, res.Passed, "failures:\n%s", strings.Join(res.Failures(), "\n"))
			assert.GreaterOrEqual(t, res.Step(flow.StepErrorPath).HTTPStatus, 500)
			if name != "fastapi" {
				return
			}
			broken := derivedImage(t, stack.Desc.Image, `USER root
RUN sed -i -e 's/    except Exception:/    except Exception as exc:/' -e 's/raise errors.internal()/raise errors.APIError(500, "INTERNAL_ERROR", str(exc))/' /srv/app/routers/auth.py && grep -q 'str(exc)' /srv/app/routers/auth.py
USER 65534:65534`)
			res = errorPathRun(t, stack, broken)
			assert.False(t, res.Passed)
			assert.Contains(t, strings.Join(res.Failures(), "\n"), "[5xx bodies] the 500 from POST /api/v1/auth/login is the bare error envelope: it shows the server's insides")
		})
	}
}
