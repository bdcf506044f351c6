package redact_test

import (
	"errors"
	"fmt"
	"io/fs"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/appydex/smoke/redact"
)

func TestURLMasksThePasswordInEveryForm(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"postgres://u:pw@h:5432/db?sslmode=disable", "postgres://u:xxxxx@h:5432/db?sslmode=disable"},
		{"postgres://u@h/db?password=pw", "postgres://u@h/db?password=xxxxx"},
		{"postgres://u@h/db", "postgres://u@h/db"},
		{"host=h password=pw dbname=db", "host=h password=xxxxx dbname=db"},
		{"host=h password='p w' dbname=db", "host=h password=xxxxx dbname=db"},
		{"postgres://u:pw@h:port/db", "postgres://u:xxxxx@h:port/db"}, // does not parse: masked by pattern
	} {
		assert.Equal(t, tc.want, redact.URL(tc.in), "URL(%q)", tc.in)
	}
}

func TestErrorMasksThePasswordAndKeepsTheChain(t *testing.T) {
	conn := "postgres://deploy:s3cr%40t@db:5432/appydex"
	cause := fmt.Errorf("dial postgres://deploy:s3cr%%40t@db:5432: password s3cr@t refused: %w", fs.ErrNotExist)
	err := redact.Error(cause, conn)
	assert.NotContains(t, err.Error(), "s3cr")
	assert.Contains(t, err.Error(), "postgres://deploy:xxxxx@db:5432")
	assert.True(t, errors.Is(err, fs.ErrNotExist), "errors.Is reaches the cause")
	assert.NoError(t, redact.Error(nil, conn))
}

func TestSecretsShowsTokensAndPasswordsAsFingerprints(t *testing.T) {
	jwt := "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1c2VyIn0.c2lnbmF0dXJl"
	none := "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ1c2VyIn0."
	text := `{"access_token":"` + jwt + `","refresh_token":"` + none + `","password":"admin123!@#","otp":"000"}`
	got := redact.Secrets(text, "admin123!@#", "", "000")
	assert.NotContains(t, got, jwt)
	assert.NotContains(t, got, none)
	assert.NotContains(t, got, "admin123!@#")
	assert.Contains(t, got, "[jwt "+redact.Fingerprint(jwt)+"]")
	assert.Contains(t, got, `"password":"[`+redact.Fingerprint("admin123!@#")+`]"`)
	assert.Contains(t, got, `"otp":"000"`, "a secret too short to mask safely is left alone")
	assert.Regexp(t, `^sha256:[0-9a-f]{8}$`, redact.Fingerprint(jwt))
	assert.NotEqual(t, redact.Fingerprint(jwt), redact.Fingerprint(none))
}
