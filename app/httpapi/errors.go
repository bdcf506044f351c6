package httpapi

import (
	"encoding/json"
	"net/http"
	"strconv"
)

// apiError is every error the API answers, as the JSON body
// {"code", "message", "details"}.
type apiError struct {
	Status int `json:"-"`
	// RetryAfter, in seconds, is sent as the Retry-After header when set.
	RetryAfter int            `json:"-"`
	Code       string         `json:"code"`
	Message    string         `json:"message"`
	Details    map[string]any `json:"details"`
}

func (e *apiError) Error() string { return e.Code + ": " + e.Message }

// The errors the API answers with. Internal detail never reaches a client:
// it goes to the log line of the request.
var (
	errInvalidCredentials = &apiError{Status: http.StatusUnauthorized, Code: "INVALID_CREDENTIALS", Message: "Invalid email, phone, password or one-time code"}
	errTokenInvalid       = &apiError{Status: http.StatusUnauthorized, Code: "TOKEN_INVALID", Message: "The token is invalid, expired or revoked"}
	errTokenReused        = &apiError{Status: http.StatusUnauthorized, Code: "TOKEN_REUSED", Message: "The refresh token was already used; the session is revoked: sign in again"}
	errUnavailable        = &apiError{Status: http.StatusServiceUnavailable, Code: "SERVICE_UNAVAILABLE", Message: "The service is temporarily unavailable; try again shortly"}
	errBusy               = &apiError{Status: http.StatusServiceUnavailable, Code: "SERVICE_UNAVAILABLE", Message: "Too many sign-ins at once; try again shortly", RetryAfter: 5}
	errInternal           = &apiError{Status: http.StatusInternalServerError, Code: "INTERNAL_ERROR", Message: "Something went wrong"}
	errTooLarge           = &apiError{Status: http.StatusRequestEntityTooLarge, Code: "PAYLOAD_TOO_LARGE", Message: "The request body is larger than 64 KiB"}
	errNotJSON            = &apiError{Status: http.StatusUnsupportedMediaType, Code: "UNSUPPORTED_MEDIA_TYPE", Message: "Send the body as application/json"}
	errNotFound           = &apiError{Status: http.StatusNotFound, Code: "NOT_FOUND", Message: "No such endpoint"}
)

func validation(details map[string]any) *apiError {
	return &apiError{Status: http.StatusUnprocessableEntity, Code: "VALIDATION_ERROR", Message: "The request is not valid", Details: details}
}

func methodNotAllowed(allow string) *apiError {
	return &apiError{Status: http.StatusMethodNotAllowed, Code: "METHOD_NOT_ALLOWED", Message: "Use " + allow + " for this endpoint",
		Details: map[string]any{"allow": allow}}
}

func writeJSON(w http.ResponseWriter, status int, body any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}

func writeError(w http.ResponseWriter, e *apiError) {
	if e.Details == nil {
		e = &apiError{Status: e.Status, Code: e.Code, Message: e.Message, Details: map[string]any{}, RetryAfter: e.RetryAfter}
	}
	if e.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(e.RetryAfter))
	}
	if e.Status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="appydex"`)
	}
	writeJSON(w, e.Status, e)
}
