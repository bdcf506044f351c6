package backend

import (
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/appydex/smoke/harness/drift"
	"github.com/appydex/smoke/schema"
)

func TestRevisionsAreReadAsTheToolsPrintThem(t *testing.T) {
	assert.Equal(t, []string{"2f6d5f68b472"}, parseRevisions("2f6d5f68b472 (head)\n"))
	assert.Equal(t, []string{"4"}, parseRevisions("4 (head)\n"))
	assert.Equal(t, []string{"a1", "b2"}, parseRevisions("b2 (head)\na1 (head)\n"), "several heads, sorted")
	assert.Empty(t, parseRevisions("(no version)\n\n"))
}

func TestRevisionFindingsNameTheIncidentsRootCause(t *testing.T) {
	incident := []drift.Comparison{{Want: "model", Got: "migrations", Findings: []schema.Finding{
		{ObjectType: schema.ObjectColumn, Object: "refresh_tokens.token_hash", Kind: schema.Missing, Severity: schema.Error},
		{ObjectType: schema.ObjectUnique, Object: "refresh_tokens.refresh_tokens_token_hash_key", Kind: schema.Missing, Severity: schema.Error},
	}}, {Want: "migrations", Got: "live"}, {Want: "model", Got: "live"}}
	at := Revisions{Current: []string{"2f6d5f68b472"}, Heads: []string{"2f6d5f68b472"}}
	findings := at.Findings(incident, []string{"alembic", "upgrade", "head"})
	require.Len(t, findings, 1)
	assert.Equal(t, KindModelWithoutMigration, string(findings[0].Kind))
	assert.Equal(t, schema.Error, findings[0].Severity)
	assert.Equal(t, "the database is at 2f6d5f68b472, the image's only head is 2f6d5f68b472, and the model has "+
		"refresh_tokens.token_hash, which no migration creates: the model changed without a migration", findings[0].Detail)

	behind := Revisions{Current: []string{"9f3a1d5c7e21"}, Heads: []string{"2f6d5f68b472"}}
	findings = behind.Findings(incident, []string{"alembic", "upgrade", "head"})
	require.Len(t, findings, 1)
	assert.Equal(t, drift.KindBehind, findings[0].Kind)
	assert.Equal(t, "alembic upgrade head", findings[0].Fix)

	agree := []drift.Comparison{{Want: "model", Got: "migrations"}, {Want: "migrations", Got: "live"}, {Want: "model", Got: "live"}}
	assert.Empty(t, at.Findings(agree, nil), "at the head, with nothing different, there is nothing to say")

	edited := []drift.Comparison{{Want: "model", Got: "migrations"}, {Want: "migrations", Got: "live", Findings: []schema.Finding{
		{ObjectType: schema.ObjectColumn, Object: "users.phone", Kind: schema.Missing, Severity: schema.Error}}}, {Want: "model", Got: "live"}}
	findings = at.Findings(edited, nil)
	require.Len(t, findings, 1)
	assert.Equal(t, drift.KindClaimsHeadDiff, findings[0].Kind)

	harmless := []drift.Comparison{{Want: "model", Got: "migrations"}, {Want: "migrations", Got: "live", Findings: []schema.Finding{
		{ObjectType: schema.ObjectColumn, Object: "users.nickname", Kind: schema.Unexpected, Severity: schema.Notice},
		{ObjectType: schema.ObjectIndex, Object: "users.users_email_idx", Kind: schema.Missing, Severity: schema.Warning}}}, {Want: "model", Got: "live"}}
	assert.Empty(t, at.Findings(harmless, nil), "the heads' claim is false only where an error differs")

	twoRows := Revisions{Current: []string{"2f6d5f68b472", "9f3a1d5c7e21"}, Heads: []string{"2f6d5f68b472"}}
	findings = twoRows.Findings(agree, []string{"alembic", "upgrade", "head"})
	require.Len(t, findings, 1)
	assert.Equal(t, drift.KindSeveralVersions, findings[0].Kind)
	assert.Equal(t, schema.Error, findings[0].Severity)
	assert.Contains(t, findings[0].Detail, "holds 9f3a1d5c7e21 beside the image's heads (2f6d5f68b472)")
	assert.Empty(t, Revisions{Current: []string{"a1", "b2"}, Heads: []string{"a1", "b2"}}.Findings(agree, nil), "a row a head, as alembic keeps two branches")

	findings = Revisions{Heads: []string{"2f6d5f68b472"}}.Findings(agree, nil)
	require.Len(t, findings, 1)
	assert.Equal(t, drift.KindNotRecorded, findings[0].Kind)
}

// With one row per migration applied (Active Record's schema_migrations),
// the whole set is judged: a migration older than the newest applied and
// never applied is pending, although the newest version says all is
// applied; a migration the image does not have is a warning, its effects
// left to the schema comparison.
func TestRevisionFindingsWithARowPerMigrationApplied(t *testing.T) {
	agree := []drift.Comparison{{Want: "model", Got: "migrations"}, {Want: "migrations", Got: "live"}, {Want: "model", Got: "live"}}
	migrate := []string{"bin/rails", "db:migrate"}
	all := []string{"20240101000000", "20240201000000", "20240301000000"}

	at := Revisions{Applied: true, Current: all, Heads: all}
	assert.Empty(t, at.Findings(agree, migrate))
	assert.Equal(t, "the database is at 20240301000000 (3 migrations applied); the image has 3 migrations, the newest 20240301000000", at.Summary())

	outOfOrder := Revisions{Applied: true, Current: []string{"20240101000000", "20240301000000"}, Heads: all}
	findings := outOfOrder.Findings(agree, migrate)
	require.Len(t, findings, 1)
	assert.Equal(t, "revision.unapplied", findings[0].Rule)
	assert.Equal(t, schema.Error, findings[0].Severity)
	assert.Equal(t, "1 migration of the image's 3 not applied: 20240201000000; 20240201000000 is older than 20240301000000, the newest applied, "+
		"so a look at the newest version alone says all is applied", findings[0].Detail)
	assert.Equal(t, "bin/rails db:migrate", findings[0].Fix)

	behind := Revisions{Applied: true, Current: all[:1], Heads: all}
	findings = behind.Findings(agree, migrate)
	require.Len(t, findings, 1)
	assert.Equal(t, "2 migrations of the image's 3 not applied: 20240201000000, 20240301000000", findings[0].Detail)

	unknown := Revisions{Applied: true, Current: append(slices.Clone(all), "20240401000000"), Heads: all}
	findings = unknown.Findings(agree, migrate)
	require.Len(t, findings, 1)
	assert.Equal(t, "revision.applied-unknown", findings[0].Rule)
	assert.Equal(t, schema.Warning, findings[0].Severity)
	assert.Equal(t, "the database records 1 migration (20240401000000), which the image does not have: it was migrated by other code", findings[0].Detail)

	incident := []drift.Comparison{{Want: "model", Got: "migrations", Findings: []schema.Finding{
		{ObjectType: schema.ObjectColumn, Object: "refresh_tokens.token_hash", Kind: schema.Missing, Severity: schema.Error}}},
		{Want: "migrations", Got: "live"}, {Want: "model", Got: "live"}}
	findings = at.Findings(incident, migrate)
	require.Len(t, findings, 1)
	assert.Equal(t, KindModelWithoutMigration, string(findings[0].Kind))
	assert.Equal(t, "the database is at 20240301000000 (3 migrations applied), every migration the image has (3), and the model has "+
		"refresh_tokens.token_hash, which no migration creates: the model changed without a migration", findings[0].Detail)
}
