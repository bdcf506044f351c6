package flow_test

import (
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/appydex/smoke/harness/flow"
)

// An API that takes connections and never answers costs the run one
// timeout, not one per step: after the first request it did not answer,
// the run sends it nothing more, and says why in every step it skips.
func TestAnAPIThatDoesNotAnswerIsAskedOnce(t *testing.T) {
	var asked atomic.Int64
	hang := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		asked.Add(1)
		select {
		case <-hang:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(hang)

	res, err := flow.Run(t.Context(), flow.Config{BaseURL: srv.URL, Email: "admin@example.com", Password: "pw", OTP: "000000",
		Client: &http.Client{Timeout: 200 * time.Millisecond}})
	require.NoError(t, err)
	assert.False(t, res.Passed)
	assert.True(t, res.Unreachable)
	assert.EqualValues(t, 1, asked.Load(), "one request sent, one timeout:\n%s", res.Text())
	first := res.FirstUnreachable()
	require.NotNil(t, first)
	assert.Contains(t, first.Detail, "Client.Timeout exceeded")
	assert.Contains(t, res.Text(), "not sent: the API did not answer "+first.What[:len(first.What)-len(" answers")]+" earlier in the run")
}
