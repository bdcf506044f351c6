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

// notExtension keeps out objects an extension created (pg_depend deptype
// 'e'): they belong to the extension, not to the schema under test. %s is
// the catalog of the object (pg_class, pg_type, pg_proc) and its oid column.
const notExtension = `NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend dep
	WHERE dep.classid = '%s'::pg_catalog.regclass AND dep.objid = %s AND dep.deptype = 'e')`

// catalogQuery is one read of the catalogs, named by what it reads so a role
// that may not read them gets an error naming them.
type catalogQuery struct {
	reads string
	sql   string
	row   func(s *Snapshot, rows pgx.Rows) error
}

// Beginner is what Read reads through: a *pgx.Conn, a *pgxpool.Pool.
type Beginner interface {
	BeginTx(ctx context.Context, opts pgx.TxOptions) (pgx.Tx, error)
}

// Read takes a snapshot of schemaName (e.g. "public") through db, in one
// read-only transaction with an empty search_path, so every name prints
// schema-qualified the same way on every connection. source names the
// snapshot in findings ("model", "migrations", "live").
func Read(ctx context.Context, db Beginner, schemaName, source string) (*Snapshot, error) {
	tx, err := db.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return nil, fmt.Errorf("read the catalog: %w", err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	if _, err := tx.Exec(ctx, "SET LOCAL search_path = ''"); err != nil {
		return nil, fmt.Errorf("read the catalog: %w", err)
	}
	var nsOID uint32
	err = tx.QueryRow(ctx, "SELECT oid FROM pg_catalog.pg_namespace WHERE nspname = $1", schemaName).Scan(&nsOID)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("read the catalog: the database has no schema %q", schemaName)
	}
	if err != nil {
		return nil, readError("pg_catalog.pg_namespace", err)
	}

	s := &Snapshot{Source: source, Schema: schemaName, Tables: map[string]*Table{},
		Enums: map[string][]string{}, Sequences: map[string]*Sequence{}}
	for _, q := range catalogQueries {
		args := []any{nsOID}
		if strings.Contains(q.sql, "$2") {
			// PostgreSQL refuses a parameter a query does not use.
			args = append(args, Bookkeeping)
		}
		rows, err := tx.Query(ctx, q.sql, args...)
		if err != nil {
			return nil, readError(q.reads, err)
		}
		for rows.Next() {
			if err := q.row(s, rows); err != nil {
				rows.Close()
				return nil, fmt.Errorf("read %s: %w", q.reads, err)
			}
		}
		if err := rows.Err(); err != nil {
			return nil, readError(q.reads, err)
		}
	}
	slices.Sort(s.Unsupported)
	return s, nil
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

func (s *Snapshot) table(name string) *Table {
	t := s.Tables[name]
	if t == nil {
		t = &Table{Name: name, Columns: map[string]*Column{}}
		s.Tables[name] = t
	}
	return t
}

// The queries take $1, the schema's oid, and some $2, the bookkeeping tables.
var catalogQueries = []catalogQuery{
	{
		reads: "pg_catalog.pg_class",
		sql: `SELECT c.relname, c.relkind::text FROM pg_catalog.pg_class c
			WHERE c.relnamespace = $1 AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'c')
			  AND NOT (c.relkind = 'r' AND c.relname = ANY ($2))
			  AND ` + fmt.Sprintf(notExtension, "pg_catalog.pg_class", "c.oid"),
		row: func(s *Snapshot, rows pgx.Rows) error {
			var name, kind string
			if err := rows.Scan(&name, &kind); err != nil {
				return err
			}
			switch kind {
			case "r":
				s.table(name)
			default:
				s.Unsupported = append(s.Unsupported, relkindNames[kind]+" "+name)
			}
			return nil
		},
	},
	{
		reads: "pg_catalog.pg_attribute, pg_catalog.pg_attrdef",
		sql: `SELECT c.relname, a.attname, a.attnum,
			       pg_catalog.format_type(a.atttypid, a.atttypmod)
			         || CASE WHEN a.attcollation <> t.typcollation
			                 THEN ' COLLATE ' || a.attcollation::pg_catalog.regcollation::text ELSE '' END,
			       a.attnotnull, coalesce(pg_catalog.pg_get_expr(ad.adbin, ad.adrelid), ''),
			       a.attidentity::text, a.attgenerated::text
			FROM pg_catalog.pg_attribute a
			JOIN pg_catalog.pg_class c ON c.oid = a.attrelid
			JOIN pg_catalog.pg_type t ON t.oid = a.atttypid
			LEFT JOIN pg_catalog.pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
			WHERE c.relnamespace = $1 AND c.relkind = 'r' AND NOT c.relname = ANY ($2)
			  AND a.attnum > 0 AND NOT a.attisdropped
			  AND ` + fmt.Sprintf(notExtension, "pg_catalog.pg_class", "c.oid"),
		row: func(s *Snapshot, rows pgx.Rows) error {
			var table, identity, generated, expr string
			col := &Column{}
			if err := rows.Scan(&table, &col.Name, &col.Position, &col.Type, &col.NotNull, &expr, &identity, &generated); err != nil {
				return err
			}
			if generated == "s" {
				col.Generated = expr
			} else {
				col.Default = expr
			}
			col.Identity = map[string]string{"a": "ALWAYS", "d": "BY DEFAULT"}[identity]
			s.table(table).Columns[col.Name] = col
			return nil
		},
	},
	{
		reads: "pg_catalog.pg_constraint",
		sql: `SELECT c.relname, con.conname, con.contype::text, pg_catalog.pg_get_constraintdef(con.oid),
			       con.convalidated,
			       coalesce((SELECT array_agg(a.attname ORDER BY k.ord)
			                   FROM unnest(con.conkey) WITH ORDINALITY k(attnum, ord)
			                   JOIN pg_catalog.pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum),
			                '{}')
			FROM pg_catalog.pg_constraint con
			JOIN pg_catalog.pg_class c ON c.oid = con.conrelid
			WHERE c.relnamespace = $1 AND c.relkind = 'r' AND NOT c.relname = ANY ($2)
			  AND ` + fmt.Sprintf(notExtension, "pg_catalog.pg_class", "c.oid") + `
			ORDER BY c.relname, con.conname`,
		row: func(s *Snapshot, rows pgx.Rows) error {
			var table, kind string
			con := &Constraint{}
			if err := rows.Scan(&table, &con.Name, &kind, &con.Def, &con.Validated, &con.Columns); err != nil {
				return err
			}
			name, ok := contypeNames[kind]
			if !ok {
				s.Unsupported = append(s.Unsupported, fmt.Sprintf("constraint %s on %s (type %s)", con.Name, table, kind))
				return nil
			}
			con.Kind = name
			con.Def = strings.TrimSuffix(con.Def, " NOT VALID")
			t := s.table(table)
			t.Constraints = append(t.Constraints, con)
			return nil
		},
	},
	{
		reads: "pg_catalog.pg_index",
		sql: `SELECT c.relname, ic.relname, pg_catalog.quote_ident(ic.relname),
			       pg_catalog.pg_get_indexdef(i.indexrelid), i.indisvalid, i.indisunique
			FROM pg_catalog.pg_index i
			JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid
			JOIN pg_catalog.pg_class c ON c.oid = i.indrelid
			WHERE c.relnamespace = $1 AND c.relkind = 'r' AND NOT c.relname = ANY ($2)
			  AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_constraint con
			                   WHERE con.conindid = i.indexrelid AND con.conrelid = i.indrelid
			                     AND con.contype IN ('p', 'u', 'x'))
			  AND ` + fmt.Sprintf(notExtension, "pg_catalog.pg_class", "c.oid") + `
			ORDER BY c.relname, ic.relname`,
		row: func(s *Snapshot, rows pgx.Rows) error {
			var table, quoted string
			ix := &Index{}
			if err := rows.Scan(&table, &ix.Name, &quoted, &ix.Def, &ix.Valid, &ix.Unique); err != nil {
				return err
			}
			// The name is compared on its own: leave it out of the definition.
			ix.Def = strings.Replace(ix.Def, "INDEX "+quoted+" ON ", "INDEX ON ", 1)
			t := s.table(table)
			t.Indexes = append(t.Indexes, ix)
			return nil
		},
	},
	{
		reads: "pg_catalog.pg_type, pg_catalog.pg_enum",
		sql: `SELECT t.typname, array_agg(e.enumlabel::text ORDER BY e.enumsortorder)
			FROM pg_catalog.pg_type t JOIN pg_catalog.pg_enum e ON e.enumtypid = t.oid
			WHERE t.typnamespace = $1 AND ` + fmt.Sprintf(notExtension, "pg_catalog.pg_type", "t.oid") + `
			GROUP BY t.typname`,
		row: func(s *Snapshot, rows pgx.Rows) error {
			var name string
			var labels []string
			if err := rows.Scan(&name, &labels); err != nil {
				return err
			}
			s.Enums[name] = labels
			return nil
		},
	},
	{
		// Types other than enums, the implicit array types, and the row
		// types of relations (those are covered by pg_class).
		reads: "pg_catalog.pg_type",
		sql: `SELECT t.typtype::text, t.typname FROM pg_catalog.pg_type t
			WHERE t.typnamespace = $1 AND t.typtype IN ('b', 'd', 'r', 'p')
			  AND NOT (t.typtype = 'b' AND t.typcategory = 'A')
			  AND ` + fmt.Sprintf(notExtension, "pg_catalog.pg_type", "t.oid"),
		row: func(s *Snapshot, rows pgx.Rows) error {
			var kind, name string
			if err := rows.Scan(&kind, &name); err != nil {
				return err
			}
			s.Unsupported = append(s.Unsupported, typtypeNames[kind]+" "+name)
			return nil
		},
	},
	{
		reads: "pg_catalog.pg_sequence, pg_catalog.pg_depend",
		sql: `SELECT s.relname, pg_catalog.format_type(seq.seqtypid, NULL),
			       coalesce(owner.relname || '.' || a.attname, ''), coalesce(owner.relname = ANY ($2), false)
			FROM pg_catalog.pg_class s
			JOIN pg_catalog.pg_sequence seq ON seq.seqrelid = s.oid
			LEFT JOIN pg_catalog.pg_depend d ON d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass
			      AND d.objid = s.oid AND d.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass
			      AND d.deptype = 'a'
			LEFT JOIN pg_catalog.pg_class owner ON owner.oid = d.refobjid
			LEFT JOIN pg_catalog.pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
			WHERE s.relnamespace = $1 AND s.relkind = 'S'
			  -- an identity column's sequence is part of the column (Column.Identity)
			  AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend di
			                   WHERE di.classid = 'pg_catalog.pg_class'::pg_catalog.regclass
			                     AND di.objid = s.oid AND di.deptype = 'i')
			  AND ` + fmt.Sprintf(notExtension, "pg_catalog.pg_class", "s.oid"),
		row: func(s *Snapshot, rows pgx.Rows) error {
			seq := &Sequence{}
			var bookkeeping bool
			if err := rows.Scan(&seq.Name, &seq.Type, &seq.OwnedBy, &bookkeeping); err != nil {
				return err
			}
			if !bookkeeping {
				s.Sequences[seq.Name] = seq
			}
			return nil
		},
	},
	{
		// Everything else a schema can hold that these snapshots do not
		// compare: named, so a reader knows what was not checked.
		reads: "pg_catalog.pg_trigger, pg_catalog.pg_proc, pg_catalog.pg_policy, pg_catalog.pg_rewrite, pg_catalog.pg_inherits",
		sql: `SELECT 'trigger ' || t.tgname || ' on ' || c.relname
			  FROM pg_catalog.pg_trigger t JOIN pg_catalog.pg_class c ON c.oid = t.tgrelid
			 WHERE c.relnamespace = $1 AND NOT t.tgisinternal AND NOT c.relname = ANY ($2)
			UNION ALL
			SELECT CASE p.prokind WHEN 'p' THEN 'procedure ' WHEN 'a' THEN 'aggregate ' ELSE 'function ' END
			       || p.proname || '(' || pg_catalog.pg_get_function_identity_arguments(p.oid) || ')'
			  FROM pg_catalog.pg_proc p
			 WHERE p.pronamespace = $1 AND ` + fmt.Sprintf(notExtension, "pg_catalog.pg_proc", "p.oid") + `
			UNION ALL
			SELECT 'policy ' || pol.polname || ' on ' || c.relname
			  FROM pg_catalog.pg_policy pol JOIN pg_catalog.pg_class c ON c.oid = pol.polrelid
			 WHERE c.relnamespace = $1
			UNION ALL
			SELECT 'row level security on ' || c.relname
			  FROM pg_catalog.pg_class c WHERE c.relnamespace = $1 AND c.relrowsecurity
			UNION ALL
			SELECT 'rule ' || r.rulename || ' on ' || c.relname
			  FROM pg_catalog.pg_rewrite r JOIN pg_catalog.pg_class c ON c.oid = r.ev_class
			 WHERE c.relnamespace = $1 AND r.rulename <> '_RETURN'
			UNION ALL
			SELECT 'inheritance: ' || c.relname || ' inherits from ' || p.relname
			  FROM pg_catalog.pg_inherits i
			  JOIN pg_catalog.pg_class c ON c.oid = i.inhrelid
			  JOIN pg_catalog.pg_class p ON p.oid = i.inhparent
			 WHERE c.relnamespace = $1 AND c.relkind = 'r'`,
		row: func(s *Snapshot, rows pgx.Rows) error {
			var what string
			if err := rows.Scan(&what); err != nil {
				return err
			}
			s.Unsupported = append(s.Unsupported, what)
			return nil
		},
	},
}

var relkindNames = map[string]string{
	"p": "partitioned table", "v": "view", "m": "materialized view", "f": "foreign table", "c": "composite type",
}

var typtypeNames = map[string]string{"b": "base type", "d": "domain", "r": "range type", "p": "pseudo-type"}

var contypeNames = map[string]string{
	"p": "primary key", "u": "unique", "f": "foreign key", "c": "check", "x": "exclusion",
}
