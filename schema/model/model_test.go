package model_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/appydex/smoke/app/tables"
	"github.com/appydex/smoke/schema/model"
)

func TestTheAppydexModelIsWhole(t *testing.T) {
	require.NoError(t, tables.Schema.Validate())
}

func TestValidateNamesEveryProblem(t *testing.T) {
	s := model.Schema{
		Enums: []model.Enum{{Name: "status"}},
		Tables: []*model.Table{
			{
				Name:       "tokens",
				Columns:    []model.Column{{Name: "id", Type: "uuid"}, {Name: "id", Type: "uuid"}, {Name: "owner", Type: ""}},
				PrimaryKey: []string{"token_id"},
				ForeignKeys: []model.ForeignKey{
					{Columns: []string{"owner"}, References: "accounts", RefColumns: []string{"id"}},
					{Columns: []string{"owner"}, References: "tokens", RefColumns: []string{"id", "x"}, OnDelete: "DELETE"},
				},
			},
		},
	}
	err := s.Validate()
	require.Error(t, err)
	for _, want := range []string{
		"model: enum status: has no labels",
		"model: tokens.id: declared twice",
		"model: tokens.owner: has no type",
		`model: tokens primary key: names column "token_id", which the table does not declare`,
		`model: tokens foreign key owner: references table "accounts", which the model does not declare`,
		"model: tokens foreign key owner: has 1 columns but references 2",
		`model: tokens foreign key owner: ON DELETE "DELETE": use CASCADE, SET NULL, SET DEFAULT, RESTRICT or NO ACTION`,
		"model: tokens foreign key owner: references tokens.x, which the model does not declare",
	} {
		assert.Contains(t, err.Error(), want)
	}
}

func TestDDLCreatesTypesTablesKeysThenIndexes(t *testing.T) {
	ddl := strings.Join(tables.Schema.DDL(), ";\n")
	enum := strings.Index(ddl, "CREATE TYPE service_type_request_status AS ENUM ('pending', 'approved', 'rejected')")
	table := strings.Index(ddl, "CREATE TABLE service_type_requests (")
	fk := strings.Index(ddl, "ALTER TABLE refresh_tokens ADD FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE")
	index := strings.Index(ddl, "CREATE INDEX ON refresh_tokens (user_id)")
	for name, at := range map[string]int{"enum": enum, "table": table, "foreign key": fk, "index": index} {
		require.GreaterOrEqual(t, at, 0, "%s statement missing from:\n%s", name, ddl)
	}
	assert.Less(t, enum, table)
	assert.Less(t, table, fk)
	assert.Less(t, fk, index)
	assert.Contains(t, ddl, "CONSTRAINT users_email_lower_check CHECK (email = lower(email))")
	assert.Contains(t, ddl, "token_hash character varying(255)")
}

func TestColumnNamesForAnInsert(t *testing.T) {
	assert.Equal(t,
		[]string{"user_id", "jti", "family_id", "parent_id", "expires_at", "revoked", "revoked_at", "last_used_at", "user_agent", "ip_address", "token_hash"},
		tables.RefreshTokens.ColumnNames("id", "created_at"))
}
