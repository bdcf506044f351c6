package sqltext_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/appydex/smoke/schema/sqltext"
)

// Statements end at semicolons outside quotes, E” strings and dollar-quoted
// bodies (tags with digits too).
func TestStatementsAreSplitWhereTheyEnd(t *testing.T) {
	sql := "CREATE FUNCTION f() RETURNS int LANGUAGE plpgsql AS $fn1$ BEGIN RETURN 1; END $fn1$;\n" +
		"INSERT INTO t VALUES (E'it\\'s; fine', 'a;b');\nALTER TABLE t DROP COLUMN c"
	stmts := sqltext.Split(sql)
	if assert.Len(t, stmts, 3, "%q", stmts) {
		assert.Equal(t, "\nALTER TABLE t DROP COLUMN c", stmts[2])
		assert.Equal(t, "\nINSERT INTO t VALUES (E'', '')", sqltext.WithoutLiterals(stmts[1]))
	}
}

func TestCommentsAreBlankedNotWhatQuotesHold(t *testing.T) {
	assert.Equal(t, "SELECT '-- kept', \"/* kept */\"   FROM t \n", sqltext.WithoutComments("SELECT '-- kept', \"/* kept */\" /* gone */ FROM t -- gone\n"))
}
