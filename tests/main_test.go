package tests

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/appydex/smoke/app/seed"
	"github.com/appydex/smoke/harness/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// admin is the incident report's account: the development admin, with the
// static one-time code that exists only where it is configured.
var admin = map[string]string{"email_or_phone": seed.AdminEmail, "password": seed.AdminPassword, "otp": seed.DevOTP}

// post sends a JSON body, as the incident report's curl does, and returns
// the status and the body.
func post(t *testing.T, url string, body any) (int, []byte) {
	t.Helper()
	j, err := json.Marshal(body)
	require.NoError(t, err)
	resp, err := http.Post(url, "application/json", bytes.NewReader(j))
	require.NoError(t, err)
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, out
}

// get fetches url and returns the status and the body.
func get(t *testing.T, url string) (int, []byte) {
	t.Helper()
	resp, err := http.Get(url)
	require.NoError(t, err)
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, out
}
