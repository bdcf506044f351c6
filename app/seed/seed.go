// Package seed makes the development fixture exist: the admin the incident
// report logs in as. It is for development and tests only; production
// accounts are never seeded.
package seed

import (
	"context"

	"github.com/appydex/smoke/app/auth"
	"github.com/appydex/smoke/app/store"
)

// The development admin of the incident report. It signs in with the
// static one-time code 000000, which the API accepts only when started
// with a development OTP (APPYDEX_DEV_OTP=000000): never by default.
const (
	AdminEmail    = "admin@appydex.local"
	AdminPassword = "admin123!@#"
	DevOTP        = "000000"
)

// A disabled development account: the right password and code, yet it may
// not sign in, and must be told exactly what a wrong password is told.
const (
	InactiveEmail    = "inactive@appydex.local"
	InactivePassword = "inactive123!@#"
)

// DevAdmin creates the development admin, or resets it to these
// credentials; it is safe to run any number of times. params are the
// argon2id costs of its password hash.
func DevAdmin(ctx context.Context, st *store.Store, params auth.Argon2Params) (string, error) {
	hash, err := auth.HashPassword(AdminPassword, params)
	if err != nil {
		return "", err
	}
	return st.UpsertUser(ctx, store.NewUser{Email: AdminEmail, PasswordHash: hash, Roles: []string{"super_admin"}})
}

// DevInactive creates the disabled development account, or resets it.
func DevInactive(ctx context.Context, st *store.Store, params auth.Argon2Params) (string, error) {
	hash, err := auth.HashPassword(InactivePassword, params)
	if err != nil {
		return "", err
	}
	return st.UpsertUser(ctx, store.NewUser{Email: InactiveEmail, PasswordHash: hash, Roles: []string{"viewer"}, Inactive: true})
}
