package schematest_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/appydex/smoke/harness/pgtest"
	"github.com/appydex/smoke/schema/schematest"
)

// The oracle cuts a dump into statements — a function's body, semicolons
// and all, is one — and normalises only the order of statements, of a
// table's columns and of WITH (…) items.
func TestStatementsNormaliseOnlyWhatIsIgnored(t *testing.T) {
	a := schematest.Statements(`--
-- PostgreSQL database dump
--
SET statement_timeout = 0;
SELECT pg_catalog.set_config('search_path', '', false);

CREATE TABLE public.t (
    b text,
    a integer NOT NULL
)
WITH (fillfactor='70', autovacuum_enabled='false');

CREATE FUNCTION public.f() RETURNS integer
    LANGUAGE plpgsql
    AS $_$ BEGIN
  RETURN 1;
END; $_$;
`)
	b := schematest.Statements(`CREATE FUNCTION public.f() RETURNS integer
    LANGUAGE plpgsql
    AS $_$ BEGIN
  RETURN 1;
END; $_$;

CREATE TABLE public.t (
    a integer NOT NULL,
    b text
)
WITH (autovacuum_enabled='false', fillfactor='70');
`)
	assert.Len(t, a, 2, "%q", a)
	assert.Empty(t, schematest.DumpDiff(a, b))

	c := schematest.Statements("CREATE TABLE public.t (\n    a integer,\n    b text\n);\n")
	assert.Equal(t, "- CREATE TABLE public.t (\n      a integer\n      b text\n  );\n", schematest.DumpDiff(c, nil))
	assert.NotEmpty(t, schematest.DumpDiff(a, c), "NOT NULL, storage parameters and a function are differences")
}

// The oracle fails a test whose two databases dump otherwise, naming the
// statements only one has.
func TestRequireSameDumpFailsOnADifference(t *testing.T) {
	a, b := pgtest.Empty(t), pgtest.Empty(t)
	a.Exec(t, `CREATE TABLE t (id int GENERATED ALWAYS AS IDENTITY (MAXVALUE 1000))`)
	b.Exec(t, `CREATE TABLE t (id int GENERATED ALWAYS AS IDENTITY)`)
	tb := &fakeTB{TB: t}
	schematest.RequireSameDump(tb, "a", a.URL, "b", b.URL)
	assert.Contains(t, tb.fatal, "pg_dump --schema-only of b differs from a's")
	assert.Contains(t, tb.fatal, "MAXVALUE 1000")

	tb = &fakeTB{TB: t}
	schematest.RequireSameDump(tb, "a", a.URL, "a again", a.URL)
	assert.Empty(t, tb.fatal)
}
