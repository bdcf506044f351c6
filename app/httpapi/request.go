package httpapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
	"unicode/utf8"
)

const maxBody = 64 << 10 // 64 KiB

// decode reads a JSON object body into fields: name → where the string
// goes, and its longest accepted length. Every field is required and must
// be a non-empty string. It answers with the error to send, or nil.
func decode(w http.ResponseWriter, r *http.Request, fields map[string]field) *apiError {
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		return errNotJSON
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return errTooLarge
		}
		return validation(map[string]any{"body": "could not be read"})
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(body, &raw); err != nil || raw == nil {
		return validation(map[string]any{"body": "must be a JSON object"})
	}
	problems := map[string]any{}
	for name, f := range fields {
		v, ok := raw[name]
		if !ok || string(v) == "null" {
			problems[name] = "is required"
			continue
		}
		var s string
		if err := json.Unmarshal(v, &s); err != nil {
			problems[name] = "must be a string"
			continue
		}
		switch {
		case strings.TrimSpace(s) == "":
			problems[name] = "must not be empty"
		case utf8.RuneCountInString(s) > f.max:
			problems[name] = fmt.Sprintf("must be at most %d characters", f.max)
		case strings.ContainsRune(s, 0):
			problems[name] = "must not contain NUL characters"
		default:
			*f.into = s
		}
	}
	if len(problems) > 0 {
		return validation(problems)
	}
	return nil
}

type field struct {
	into *string
	max  int
}
