package flow_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/appydex/smoke/harness/flow"
)

func TestFlowRefusesABadBaseURL(t *testing.T) {
	_, err := flow.Run(t.Context(), flow.Config{BaseURL: "localhost:16110"})
	require.Error(t, err)
	assert.Contains(t, err.Error(), `API URL "localhost:16110": want http(s)://host[:port]`)
}
