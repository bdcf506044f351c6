package backend

import (
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
