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

	"github.com/appydex/smoke/app/apitest"
	"github.com/appydex/smoke/harness/pgtest"
	"github.com/appydex/smoke/migrations"
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

	upper := map[string]string{"email_or_phone": "ADMIN@Appydex.Local", "password": admin["password"], "otp": admin["otp"]}
	status, body = call(t, "POST", api.URL+"/api/v1/auth/login", upper)
	assert.Equal(t, 200, status, "email matches case-insensitively: %s", body)
}

// The incident, reproduced by the API on its own: a database at the
// incident's head (no token_hash) and a model that writes it.
func TestLoginAgainstTheIncidentHeadIsTheIncident(t *testing.T) {
	t.Parallel()
	db := pgtest.AtVersion(t, migrations.IncidentHead)
	api := apitest.Start(t, apitest.Options{DatabaseURL: db.URL})

	status, body := call(t, "POST", api.URL+"/api/v1/auth/login", admin)
	assert.Equal(t, 500, status)
	assert.JSONEq(t, `{"code":"INTERNAL_ERROR","message":"Something went wrong","details":{}}`, string(body))
	lines := api.LogLines(`"level":"ERROR"`, `column \"token_hash\" of relation \"refresh_tokens\" does not exist`)
	require.Len(t, lines, 1, "the API's log:\n%s", api.Logs())
	assert.Contains(t, lines[0], "SQLSTATE 42703")

	status, body = call(t, "GET", api.URL+"/readyz", nil)
	assert.Equal(t, 503, status)
	assert.Contains(t, string(body), `"code":"SCHEMA_DRIFT"`)
	assert.Contains(t, string(body), "column refresh_tokens.token_hash: missing in database")
}

func keys(m map[string]any) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
