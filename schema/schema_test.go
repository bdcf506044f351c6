package schema_test

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/appydex/smoke/harness/pgtest"
	"github.com/appydex/smoke/schema"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

func read(t *testing.T, db *pgtest.DB, source string) *schema.Snapshot {
	t.Helper()
	snap, err := schema.Read(t.Context(), db.Pool, "public", source)
	require.NoError(t, err)
	return snap
}

func TestSnapshotReadsWhatPostgresPrints(t *testing.T) {
	db := pgtest.Clone(t)
	snap := read(t, db, "migrations")
	assert.ElementsMatch(t, []string{"users", "refresh_tokens", "service_type_requests"}, keys(snap.Tables),
		"bookkeeping tables are left out")
	assert.Equal(t, []string{"pending", "approved", "rejected"}, snap.Enums["service_type_request_status"].Labels)

	hash := snap.Tables["refresh_tokens"].Columns["token_hash"]
	require.NotNil(t, hash)
	assert.Equal(t, "character varying(255)", hash.Type)
	assert.False(t, hash.NotNull)
	status := snap.Tables["service_type_requests"].Columns["status"]
	assert.Equal(t, "public.service_type_request_status", status.Type, "an empty search_path qualifies user types")
	assert.Equal(t, "'pending'::public.service_type_request_status", status.Default)

	var defs []string
	for _, c := range snap.Tables["refresh_tokens"].Constraints {
		defs = append(defs, string(c.Kind)+" "+c.Name+" "+c.Def)
	}
	assert.Contains(t, defs, "foreign key refresh_tokens_user_id_fkey FOREIGN KEY (user_id) REFERENCES public.users(id) ON DELETE CASCADE")
	assert.Contains(t, defs, "unique refresh_tokens_token_hash_key UNIQUE (token_hash)")
	var indexes []string
	for _, ix := range snap.Tables["refresh_tokens"].Indexes {
		indexes = append(indexes, ix.Name+": "+ix.Def)
	}
	assert.ElementsMatch(t, []string{
		"refresh_tokens_user_id_idx: CREATE INDEX ON public.refresh_tokens USING btree (user_id)",
		"refresh_tokens_family_id_idx: CREATE INDEX ON public.refresh_tokens USING btree (family_id)",
	}, indexes, "indexes that back constraints are listed with their constraints only")
	assert.Empty(t, snap.Others)
}

func TestSnapshotOfIdentityAndSerialColumns(t *testing.T) {
	db := pgtest.Empty(t)
	db.Exec(t, `CREATE TABLE events (
		id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
		seq serial,
		total numeric(12,2) GENERATED ALWAYS AS (0) STORED)`)
	snap := read(t, db, "live")
	cols := snap.Tables["events"].Columns
	assert.Equal(t, "ALWAYS", cols["id"].Identity)
	assert.Equal(t, "", cols["id"].Default)
	assert.Equal(t, "nextval('public.events_seq_seq'::regclass)", cols["seq"].Default)
	assert.Equal(t, "0", cols["total"].Generated)
	assert.Equal(t, "numeric(12,2)", cols["total"].Type)
	require.Contains(t, snap.Sequences, "events_seq_seq")
	assert.Equal(t, "events.seq", snap.Sequences["events_seq_seq"].OwnedBy)
	assert.NotContains(t, snap.Sequences, "events_id_seq", "an identity's sequence is part of its column")
}

func TestExtensionObjectsAreLeftOut(t *testing.T) {
	db := pgtest.Empty(t)
	var available bool
	ctx := t.Context()
	require.NoError(t, db.Pool.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'pgcrypto')").Scan(&available))
	if !available {
		t.Skip("pgcrypto is not installed with this server")
	}
	db.Exec(t, "CREATE EXTENSION pgcrypto; CREATE TABLE t (id int PRIMARY KEY)")
	snap := read(t, db, "live")
	assert.Equal(t, []string{"t"}, keys(snap.Tables))
	assert.Empty(t, snap.Others, "pgcrypto's functions belong to the extension")
}

// A role that may not read a catalog gets an error naming it.
func TestRoleThatCannotReadACatalog(t *testing.T) {
	srv := pgtest.OwnServer(t, "it creates a role, which is the server's, not a database's")
	db := pgtest.CloneOf(t, pgtest.TemplateOn(t, srv))
	role := "smoke_reader_" + strings.ToLower(strings.ReplaceAll(t.Name(), "/", "_"))[:20]
	db.Exec(t, fmt.Sprintf(`CREATE ROLE %[1]s LOGIN PASSWORD 'reader';
		GRANT CONNECT ON DATABASE %[2]s TO %[1]s;
		REVOKE SELECT ON pg_catalog.pg_attrdef FROM PUBLIC;`, role, db.Name))
	t.Cleanup(func() { // before the clone is dropped: roles are the server's, not the database's
		admin := pgtest.Pool(t, srv.AdminURL())
		for _, sql := range []string{fmt.Sprintf("REVOKE CONNECT ON DATABASE %s FROM %s", db.Name, role), "DROP ROLE " + role} {
			_, err := admin.Exec(context.Background(), sql)
			assert.NoError(t, err, sql)
		}
	})

	cfg, err := pgx.ParseConfig(db.URL)
	require.NoError(t, err)
	cfg.User, cfg.Password = role, "reader"
	ctx := context.Background()
	conn, err := pgx.ConnectConfig(ctx, cfg)
	require.NoError(t, err)
	defer conn.Close(ctx)
	_, err = schema.Read(ctx, conn, "public", "live")
	require.Error(t, err)
	t.Logf("Read: %v", err)
	assert.Contains(t, err.Error(), "cannot read pg_catalog.pg_attrdef: permission denied for table pg_attrdef")
	assert.Contains(t, err.Error(), "GRANT SELECT ON pg_catalog.pg_attrdef TO")
}

func TestMissingSchemaIsAnError(t *testing.T) {
	db := pgtest.Empty(t)
	_, err := schema.Read(t.Context(), db.Pool, "appydex", "live")
	require.Error(t, err)
	assert.Contains(t, err.Error(), `the database has no schema "appydex"`)
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// TestBuiltInCastsAreTheServers holds casts.tsv, which says which type
// changes a USING cast can mend, to the server's own pg_cast.
func TestBuiltInCastsAreTheServers(t *testing.T) {
	db := pgtest.Empty(t)
	rows, err := db.Pool.Query(t.Context(), `SELECT format_type(castsource, NULL) || E'\t' || format_type(casttarget, NULL)
		FROM pg_cast WHERE castsource < 16384 AND casttarget < 16384`)
	require.NoError(t, err)
	server, err := pgx.CollectRows(rows, pgx.RowTo[string])
	require.NoError(t, err)
	embedded, err := os.ReadFile("casts.tsv")
	require.NoError(t, err)
	var listed []string
	for _, line := range strings.Split(strings.TrimSpace(string(embedded)), "\n") {
		if !strings.HasPrefix(line, "#") {
			listed = append(listed, line)
		}
	}
	slices.Sort(server)
	slices.Sort(listed)
	require.Equal(t, server, listed, "schema/casts.tsv against the server's pg_cast")
}
