package drift

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/appydex/smoke/schema/sqltext"
)

func TestWhatAStatementDrops(t *testing.T) {
	for _, c := range []struct {
		sql  string
		want []Drop
	}{
		{"ALTER TABLE refresh_tokens DROP CONSTRAINT x, DROP COLUMN token_hash", []Drop{{Table: "refresh_tokens", Column: "token_hash", What: "drops"}}},
		{`alter table if exists only public."Users" drop "Email" cascade, alter column name type text`,
			[]Drop{{Table: "Users", Column: "name", What: "retypes"}}},
		{"ALTER TABLE s.t ALTER COLUMN a SET DATA TYPE bigint, ALTER b DROP NOT NULL, DROP IF EXISTS c",
			[]Drop{{Table: "s.t", Column: "c", What: "drops"}, {Table: "s.t", Column: "a", What: "retypes"}}},
		{"DROP TABLE IF EXISTS a, public.b", []Drop{{Table: "a", What: "drops"}, {Table: "b", What: "drops"}}},
		{"DROP TABLE a CASCADE", nil},
		{"ALTER TABLE t ADD CONSTRAINT k CHECK (a <> 'DROP x')", nil},
		{"CREATE TABLE a (id int)", nil},
	} {
		assert.Equal(t, c.want, dropsOf(sqltext.WithoutLiterals(c.sql)), "dropsOf(%q)", c.sql)
	}
}

// Settings are read as PostgreSQL reads them, and judged by what they do.
func TestSettingsAreJudgedByTheirEffect(t *testing.T) {
	for _, c := range []struct {
		name, value, rule string
	}{
		{"default_transaction_read_only", "on", "setting.read-only"},
		{"default_transaction_read_only", "TRUE", "setting.read-only"},
		{"default_transaction_read_only", "ye", "setting.read-only"},
		{"default_transaction_read_only", "off", ""},
		{"transaction_read_only", "1", "setting.read-only"},
		{"session_replication_role", "replica", "setting.replication-role"},
		{"session_replication_role", "origin", ""},
		{"default_transaction_isolation", "serializable", "setting.isolation"},
		{"statement_timeout", "250", "setting.timeout-short"},
		{"statement_timeout", "250ms", "setting.timeout-short"},
		{"lock_timeout", "2s", "setting.timeout"},
		{"idle_in_transaction_session_timeout", "5min", "setting.timeout"},
		{"statement_timeout", "0", ""},
		{"row_security", "off", "setting.row-security-off"},
		{"work_mem", "64MB", ""},
	} {
		rule, _ := judgeSetting(roleSetting{name: c.name, value: c.value}, true)
		assert.Equal(t, c.rule, rule.ID, "%s = %s", c.name, c.value)
	}
	rule, _ := judgeSetting(roleSetting{name: "row_security", value: "off"}, false)
	assert.Empty(t, rule.ID, "row_security off where no table of the application's has row level security")
}
