package httpapi_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/appydex/smoke/harness/apitest"
)

// fuzzPost sends body to path and fails on a 5xx or on an error answer
// outside the {"code","message","details"} envelope. A panic in a handler
// would be a 500, so it fails too.
func fuzzPost(t *testing.T, url, contentType string, body []byte) {
	if strings.ContainsFunc(contentType, func(r rune) bool { return r < 0x20 && r != '\t' || r == 0x7f }) {
		t.Skip("no HTTP client can send this Content-Type")
	}
	req, err := http.NewRequest("POST", url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", contentType)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	if resp.StatusCode >= 500 {
		t.Fatalf("%q %q answered %d: %s", contentType, body, resp.StatusCode, out)
	}
	if resp.StatusCode >= 400 {
		var envelope struct {
			Code    *string         `json:"code"`
			Message *string         `json:"message"`
			Details *map[string]any `json:"details"`
		}
		if err := json.Unmarshal(out, &envelope); err != nil || envelope.Code == nil || envelope.Message == nil || envelope.Details == nil {
			t.Fatalf("%q %q answered %d outside the error envelope: %s", contentType, body, resp.StatusCode, out)
		}
	}
}

func FuzzLogin(f *testing.F) {
	api := apitest.Start(f, apitest.Options{})
	f.Add("application/json", []byte(`{"email_or_phone":"admin@appydex.local","password":"admin123!@#","otp":"000000"}`))
	f.Add("application/json; charset=utf-8", []byte(`{"email_or_phone":"+15550100","password":"x","otp":"1"}`))
	f.Add("text/plain", []byte(`hello`))
	f.Fuzz(func(t *testing.T, contentType string, body []byte) {
		fuzzPost(t, api.URL+"/api/v1/auth/login", contentType, body)
	})
}

func FuzzRefresh(f *testing.F) {
	api := apitest.Start(f, apitest.Options{})
	_, refresh := loginPair(f, api)
	f.Add("application/json", []byte(`{"refresh_token":"`+refresh+`"}`))
	f.Add("application/json", []byte(`{"refresh_token":"eyJhbGciOiJub25lIn0.eyJ0eXAiOiJyZWZyZXNoIn0."}`))
	f.Fuzz(func(t *testing.T, contentType string, body []byte) {
		fuzzPost(t, api.URL+"/api/v1/auth/refresh", contentType, body)
		fuzzPost(t, api.URL+"/api/v1/auth/logout", contentType, body)
	})
}
