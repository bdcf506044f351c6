package schema

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// Beginner is what Read reads through: a *pgx.Conn, a *pgxpool.Pool.
type Beginner interface {
	BeginTx(ctx context.Context, opts pgx.TxOptions) (pgx.Tx, error)
}

// Filter picks the schemas a snapshot reads.
type Filter struct {
	// Include names the schemas to read; empty means every schema that is
	// not PostgreSQL's own (pg_catalog, information_schema, pg_toast, the
	// temporary ones).
	Include []string
	// Exclude names schemas to leave out.
	Exclude []string
}

// Read takes a snapshot of schemaName (e.g. "public") through db. source
// names the snapshot in findings ("model", "migrations", "live").
func Read(ctx context.Context, db Beginner, schemaName, source string) (*Snapshot, error) {
	return ReadSchemas(ctx, db, Filter{Include: []string{schemaName}}, source)
}

// ReadSchemas takes a snapshot of the schemas filter picks, in one
// read-only transaction with an empty search_path, so every name prints
// schema-qualified the same way on every connection. Objects that belong to
// an extension are left out: they are the extension's.
func ReadSchemas(ctx context.Context, db Beginner, filter Filter, source string) (*Snapshot, error) {
	tx, err := db.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return nil, fmt.Errorf("read the catalog: %w", err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	if _, err := tx.Exec(ctx, "SET LOCAL search_path = ''"); err != nil {
		return nil, fmt.Errorf("read the catalog: %w", err)
	}
	s := &Snapshot{Source: source, Schemas: map[string]*Namespace{}, Tables: map[string]*Table{}, Views: map[string]*View{},
		Functions: map[string]*Function{}, Enums: map[string]*Enum{}, Sequences: map[string]*Sequence{},
		Extensions: map[string]*Extension{}, Collations: map[string]*Collation{}, Others: map[string]*Other{},
		Publications: map[string]*Publication{}, EventTriggers: map[string]*EventTrigger{}}
	oids, err := s.readNamespaces(ctx, tx, filter)
	if err != nil {
		return nil, err
	}
	for _, q := range catalogQueries {
		if err := s.query(ctx, tx, q, oids); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// catalogQuery is one read of the catalogs, named by what it reads so a role
// that may not read them gets an error naming them. Its SQL takes $1, the
// schemas' oids — unless it reads what is the database's whatever the
// schemas (it then names no $1) — and where it says so $2, the
// bookkeeping tables.
type catalogQuery struct {
	reads string
	sql   string
	row   func(s *Snapshot, rows pgx.Rows) error
}

func (s *Snapshot) query(ctx context.Context, tx pgx.Tx, q catalogQuery, oids []uint32) error {
	var args []any // PostgreSQL refuses a parameter a query does not use
	if strings.Contains(q.sql, "$1") {
		args = append(args, oids)
	}
	if strings.Contains(q.sql, "$2") {
		args = append(args, Bookkeeping)
	}
	rows, err := tx.Query(ctx, q.sql, args...)
	if err != nil {
		return readError(q.reads, err)
	}
	defer rows.Close()
	for rows.Next() {
		if err := q.row(s, rows); err != nil {
			return fmt.Errorf("read %s: %w", q.reads, err)
		}
	}
	if err := rows.Err(); err != nil {
		return readError(q.reads, err)
	}
	return nil
}

// readNamespaces reads the schemas filter picks and returns their oids.
func (s *Snapshot) readNamespaces(ctx context.Context, tx pgx.Tx, filter Filter) ([]uint32, error) {
	include, exclude := filter.Include, filter.Exclude
	if include == nil {
		include = []string{}
	}
	if exclude == nil {
		exclude = []string{}
	}
	rows, err := tx.Query(ctx, `
		SELECT n.oid, n.nspname, `+privileges("n.nspacl", "'n'", "n.nspowner")+`
		  FROM pg_catalog.pg_namespace n
		 WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
		   AND n.nspname NOT LIKE 'pg\_temp\_%' AND n.nspname NOT LIKE 'pg\_toast\_temp\_%'
		   AND (cardinality($1::text[]) = 0 OR n.nspname = ANY ($1))
		   AND NOT n.nspname = ANY ($2)
		   AND `+fmt.Sprintf(notExtension, "pg_catalog.pg_namespace", "n.oid")+`
		 ORDER BY n.nspname`, include, exclude)
	if err != nil {
		return nil, readError("pg_catalog.pg_namespace", err)
	}
	var oids []uint32
	for rows.Next() {
		var oid uint32
		ns := &Namespace{}
		var acl []string
		if err := rows.Scan(&oid, &ns.Name, &acl); err != nil {
			rows.Close()
			return nil, readError("pg_catalog.pg_namespace", err)
		}
		ns.Privileges = grants(acl)
		s.Schemas[ns.Name] = ns
		oids = append(oids, oid)
	}
	if err := rows.Err(); err != nil {
		return nil, readError("pg_catalog.pg_namespace", err)
	}
	for _, name := range include {
		if s.Schemas[name] == nil {
			return nil, fmt.Errorf("read the catalog: the database has no schema %q", name)
		}
	}
	return oids, nil
}

// notExtension keeps out objects an extension created (pg_depend deptype
// 'e'): they belong to the extension, not to the schema under test. %s is
// the catalog of the object (pg_class, pg_type, pg_proc) and its oid column.
const notExtension = `NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend dep
	WHERE dep.classid = '%s'::pg_catalog.regclass AND dep.objid = %s AND dep.deptype = 'e')`

// disp is SQL for an object's name as the snapshot's maps key it: bare in
// public, schema.name elsewhere. ns is the pg_namespace alias.
func disp(ns, name string) string {
	return fmt.Sprintf("(CASE WHEN %[1]s.nspname = 'public' THEN %[2]s ELSE %[1]s.nspname || '.' || %[2]s END)", ns, name)
}

// privileges is SQL for an ACL as "grantee=PRIVILEGE" items, with the
// defaults spelled out where the ACL is null (acldefault) and the owner's
// own privileges left out: an owner holds them whatever the ACL says.
func privileges(acl, kind, owner string) string {
	return fmt.Sprintf(`ARRAY(SELECT CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE pg_catalog.quote_ident(pg_catalog.pg_get_userbyid(a.grantee)) END
		       || '=' || a.privilege_type || CASE WHEN a.is_grantable THEN ' WITH GRANT OPTION' ELSE '' END
		  FROM pg_catalog.aclexplode(coalesce(%[1]s, pg_catalog.acldefault(%[2]s, %[3]s))) a
		 WHERE a.grantee <> %[3]s ORDER BY 1)`, acl, kind, owner)
}

// grants turns "grantee=PRIVILEGE" items into grantee → "P1, P2".
func grants(items []string) map[string]string {
	if len(items) == 0 {
		return nil
	}
	byGrantee := map[string][]string{}
	for _, item := range items {
		grantee, privilege, _ := strings.Cut(item, "=")
		byGrantee[grantee] = append(byGrantee[grantee], privilege)
	}
	out := map[string]string{}
	for grantee, privs := range byGrantee {
		slices.Sort(privs)
		out[grantee] = strings.Join(slices.Compact(privs), ", ")
	}
	return out
}

// readError names the catalogs a query could not read; a permission error
// says what to grant.
func readError(reads string, err error) error {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "42501" {
		// "permission denied for table pg_attrdef": name the one it refused.
		if m := deniedTable.FindStringSubmatch(pgErr.Message); m != nil {
			reads = "pg_catalog." + m[1]
		}
		return fmt.Errorf("cannot read %s: %s: this role needs SELECT on the system catalogs (PostgreSQL grants it to PUBLIC by default; GRANT SELECT ON %s TO the role, or connect as one that can read them)",
			reads, pgErr.Message, reads)
	}
	return fmt.Errorf("read %s: %w", reads, err)
}

var deniedTable = regexp.MustCompile(`permission denied for table (\w+)`)

func (s *Snapshot) table(schema, name string) *Table {
	key := Qualify(schema, name)
	t := s.Tables[key]
	if t == nil {
		t = &Table{Schema: schema, Name: name, Columns: map[string]*Column{}}
		s.Tables[key] = t
	}
	return t
}
