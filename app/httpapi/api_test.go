package httpapi_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/appydex/smoke/harness/apitest"
	"github.com/appydex/smoke/harness/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// call sends a JSON body and returns the status and body.
func call(t testing.TB, method, url string, body any, header ...string) (int, []byte) {
	t.Helper()
	var r io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		r = strings.NewReader(b)
	default:
		j, err := json.Marshal(b)
		require.NoError(t, err)
		r = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, url, r)
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, out
}

var admin = map[string]string{"email_or_phone": "admin@appydex.local", "password": "admin123!@#", "otp": "000000"}

func TestLoginAsTheDevelopmentAdmin(t *testing.T) {
	t.Parallel()
	api := apitest.Start(t, apitest.Options{})
	status, body := call(t, "POST", api.URL+"/api/v1/auth/login", admin)
	require.Equal(t, 200, status, "%s", body)
	var pair map[string]any
	require.NoError(t, json.Unmarshal(body, &pair))
	assert.Equal(t, "bearer", pair["token_type"])
	assert.EqualValues(t, 900, pair["expires_in"])
	user := pair["user"].(map[string]any)
	assert.Equal(t, "admin@appydex.local", user["email"])
	assert.Equal(t, []any{"super_admin"}, user["roles"])
	assert.ElementsMatch(t, []string{"id", "email", "phone", "roles", "is_active", "created_at"}, keys(user),
		"never a hash or a secret in user")

	assert.Len(t, api.LogLines(`"msg":"request"`, `"path":"/api/v1/auth/login"`, `"status":200`), 1,
		"the request's log line gives the status it answered:\n%s", api.Logs())

	upper := map[string]string{"email_or_phone": "ADMIN@Appydex.Local", "password": admin["password"], "otp": admin["otp"]}
	status, body = call(t, "POST", api.URL+"/api/v1/auth/login", upper)
	assert.Equal(t, 200, status, "email matches case-insensitively: %s", body)
}

func keys(m map[string]any) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
