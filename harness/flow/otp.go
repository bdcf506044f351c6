package flow

import (
	"context"
	"fmt"
	"time"

	"github.com/pquerna/otp/totp"
)

// totpPeriod is RFC 6238's time step, as authenticator apps use it.
const totpPeriod = 30

// Codes gives each sign-in its one-time code: the static code, or a TOTP
// code of a step no earlier sign-in used. Share one between the flow
// (Config.Codes) and any other sign-in of the same run, so none replays a
// code another spent. A TOTP code is good once,
// so the flow waits for the next step instead of reusing a spent one, and
// for a code with at least two seconds of its step left, so a server that
// allows no clock skew still takes it.
type Codes struct {
	static, secret string
	lastStep       int64
	last           string // the newest code given: spent, for the replay check
}

// NewCodes gives static every time, or — with a base32 TOTP secret — a
// fresh TOTP code per sign-in.
func NewCodes(static, secret string) *Codes { return &Codes{static: static, secret: secret} }

// Next returns the code for the next sign-in, waiting for a fresh time step
// when a TOTP code of this one was given already.
func (c *Codes) Next(ctx context.Context) (string, error) {
	if c.secret == "" {
		return c.static, nil
	}
	for {
		now := time.Now()
		step := now.Unix() / totpPeriod
		left := time.Unix((step+1)*totpPeriod, 0).Sub(now)
		if step > c.lastStep && left >= 2*time.Second {
			code, err := totp.GenerateCode(c.secret, now)
			if err != nil {
				return "", fmt.Errorf("make a TOTP code: the secret is not base32 (%v)", err)
			}
			c.lastStep, c.last = step, code
			return code, nil
		}
		select {
		case <-ctx.Done():
			return "", ctx.Err()
		case <-time.After(left + 100*time.Millisecond):
		}
	}
}

// spent is a code a sign-in already used: for a wrong-credentials attempt,
// which must be refused whatever its code, and for the replay check.
func (c *Codes) spent() string {
	if c.secret == "" {
		return c.static
	}
	return c.last
}
