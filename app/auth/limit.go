package auth

import (
	"context"
	"errors"
	"sync/atomic"
	"time"
)

// ErrBusy is a password check refused because too many wait already, or
// because its wait in the queue ran out: the caller answers 503 with a
// Retry-After, and the client tries again.
var ErrBusy = errors.New("too many password checks waiting")

// HashLimit bounds the argon2id work in flight. Each hash holds its memory
// (19 MiB at OWASP's cost) and a core for tens of milliseconds; run without
// bound, a storm of sign-ins starves the CPU, every request's other work —
// its database queries — runs out of time, and the memory grows with the
// storm. With a limit, at most Concurrent hashes run at once, the rest wait
// in a queue of at most Queue, and a wait ends after Wait.
type HashLimit struct {
	slots   chan struct{}
	waiting atomic.Int64
	queue   int64
	wait    time.Duration
}

// NewHashLimit makes a limit of concurrent hashes at once (at least 1) with
// a queue of up to queue waiting, each for at most wait.
func NewHashLimit(concurrent, queue int, wait time.Duration) *HashLimit {
	return &HashLimit{slots: make(chan struct{}, max(concurrent, 1)), queue: int64(queue), wait: wait}
}

// Wait is the longest a password check waits for its turn.
func (l *HashLimit) Wait() time.Duration { return l.wait }

// Waiting is how many callers wait for a slot now.
func (l *HashLimit) Waiting() int { return int(l.waiting.Load()) }

// Concurrent is how many hashes may run at once.
func (l *HashLimit) Concurrent() int { return cap(l.slots) }

// Acquire takes a slot for one hash, waiting in the queue for one to free
// up; release gives it back. It returns ErrBusy when the queue is full or
// the wait runs out, and ctx's error when ctx ends first.
func (l *HashLimit) Acquire(ctx context.Context) (release func(), err error) {
	release = func() { <-l.slots }
	select {
	case l.slots <- struct{}{}:
		return release, nil
	default:
	}
	if l.waiting.Add(1) > l.queue {
		l.waiting.Add(-1)
		return nil, ErrBusy
	}
	defer l.waiting.Add(-1)
	timer := time.NewTimer(l.wait)
	defer timer.Stop()
	select {
	case l.slots <- struct{}{}:
		return release, nil
	case <-timer.C:
		return nil, ErrBusy
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// Verify is VerifyPassword in a slot (Acquire).
func (l *HashLimit) Verify(ctx context.Context, password, hash string) (bool, error) {
	release, err := l.Acquire(ctx)
	if err != nil {
		return false, err
	}
	defer release()
	return VerifyPassword(password, hash)
}
