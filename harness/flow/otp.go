package flow

import (
	"context"
	"fmt"
	"time"

	"github.com/pquerna/otp/totp"
)

// totpPeriod is RFC 6238's time step, as authenticator apps use it.
const totpPeriod = 30

// codeSource gives each sign-in its one-time code: the static code, or a
// TOTP code of a step no earlier sign-in used. A TOTP code is good once,
// so the flow waits for the next step instead of reusing a spent one, and
// for a code with at least two seconds of its step left, so a server that
// allows no clock skew still takes it.
type codeSource struct {
	static, secret string
	lastStep       int64
	last           string // the newest code given: spent, for the replay check
}

// next returns the code for the next sign-in.
func (c *codeSource) next(ctx context.Context) (string, error) {
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
func (c *codeSource) spent() string {
	if c.secret == "" {
		return c.static
	}
	return c.last
}
