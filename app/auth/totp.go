package auth

import (
	"crypto/subtle"
	"sync"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
)

// totpOpts are RFC 6238's defaults, as authenticator apps use them; one step
// of clock skew is accepted either way.
var totpOpts = totp.ValidateOpts{Period: 30, Skew: 1, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1}

// OTP checks one-time passwords: a user's TOTP code, each usable once per
// time step, or — only when DevCode is set, for development and tests — a
// static code.
//
// The steps already used are remembered in this process: one API instance
// refuses every replay; several instances would need to share them.
type OTP struct {
	DevCode string // "" (the default): no static code exists
	Now     func() time.Time

	mu   sync.Mutex
	used map[string]uint64 // user id → the newest time step a code was accepted for
}

// Verify reports whether code is valid for the user now, and spends it.
func (o *OTP) Verify(userID, secret, code string) bool {
	if o.DevCode != "" && subtle.ConstantTimeCompare([]byte(code), []byte(o.DevCode)) == 1 {
		return true
	}
	if secret == "" || len(code) != 6 {
		return false
	}
	now := o.Now()
	step := uint64(now.Unix()) / uint64(totpOpts.Period)
	// Which step (now, one before, one after) does the code belong to?
	for _, s := range []uint64{step, step - 1, step + 1} {
		want, err := totp.GenerateCodeCustom(secret, time.Unix(int64(s*uint64(totpOpts.Period)), 0), totpOpts)
		if err != nil || subtle.ConstantTimeCompare([]byte(want), []byte(code)) != 1 {
			continue
		}
		return o.spend(userID, s)
	}
	return false
}

// spend accepts step for the user unless a code of that step or a later one
// was already accepted.
func (o *OTP) spend(userID string, step uint64) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.used == nil {
		o.used = map[string]uint64{}
	}
	if last, ok := o.used[userID]; ok && step <= last {
		return false
	}
	o.used[userID] = step
	return true
}
