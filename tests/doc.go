// Package tests is the end-to-end suite: the stories the harness exists
// for, each in a file of its own, told the way the incident report's
// verification steps are, against a real PostgreSQL 15 and real HTTP
// servers. Start here.
//
//	migrations_test.go   every migration applies, and up → down → up leaves the same schema
//	schema_test.go       refresh_tokens — and every table — matches the model
//	incident_test.go     the incident reproduces (a 500, the log line, the drift finding),
//	                     and the pending migration fixes it
//	login_flow_test.go   the whole login → refresh → reuse → logout flow passes
//	backends_test.go     any backend, described by a backend.yaml: the incident's own stack
//	                     (FastAPI, SQLAlchemy, alembic) and the reference API, each in
//	                     containers beside PostgreSQL, agree with themselves and pass the
//	                     flow; the incident reproduces in its own stack and Option 1 fixes it
//	flow_strictness_test.go  the flow fails deliberately broken variants of the API
//	                     (broken_backends_test.go), each with a line naming what broke;
//	                     one failed check hides no later bug; token storage judged by
//	                     what it is (sha256, opaque), stored in the clear said so
//	backend_variants_test.go  the backends in containers: the expired-tokens step on an
//	                     instance with short lifetimes, passing on the good images and
//	                     failing on a FastAPI image that skips the expiry check; a FastAPI
//	                     image that stores its tokens in the clear, told so
//
// The unit and package tests live beside their code (harness/…, app/…,
// schema/…); the smoke command's own tests, its interrupts among them, in
// cmd/smoke. `make test` runs them all.
package tests
