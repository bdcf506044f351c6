package pgenv_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/appydex/smoke/harness/pgtest"
)

// counter is a compute function that says how often it ran.
type counter struct{ runs int }

func (c *counter) compute(value string) func() ([]byte, error) {
	return func() ([]byte, error) {
		c.runs++
		return []byte(value), nil
	}
}

// On a shared server what one run computed is read back by the next that
// asks with the same key; another key computes its own; a failure is not
// kept.
func TestASharedServerRemembers(t *testing.T) {
	srv := pgtest.Server(t)
	if !srv.Shared() {
		t.Skip("this run gives each package a server of its own (SMOKE_PG_SHARE=0): nothing is remembered, as TestAServerOfOnesOwnRemembersNothing checks")
	}
	key := fmt.Sprintf("%s %d", t.Name(), time.Now().UnixNano()) // nothing an earlier run kept
	var c counter

	v, reused, err := srv.Remember(key, c.compute("first"))
	require.NoError(t, err)
	assert.Equal(t, "first", string(v))
	assert.False(t, reused)

	v, reused, err = srv.Remember(key, c.compute("second"))
	require.NoError(t, err)
	assert.Equal(t, "first", string(v), "the value kept, not computed again")
	assert.True(t, reused)
	assert.Equal(t, 1, c.runs)

	v, reused, err = srv.Remember(key+" other", c.compute("other"))
	require.NoError(t, err)
	assert.Equal(t, "other", string(v))
	assert.False(t, reused)

	failing := key + " failing"
	_, _, err = srv.Remember(failing, func() ([]byte, error) { return nil, errors.New("broken") })
	require.EqualError(t, err, "broken")
	v, reused, err = srv.Remember(failing, c.compute("mended"))
	require.NoError(t, err)
	assert.Equal(t, "mended", string(v), "a failure is computed again, never kept")
	assert.False(t, reused)
}

func TestAServerOfOnesOwnRemembersNothing(t *testing.T) {
	srv := pgtest.OwnServer(t, "a server not shared keeps nothing for another run")
	key := fmt.Sprintf("%s %d", t.Name(), time.Now().UnixNano())
	var c counter
	for range 2 {
		_, reused, err := srv.Remember(key, c.compute("v"))
		require.NoError(t, err)
		assert.False(t, reused)
	}
	assert.Equal(t, 2, c.runs)
}
