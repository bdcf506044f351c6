// Package migrations holds the appydex auth schema as golang-migrate files,
// embedded so every binary of this project carries the exact history it checks.
//
// Files are named NNNNNN_name.up.sql / NNNNNN_name.down.sql. Version 3,
// add_service_type_requests_table, is the head the incident's database
// reported; version 4 adds refresh_tokens.token_hash, the column it lacked.
package migrations

import "embed"

// FS holds every migration file of this folder.
//
//go:embed *.sql
var FS embed.FS

// Dir names the folder in messages ("migrations/000004_….up.sql") and in
// the checks that read the files: FS holds the files at its root.
const Dir = "migrations"

// IncidentHead is the version the incident's database reported as applied:
// 000003_add_service_type_requests_table, whose schema has no
// refresh_tokens.token_hash.
const IncidentHead = 3
