package flow

import (
	"context"
	"sync"
	"time"
)

// Clock is a clock the flow can move forward, for a deployment whose clock
// the caller controls: give its Now to an in-process API (as smoke run and
// repro do) and its Wait to Config.Wait. Expiry is then proved in no time,
// and a sliding expiry still shows, since the API's clock really moves.
type Clock struct {
	mu     sync.Mutex
	offset time.Duration
}

// Now is the real time plus every Wait so far.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.offset)
}

// Wait moves the clock d forward, at once.
func (c *Clock) Wait(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	c.offset += d
	c.mu.Unlock()
	return nil
}
