// Package tables declares the appydex auth schema once, in Go: the tables
// the reference API reads and writes, as its model says they are. The API's
// data layer takes its column lists from here, and the schema checks compare
// this declaration with the migrations and with live databases, so a model
// change without a migration fails a check before it fails a login.
package tables

import "github.com/appydex/smoke/schema/model"

// Users holds the accounts that sign in. Emails are stored in lower case.
var Users = &model.Table{
	Name: "users",
	Columns: []model.Column{
		{Name: "id", Type: "uuid", NotNull: true, Default: "gen_random_uuid()"},
		{Name: "email", Type: "character varying(255)"},
		{Name: "phone", Type: "character varying(32)"},
		{Name: "password_hash", Type: "text", NotNull: true},
		{Name: "roles", Type: "text[]", NotNull: true, Default: "'{}'::text[]"},
		{Name: "is_active", Type: "boolean", NotNull: true, Default: "true"},
		{Name: "totp_secret", Type: "character varying(64)"},
		{Name: "created_at", Type: "timestamp with time zone", NotNull: true, Default: "now()"},
		{Name: "updated_at", Type: "timestamp with time zone", NotNull: true, Default: "now()"},
	},
	PrimaryKey: []string{"id"},
	Uniques:    []model.Unique{{Columns: []string{"email"}}, {Columns: []string{"phone"}}},
	Checks: []model.Check{
		{Name: "users_email_or_phone_check", Expr: "email IS NOT NULL OR phone IS NOT NULL"},
		{Name: "users_email_lower_check", Expr: "email = lower(email)"},
		{Name: "users_roles_check", Expr: "roles <@ ARRAY['super_admin', 'admin', 'support', 'viewer']::text[]"},
	},
}

// RefreshTokens holds one row per refresh token issued: only the SHA-256 of
// the token (token_hash), its jti, and the family it was rotated within.
var RefreshTokens = &model.Table{
	Name: "refresh_tokens",
	Columns: []model.Column{
		{Name: "id", Type: "uuid", NotNull: true, Default: "gen_random_uuid()"},
		{Name: "user_id", Type: "uuid", NotNull: true},
		{Name: "jti", Type: "character varying(64)", NotNull: true},
		{Name: "family_id", Type: "uuid", NotNull: true},
		{Name: "parent_id", Type: "uuid"},
		{Name: "expires_at", Type: "timestamp with time zone", NotNull: true},
		{Name: "revoked", Type: "boolean", NotNull: true, Default: "false"},
		{Name: "revoked_at", Type: "timestamp with time zone"},
		{Name: "last_used_at", Type: "timestamp with time zone"},
		{Name: "user_agent", Type: "character varying(512)"},
		{Name: "ip_address", Type: "character varying(45)"},
		{Name: "created_at", Type: "timestamp with time zone", NotNull: true, Default: "now()"},
		{Name: "token_hash", Type: "character varying(255)"},
	},
	PrimaryKey: []string{"id"},
	Uniques:    []model.Unique{{Columns: []string{"jti"}}, {Columns: []string{"token_hash"}}},
	ForeignKeys: []model.ForeignKey{
		{Columns: []string{"user_id"}, References: "users", RefColumns: []string{"id"}, OnDelete: "CASCADE"},
		{Columns: []string{"parent_id"}, References: "refresh_tokens", RefColumns: []string{"id"}, OnDelete: "SET NULL"},
	},
	Checks: []model.Check{
		{Name: "refresh_tokens_live_token_has_hash_check", Expr: "revoked OR token_hash IS NOT NULL"},
	},
	Indexes: []model.Index{
		{Columns: []string{"user_id"}},
		{Columns: []string{"family_id"}},
	},
}

// ServiceTypeRequests holds vendors' requests for service types appydex
// does not list yet, and an admin's decision on each.
var ServiceTypeRequests = &model.Table{
	Name: "service_type_requests",
	Columns: []model.Column{
		{Name: "id", Type: "uuid", NotNull: true, Default: "gen_random_uuid()"},
		{Name: "requested_by", Type: "uuid", NotNull: true},
		{Name: "service_type", Type: "character varying(100)", NotNull: true},
		{Name: "description", Type: "text"},
		{Name: "status", Type: "service_type_request_status", NotNull: true, Default: "'pending'::service_type_request_status"},
		{Name: "reviewed_by", Type: "uuid"},
		{Name: "reviewed_at", Type: "timestamp with time zone"},
		{Name: "review_note", Type: "text"},
		{Name: "created_at", Type: "timestamp with time zone", NotNull: true, Default: "now()"},
		{Name: "updated_at", Type: "timestamp with time zone", NotNull: true, Default: "now()"},
	},
	PrimaryKey: []string{"id"},
	ForeignKeys: []model.ForeignKey{
		{Columns: []string{"requested_by"}, References: "users", RefColumns: []string{"id"}, OnDelete: "CASCADE"},
		{Columns: []string{"reviewed_by"}, References: "users", RefColumns: []string{"id"}, OnDelete: "SET NULL"},
	},
	Checks: []model.Check{
		{Name: "service_type_requests_reviewed_check", Expr: "(status = 'pending') = (reviewed_at IS NULL)"},
	},
	Indexes: []model.Index{
		{Columns: []string{"requested_by"}},
		{Columns: []string{"status"}},
	},
}

// Schema is the whole appydex auth model.
var Schema = model.Schema{
	Enums: []model.Enum{
		{Name: "service_type_request_status", Labels: []string{"pending", "approved", "rejected"}},
	},
	Tables: []*model.Table{Users, RefreshTokens, ServiceTypeRequests},
}
