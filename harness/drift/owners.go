package drift

import (
	"context"
	"fmt"
	"maps"
	"slices"

	"github.com/jackc/pgx/v5"

	"github.com/appydex/smoke/harness/migrator"
	"github.com/appydex/smoke/schema"
	"github.com/appydex/smoke/schema/pgident"
)

// KindOwner: an object of the migrations' owned by a role other than the
// one that runs them.
const KindOwner schema.Kind = "owned by another role"

// owned is an object of the live database and its owner.
type owned struct {
	kind  schema.ObjectType // a table, sequence, view, materialized view, type or function
	key   string            // as a snapshot keys it
	sql   string            // its name in SQL: schema-qualified, quoted, with a function's arguments
	owner string
	// versionTable: a migration tool's version table (schema.Bookkeeping).
	versionTable bool
}

// ownerFindings judges who owns what the migrations made. The next
// migration runs as the role that ran the others (migratingRole); an
// object owned by a role it is not a member of makes the next ALTER or
// DROP of it fail.
func ownerFindings(ctx context.Context, conn *pgx.Conn, expected *schema.Snapshot) ([]schema.Finding, error) {
	objects, err := readOwners(ctx, conn, expected)
	if err != nil {
		return nil, err
	}
	migrator := migratingRole(objects)
	if migrator == "" {
		return nil, nil
	}
	canAct := map[string]bool{migrator: true}
	var out []schema.Finding
	for _, o := range objects {
		if _, known := canAct[o.owner]; !known {
			var ok bool
			if err := conn.QueryRow(ctx, memberOf, migrator, o.owner).Scan(&ok); err != nil {
				return nil, fmt.Errorf("read whether %s may act as %s: %w", migrator, o.owner, err)
			}
			canAct[o.owner] = ok
		}
		if o.owner == migrator || o.versionTable {
			continue // the tool writes its version table by privilege, not as its owner
		}
		rule, how := ruleOwnerOther, "is not a member of it"
		if canAct[o.owner] {
			rule, how = ruleOwnerMember, "is a member of it"
		}
		alter := map[schema.ObjectType]string{schema.ObjectMaterializedView: "MATERIALIZED VIEW", schema.ObjectView: "VIEW", schema.ObjectSequence: "SEQUENCE",
			schema.ObjectDataType: "TYPE", schema.ObjectFunction: "ROUTINE"}[o.kind]
		if alter == "" {
			alter = "TABLE"
		}
		// The role that owned it may be the application's: the fix says
		// how it keeps what it could do.
		grant := map[schema.ObjectType]string{schema.ObjectSequence: "ALL ON SEQUENCE", schema.ObjectDataType: "USAGE ON TYPE", schema.ObjectFunction: "EXECUTE ON ROUTINE"}[o.kind]
		if grant == "" {
			grant = "ALL ON TABLE"
		}
		f := schema.Finding{ObjectType: o.kind, Object: o.key, Kind: KindOwner, WantSource: "migrations", GotSource: "live",
			Want: "owned by " + migrator, Got: "owned by " + o.owner,
			Detail: fmt.Sprintf("owned by %s, while %s — which runs the migrations: it owns most of the application's tables — %s", o.owner, migrator, how),
			Fix: fmt.Sprintf("ALTER %s %s OWNER TO %s; -- and, where %s used it as its owner: GRANT %s %s TO %s;", alter, o.sql, pgident.Quote(migrator),
				o.owner, grant, o.sql, pgident.Quote(o.owner))}
		rule.Judge(&f)
		out = append(out, f)
	}
	return out, nil
}

// memberOf asks whether role $1 is a member of role $2, directly or
// through other roles. A superuser's power is not counted: the next
// migration may run as the application's own role (alembic in the
// incident's container ran as it), and a superuser today need not be one
// where the migrations run tomorrow (a managed server has none).
const memberOf = `
	WITH RECURSIVE member_of(oid) AS (
	     SELECT oid FROM pg_catalog.pg_roles WHERE rolname = $1
	     UNION
	     SELECT m.roleid FROM pg_catalog.pg_auth_members m JOIN member_of ON m.member = member_of.oid)
	SELECT EXISTS (SELECT 1 FROM member_of JOIN pg_catalog.pg_roles r ON r.oid = member_of.oid WHERE r.rolname = $2)`

// migratingRole is the role that runs the migrations: the one that owns
// most of the application's tables — which the migrations made as it —
// and, of two that own as many, the owner of the migration tool's version
// table (else the first by name).
func migratingRole(objects []owned) string {
	tables := map[string]int{}
	versionOwner := ""
	for _, o := range objects {
		switch {
		case o.versionTable:
			if versionOwner == "" {
				versionOwner = o.owner
			}
		case o.kind == schema.ObjectTable:
			tables[o.owner]++
		}
	}
	best := ""
	for _, owner := range slices.Sorted(maps.Keys(tables)) {
		if best == "" || tables[owner] > tables[best] || (tables[owner] == tables[best] && owner == versionOwner) {
			best = owner
		}
	}
	if best == "" {
		return versionOwner
	}
	return best
}

// readOwners reads the owners of the objects expected has, and of the
// version tables, from the live database.
func readOwners(ctx context.Context, conn *pgx.Conn, expected *schema.Snapshot) ([]owned, error) {
	rows, err := conn.Query(ctx, `
		SELECT CASE c.relkind WHEN 'S' THEN 'sequence' WHEN 'v' THEN 'view' WHEN 'm' THEN 'materialized view' ELSE 'table' END,
		       n.nspname, c.relname, '', pg_catalog.pg_get_userbyid(c.relowner)
		  FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
		 WHERE n.nspname = ANY ($1) AND c.relkind IN ('r', 'p', 'S', 'v', 'm')
		UNION ALL
		SELECT 'type', n.nspname, t.typname, '', pg_catalog.pg_get_userbyid(t.typowner)
		  FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace
		 WHERE n.nspname = ANY ($1) AND t.typtype IN ('e', 'd', 'r')
		UNION ALL
		SELECT 'function', n.nspname, p.proname, pg_catalog.pg_get_function_identity_arguments(p.oid), pg_catalog.pg_get_userbyid(p.proowner)
		  FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
		 WHERE n.nspname = ANY ($1) AND p.prokind IN ('f', 'p')
		 ORDER BY 1, 2, 3, 4`, slices.Sorted(maps.Keys(expected.Schemas)))
	if err != nil {
		return nil, fmt.Errorf("read the owners of the application's objects: %w", err)
	}
	var out []owned
	var kind schema.ObjectType
	var nsp, name, args, owner string
	_, err = pgx.ForEachRow(rows, []any{&kind, &nsp, &name, &args, &owner}, func() error {
		o := owned{kind: kind, key: schema.Qualify(nsp, name), sql: pgident.Quote(nsp) + "." + pgident.Quote(name), owner: owner}
		if kind == schema.ObjectFunction {
			o.key += "(" + args + ")"
			o.sql += "(" + args + ")"
		}
		switch {
		case kind == schema.ObjectTable && nsp == "public" && name == migrator.ChecksumTable:
			return nil // the harness's own record: whoever migrated with it
		case kind == schema.ObjectTable && nsp == "public" && slices.Contains(schema.Bookkeeping, name):
			o.versionTable = true
		case kind == schema.ObjectTable && expected.Tables[o.key] == nil,
			kind == schema.ObjectSequence && expected.Sequences[o.key] == nil,
			(kind == schema.ObjectView || kind == schema.ObjectMaterializedView) && expected.Views[o.key] == nil,
			kind == schema.ObjectDataType && expected.Enums[o.key] == nil && expected.Others["domain "+o.key] == nil && expected.Others["range type "+o.key] == nil,
			kind == schema.ObjectFunction && expected.Functions[o.key] == nil:
			return nil // not the migrations'
		}
		out = append(out, o)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read the owners of the application's objects: %w", err)
	}
	return out, nil
}
