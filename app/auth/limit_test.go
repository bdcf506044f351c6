package auth_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/appydex/smoke/app/auth"
)

func TestHashLimitQueuesThenRefuses(t *testing.T) {
	l := auth.NewHashLimit(1, 1, time.Hour)
	release, err := l.Acquire(t.Context())
	require.NoError(t, err)

	// The second waits in the queue; with the queue full, a third is
	// refused at once.
	var wg sync.WaitGroup
	var secondErr error
	var secondRelease func()
	wg.Go(func() { secondRelease, secondErr = l.Acquire(t.Context()) })
	require.Eventually(t, func() bool { return l.Waiting() == 1 }, 5*time.Second, time.Millisecond, "the second waits in the queue")
	_, err = l.Acquire(t.Context())
	assert.ErrorIs(t, err, auth.ErrBusy, "a third caller, with one running and one waiting, is refused")

	release()
	wg.Wait()
	require.NoError(t, secondErr, "the waiting caller gets the slot once it is free")
	require.NotNil(t, secondRelease)
	secondRelease()
	release, err = l.Acquire(t.Context())
	require.NoError(t, err)
	release()
}

func TestHashLimitWaitRunsOut(t *testing.T) {
	l := auth.NewHashLimit(1, 10, 30*time.Millisecond)
	release, err := l.Acquire(t.Context())
	require.NoError(t, err)
	defer release()
	_, err = l.Acquire(t.Context())
	assert.ErrorIs(t, err, auth.ErrBusy, "a wait longer than the limit's is refused")

	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err = auth.NewHashLimit(1, 10, time.Hour).Verify(ctx, "pw", "$argon2id$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$a2V5")
	assert.NoError(t, err, "a free slot is taken without waiting, even on an ended context")
	_, err = l.Acquire(ctx)
	assert.ErrorIs(t, err, context.Canceled, "a caller that leaves while waiting gets its context's error")
}

func TestHashLimitVerifiesInItsSlot(t *testing.T) {
	cheap := auth.Argon2Params{MemoryKiB: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}
	hash, err := auth.HashPassword("right", cheap)
	require.NoError(t, err)
	l := auth.NewHashLimit(2, 0, time.Second)
	ok, err := l.Verify(t.Context(), "right", hash)
	require.NoError(t, err)
	assert.True(t, ok)
	ok, err = l.Verify(t.Context(), "wrong", hash)
	require.NoError(t, err)
	assert.False(t, ok)
}
