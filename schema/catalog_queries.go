package schema

import (
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
)

// The catalog queries, each reading one kind of object in the schemas of
// $1 (their oids). What no query reads is not in the snapshot; what a query
// reads but the snapshot does not compare is listed in Unsupported.
var catalogQueries = []catalogQuery{
	{
		reads: "pg_catalog.pg_class",
		sql: `SELECT n.nspname, c.relname, c.relkind::text, c.relpersistence = 'u', c.relrowsecurity, c.relforcerowsecurity,
			       coalesce(CASE WHEN c.relkind = 'p' THEN pg_catalog.pg_get_partkeydef(c.oid) END, ''),
			       coalesce(CASE WHEN c.relispartition THEN pg_catalog.pg_get_expr(c.relpartbound, c.oid) END, ''),
			       coalesce((SELECT ` + disp("pn", "p.relname") + ` FROM pg_catalog.pg_inherits i
			                   JOIN pg_catalog.pg_class p ON p.oid = i.inhparent JOIN pg_catalog.pg_namespace pn ON pn.oid = p.relnamespace
			                  WHERE i.inhrelid = c.oid AND c.relispartition), ''),
			       ARRAY(SELECT ` + disp("pn", "p.relname") + ` FROM pg_catalog.pg_inherits i
			               JOIN pg_catalog.pg_class p ON p.oid = i.inhparent JOIN pg_catalog.pg_namespace pn ON pn.oid = p.relnamespace
			              WHERE i.inhrelid = c.oid AND NOT c.relispartition ORDER BY i.inhseqno),
			       coalesce(CASE WHEN c.relkind IN ('v', 'm') THEN pg_catalog.pg_get_viewdef(c.oid) END, ''),
			       ` + privileges("c.relacl", "'r'", "c.relowner") + `
			FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
			WHERE c.relnamespace = ANY ($1) AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'c')
			  AND NOT (c.relkind = 'r' AND n.nspname = 'public' AND c.relname = ANY ($2))
			  AND ` + fmt.Sprintf(notExtension, "pg_catalog.pg_class", "c.oid"),
		row: func(s *Snapshot, rows pgx.Rows) error {
			var schema, name, kind, partKey, bound, partOf, def string
			var unlogged, rls, force bool
			var inherits, acl []string
			if err := rows.Scan(&schema, &name, &kind, &unlogged, &rls, &force, &partKey, &bound, &partOf, &inherits, &def, &acl); err != nil {
				return err
			}
			switch kind {
			case "r", "p":
				t := s.table(schema, name)
				t.Partitioned, t.PartitionKey, t.PartitionOf, t.PartitionBound = kind == "p", partKey, partOf, bound
				t.Inherits, t.Unlogged, t.RowSecurity, t.ForceSecurity = inherits, unlogged, rls, force
				t.Privileges = grants(acl)
			case "v", "m":
				s.view(schema, name).Materialized, s.view(schema, name).Def = kind == "m", def
				s.view(schema, name).Privileges = grants(acl)
			default:
				s.Unsupported = append(s.Unsupported, relkindNames[kind]+" "+Qualify(schema, name))
			}
			return nil
		},
	},
	{
		reads: "pg_catalog.pg_attribute, pg_catalog.pg_attrdef",
		sql: `SELECT n.nspname, c.relname, a.attname, a.attnum,
			       pg_catalog.format_type(a.atttypid, a.atttypmod)
			         || CASE WHEN a.attcollation <> t.typcollation
			                 THEN ' COLLATE ' || a.attcollation::pg_catalog.regcollation::text ELSE '' END,
			       a.attnotnull, coalesce(pg_catalog.pg_get_expr(ad.adbin, ad.adrelid), ''),
			       a.attidentity::text, a.attgenerated::text, NOT a.attislocal,
			       ARRAY(SELECT CASE WHEN x.grantee = 0 THEN 'PUBLIC' ELSE pg_catalog.quote_ident(pg_catalog.pg_get_userbyid(x.grantee)) END
			                    || '=' || x.privilege_type
			               FROM pg_catalog.aclexplode(a.attacl) x WHERE x.grantee <> c.relowner ORDER BY 1)
			FROM pg_catalog.pg_attribute a
			JOIN pg_catalog.pg_class c ON c.oid = a.attrelid
			JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
			JOIN pg_catalog.pg_type t ON t.oid = a.atttypid
			LEFT JOIN pg_catalog.pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
			WHERE c.relnamespace = ANY ($1) AND c.relkind IN ('r', 'p')
			  AND NOT (n.nspname = 'public' AND c.relname = ANY ($2))
			  AND a.attnum > 0 AND NOT a.attisdropped
			  AND ` + fmt.Sprintf(notExtension, "pg_catalog.pg_class", "c.oid"),
		row: func(s *Snapshot, rows pgx.Rows) error {
			var schema, table, identity, generated, expr string
			var acl []string
			col := &Column{}
			if err := rows.Scan(&schema, &table, &col.Name, &col.Position, &col.Type, &col.NotNull, &expr, &identity, &generated,
				&col.Inherited, &acl); err != nil {
				return err
			}
			if generated == "s" {
				col.Generated = expr
			} else {
				col.Default = expr
			}
			col.Identity = map[string]string{"a": "ALWAYS", "d": "BY DEFAULT"}[identity]
			t := s.table(schema, table)
			t.Columns[col.Name] = col
			if g := grants(acl); g != nil {
				if t.ColumnPrivileges == nil {
					t.ColumnPrivileges = map[string]map[string]string{}
				}
				t.ColumnPrivileges[col.Name] = g
			}
			return nil
		},
	},
	{
		reads: "pg_catalog.pg_constraint",
		sql: `SELECT n.nspname, c.relname, con.conname, con.contype::text, pg_catalog.pg_get_constraintdef(con.oid),
			       con.convalidated, NOT con.conislocal OR con.conparentid <> 0,
			       coalesce((SELECT array_agg(a.attname ORDER BY k.ord)
			                   FROM unnest(con.conkey) WITH ORDINALITY k(attnum, ord)
			                   JOIN pg_catalog.pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum),
			                '{}'),
			       coalesce((SELECT ` + disp("fn", "f.relname") + ` FROM pg_catalog.pg_class f
			                   JOIN pg_catalog.pg_namespace fn ON fn.oid = f.relnamespace WHERE f.oid = con.confrelid), '')
			FROM pg_catalog.pg_constraint con
			JOIN pg_catalog.pg_class c ON c.oid = con.conrelid
			JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
			WHERE c.relnamespace = ANY ($1) AND c.relkind IN ('r', 'p')
			  AND NOT (n.nspname = 'public' AND c.relname = ANY ($2))
			  AND ` + fmt.Sprintf(notExtension, "pg_catalog.pg_class", "c.oid") + `
			ORDER BY n.nspname, c.relname, con.conname`,
		row: func(s *Snapshot, rows pgx.Rows) error {
			var schema, table, kind string
			con := &Constraint{}
			if err := rows.Scan(&schema, &table, &con.Name, &kind, &con.Def, &con.Validated, &con.Inherited, &con.Columns, &con.References); err != nil {
				return err
			}
			name, ok := contypeNames[kind]
			if !ok {
				s.Unsupported = append(s.Unsupported, fmt.Sprintf("constraint %s on %s (type %s)", con.Name, Qualify(schema, table), kind))
				return nil
			}
			con.Kind = name
			con.Def = strings.TrimSuffix(con.Def, " NOT VALID")
			t := s.table(schema, table)
			t.Constraints = append(t.Constraints, con)
			return nil
		},
	},
	{
		reads: "pg_catalog.pg_index",
		sql: `SELECT n.nspname, c.relname, c.relkind::text, ic.relname, pg_catalog.quote_ident(ic.relname),
			       pg_catalog.pg_get_indexdef(i.indexrelid), i.indisvalid, i.indisunique,
			       EXISTS (SELECT 1 FROM pg_catalog.pg_inherits h WHERE h.inhrelid = i.indexrelid)
			FROM pg_catalog.pg_index i
			JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid
			JOIN pg_catalog.pg_class c ON c.oid = i.indrelid
			JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
			WHERE c.relnamespace = ANY ($1) AND c.relkind IN ('r', 'p', 'm')
			  AND NOT (n.nspname = 'public' AND c.relname = ANY ($2))
			  AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_constraint con
			                   WHERE con.conindid = i.indexrelid AND con.conrelid = i.indrelid
			                     AND con.contype IN ('p', 'u', 'x'))
			  AND ` + fmt.Sprintf(notExtension, "pg_catalog.pg_class", "c.oid") + `
			ORDER BY n.nspname, c.relname, ic.relname`,
		row: func(s *Snapshot, rows pgx.Rows) error {
			var schema, table, kind, quoted string
			ix := &Index{}
			if err := rows.Scan(&schema, &table, &kind, &ix.Name, &quoted, &ix.Def, &ix.Valid, &ix.Unique, &ix.Inherited); err != nil {
				return err
			}
			// The name is compared on its own: leave it out of the definition.
			// A partitioned table's index prints ON ONLY: written again, it
			// is made on the partitions too.
			ix.Def = strings.Replace(ix.Def, "INDEX "+quoted+" ON ", "INDEX ON ", 1)
			ix.Def = strings.Replace(ix.Def, "INDEX ON ONLY ", "INDEX ON ", 1)
			if kind == "m" {
				v := s.view(schema, table)
				v.Indexes = append(v.Indexes, ix)
				return nil
			}
			t := s.table(schema, table)
			t.Indexes = append(t.Indexes, ix)
			return nil
		},
	},
	{
		reads: "pg_catalog.pg_trigger",
		sql: `SELECT n.nspname, c.relname, c.relkind::text, t.tgname, pg_catalog.pg_get_triggerdef(t.oid),
			       (SELECT ` + disp("pn", "p.proname") + ` || '(' || pg_catalog.pg_get_function_identity_arguments(p.oid) || ')'
			          FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace pn ON pn.oid = p.pronamespace WHERE p.oid = t.tgfoid)
			FROM pg_catalog.pg_trigger t
			JOIN pg_catalog.pg_class c ON c.oid = t.tgrelid
			JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
			WHERE c.relnamespace = ANY ($1) AND NOT t.tgisinternal AND t.tgparentid = 0
			  AND NOT (n.nspname = 'public' AND c.relname = ANY ($2))
			  AND ` + fmt.Sprintf(notExtension, "pg_catalog.pg_class", "c.oid"),
		row: func(s *Snapshot, rows pgx.Rows) error {
			var schema, rel, kind string
			tr := &Trigger{}
			if err := rows.Scan(&schema, &rel, &kind, &tr.Name, &tr.Def, &tr.Function); err != nil {
				return err
			}
			switch kind {
			case "r", "p":
				t := s.table(schema, rel)
				if t.Triggers == nil {
					t.Triggers = map[string]*Trigger{}
				}
				t.Triggers[tr.Name] = tr
			case "v", "m":
				v := s.view(schema, rel)
				if v.Triggers == nil {
					v.Triggers = map[string]*Trigger{}
				}
				v.Triggers[tr.Name] = tr
			default:
				s.Unsupported = append(s.Unsupported, "trigger "+tr.Name+" on "+Qualify(schema, rel))
			}
			return nil
		},
	},
	{
		reads: "pg_catalog.pg_policy",
		sql: `SELECT n.nspname, c.relname, pol.polname, pol.polpermissive, pol.polcmd::text,
			       CASE WHEN pol.polroles = '{0}' THEN 'public'
			            ELSE array_to_string(ARRAY(SELECT pg_catalog.quote_ident(r.rolname) FROM pg_catalog.pg_roles r
			                                        WHERE r.oid = ANY (pol.polroles) ORDER BY 1), ', ') END,
			       coalesce(pg_catalog.pg_get_expr(pol.polqual, pol.polrelid), ''),
			       coalesce(pg_catalog.pg_get_expr(pol.polwithcheck, pol.polrelid), '')
			FROM pg_catalog.pg_policy pol
			JOIN pg_catalog.pg_class c ON c.oid = pol.polrelid
			JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
			WHERE c.relnamespace = ANY ($1)`,
		row: func(s *Snapshot, rows pgx.Rows) error {
			var schema, table, cmd string
			p := &Policy{}
			if err := rows.Scan(&schema, &table, &p.Name, &p.Permissive, &cmd, &p.Roles, &p.Using, &p.WithCheck); err != nil {
				return err
			}
			p.Command = map[string]string{"r": "SELECT", "a": "INSERT", "w": "UPDATE", "d": "DELETE", "*": "ALL"}[cmd]
			t := s.table(schema, table)
			if t.Policies == nil {
				t.Policies = map[string]*Policy{}
			}
			t.Policies[p.Name] = p
			return nil
		},
	},
	{
		reads: "pg_catalog.pg_type, pg_catalog.pg_enum",
		sql: `SELECT n.nspname, t.typname, array_agg(e.enumlabel::text ORDER BY e.enumsortorder)
			FROM pg_catalog.pg_type t JOIN pg_catalog.pg_enum e ON e.enumtypid = t.oid
			JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace
			WHERE t.typnamespace = ANY ($1) AND ` + fmt.Sprintf(notExtension, "pg_catalog.pg_type", "t.oid") + `
			GROUP BY n.nspname, t.typname`,
		row: func(s *Snapshot, rows pgx.Rows) error {
			e := &Enum{}
			if err := rows.Scan(&e.Schema, &e.Name, &e.Labels); err != nil {
				return err
			}
			s.Enums[Qualify(e.Schema, e.Name)] = e
			return nil
		},
	},
	{
		// Types other than enums, the implicit array types, and the row
		// types of relations (those are covered by pg_class).
		reads: "pg_catalog.pg_type",
		sql: `SELECT t.typtype::text, ` + disp("n", "t.typname") + ` FROM pg_catalog.pg_type t
			JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace
			WHERE t.typnamespace = ANY ($1) AND t.typtype IN ('b', 'd', 'r', 'p', 'm')
			  AND NOT (t.typtype = 'b' AND t.typcategory = 'A')
			  AND ` + fmt.Sprintf(notExtension, "pg_catalog.pg_type", "t.oid"),
		row: func(s *Snapshot, rows pgx.Rows) error {
			var kind, name string
			if err := rows.Scan(&kind, &name); err != nil {
				return err
			}
			if kind != "m" { // a range type's multirange comes with it
				s.Unsupported = append(s.Unsupported, typtypeNames[kind]+" "+name)
			}
			return nil
		},
	},
	{
		reads: "pg_catalog.pg_sequence, pg_catalog.pg_depend",
		sql: `SELECT n.nspname, s.relname, pg_catalog.format_type(seq.seqtypid, NULL),
			       seq.seqstart, seq.seqincrement, seq.seqmin, seq.seqmax, seq.seqcache, seq.seqcycle,
			       coalesce(` + disp("on_", "owner.relname") + ` || '.' || a.attname, ''),
			       coalesce(owner.relname = ANY ($2) AND on_.nspname = 'public', false),
			       ` + privileges("s.relacl", "'s'", "s.relowner") + `
			FROM pg_catalog.pg_class s
			JOIN pg_catalog.pg_namespace n ON n.oid = s.relnamespace
			JOIN pg_catalog.pg_sequence seq ON seq.seqrelid = s.oid
			LEFT JOIN pg_catalog.pg_depend d ON d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass
			      AND d.objid = s.oid AND d.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass
			      AND d.deptype = 'a'
			LEFT JOIN pg_catalog.pg_class owner ON owner.oid = d.refobjid
			LEFT JOIN pg_catalog.pg_namespace on_ ON on_.oid = owner.relnamespace
			LEFT JOIN pg_catalog.pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
			WHERE s.relnamespace = ANY ($1) AND s.relkind = 'S'
			  -- an identity column's sequence is part of the column (Column.Identity)
			  AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend di
			                   WHERE di.classid = 'pg_catalog.pg_class'::pg_catalog.regclass
			                     AND di.objid = s.oid AND di.deptype = 'i')
			  AND ` + fmt.Sprintf(notExtension, "pg_catalog.pg_class", "s.oid"),
		row: func(s *Snapshot, rows pgx.Rows) error {
			seq := &Sequence{}
			var bookkeeping bool
			var acl []string
			if err := rows.Scan(&seq.Schema, &seq.Name, &seq.Type, &seq.Start, &seq.Increment, &seq.Min, &seq.Max, &seq.Cache, &seq.Cycle,
				&seq.OwnedBy, &bookkeeping, &acl); err != nil {
				return err
			}
			seq.Privileges = grants(acl)
			if !bookkeeping {
				s.Sequences[Qualify(seq.Schema, seq.Name)] = seq
			}
			return nil
		},
	},
	{
		reads: "pg_catalog.pg_proc",
		sql: `SELECT n.nspname, p.proname, pg_catalog.pg_get_function_identity_arguments(p.oid), p.prokind::text,
			       CASE WHEN p.prokind IN ('f', 'p') THEN pg_catalog.pg_get_functiondef(p.oid) ELSE '' END,
			       coalesce(pg_catalog.pg_get_function_result(p.oid), ''),
			       ` + privileges("p.proacl", "'f'", "p.proowner") + `
			FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
			WHERE p.pronamespace = ANY ($1) AND ` + fmt.Sprintf(notExtension, "pg_catalog.pg_proc", "p.oid"),
		row: func(s *Snapshot, rows pgx.Rows) error {
			f := &Function{}
			var kind string
			var acl []string
			if err := rows.Scan(&f.Schema, &f.Name, &f.Arguments, &kind, &f.Def, &f.Result, &acl); err != nil {
				return err
			}
			key := Qualify(f.Schema, f.Name) + "(" + f.Arguments + ")"
			switch kind {
			case "f", "p":
				f.Kind = map[string]string{"f": "function", "p": "procedure"}[kind]
				f.Privileges = grants(acl)
				s.Functions[key] = f
			default:
				s.Unsupported = append(s.Unsupported, map[string]string{"a": "aggregate", "w": "window function"}[kind]+" "+key)
			}
			return nil
		},
	},
	{
		// What each view and function is built on, from pg_depend: the
		// relations (a view's rule), row and enum types, other functions.
		reads: "pg_catalog.pg_depend",
		sql: `WITH deps AS (
			  SELECT CASE WHEN d.classid = 'pg_catalog.pg_rewrite'::pg_catalog.regclass
			              THEN (SELECT rw.ev_class FROM pg_catalog.pg_rewrite rw WHERE rw.oid = d.objid) END AS rel,
			         CASE WHEN d.classid = 'pg_catalog.pg_proc'::pg_catalog.regclass THEN d.objid END AS proc,
			         d.refclassid, d.refobjid
			    FROM pg_catalog.pg_depend d
			   WHERE d.classid IN ('pg_catalog.pg_rewrite'::pg_catalog.regclass, 'pg_catalog.pg_proc'::pg_catalog.regclass)
			     AND d.deptype = 'n')
			SELECT DISTINCT
			       CASE WHEN deps.rel IS NOT NULL THEN (SELECT ` + disp("vn", "v.relname") + ` FROM pg_catalog.pg_class v
			                 JOIN pg_catalog.pg_namespace vn ON vn.oid = v.relnamespace WHERE v.oid = deps.rel AND v.relnamespace = ANY ($1))
			            ELSE (SELECT ` + disp("pn", "p.proname") + ` || '(' || pg_catalog.pg_get_function_identity_arguments(p.oid) || ')'
			                    FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace pn ON pn.oid = p.pronamespace
			                   WHERE p.oid = deps.proc AND p.pronamespace = ANY ($1)) END,
			       CASE WHEN deps.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass
			              THEN (SELECT ` + disp("rn", "r.relname") + ` FROM pg_catalog.pg_class r
			                     JOIN pg_catalog.pg_namespace rn ON rn.oid = r.relnamespace WHERE r.oid = deps.refobjid)
			            WHEN deps.refclassid = 'pg_catalog.pg_type'::pg_catalog.regclass
			              THEN (SELECT CASE WHEN t.typrelid <> 0
			                                THEN (SELECT ` + disp("rn", "r.relname") + ` FROM pg_catalog.pg_class r
			                                       JOIN pg_catalog.pg_namespace rn ON rn.oid = r.relnamespace WHERE r.oid = t.typrelid)
			                                ELSE ` + disp("tn", "t.typname") + ` END
			                      FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace tn ON tn.oid = t.typnamespace
			                     WHERE t.oid = deps.refobjid)
			            WHEN deps.refclassid = 'pg_catalog.pg_proc'::pg_catalog.regclass
			              THEN (SELECT ` + disp("pn", "p.proname") + ` || '(' || pg_catalog.pg_get_function_identity_arguments(p.oid) || ')'
			                      FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace pn ON pn.oid = p.pronamespace WHERE p.oid = deps.refobjid)
			       END
			FROM deps`,
		row: func(s *Snapshot, rows pgx.Rows) error {
			var from, to *string
			if err := rows.Scan(&from, &to); err != nil {
				return err
			}
			if from == nil || to == nil || *from == *to {
				return nil
			}
			if v := s.Views[*from]; v != nil {
				v.DependsOn = appendNew(v.DependsOn, *to)
			} else if f := s.Functions[*from]; f != nil {
				f.DependsOn = appendNew(f.DependsOn, *to)
			}
			return nil
		},
	},
	{
		reads: "pg_catalog.pg_extension",
		sql: `SELECT e.extname, n.nspname, e.extversion FROM pg_catalog.pg_extension e
			JOIN pg_catalog.pg_namespace n ON n.oid = e.extnamespace
			WHERE e.extname <> 'plpgsql' AND (e.extnamespace = ANY ($1) OR n.nspname = 'pg_catalog')`,
		row: func(s *Snapshot, rows pgx.Rows) error {
			e := &Extension{}
			if err := rows.Scan(&e.Name, &e.Schema, &e.Version); err != nil {
				return err
			}
			s.Extensions[e.Name] = e
			return nil
		},
	},
	{
		reads: "pg_catalog.pg_collation",
		sql: `SELECT n.nspname, c.collname, c.collprovider::text, coalesce(c.colliculocale, c.collcollate, ''),
			       coalesce(c.collctype, ''), c.collisdeterministic
			FROM pg_catalog.pg_collation c JOIN pg_catalog.pg_namespace n ON n.oid = c.collnamespace
			WHERE c.collnamespace = ANY ($1) AND ` + fmt.Sprintf(notExtension, "pg_catalog.pg_collation", "c.oid"),
		row: func(s *Snapshot, rows pgx.Rows) error {
			c := &Collation{}
			var provider string
			if err := rows.Scan(&c.Schema, &c.Name, &provider, &c.Locale, &c.Ctype, &c.Deterministic); err != nil {
				return err
			}
			c.Provider = map[string]string{"c": "libc", "i": "icu", "d": "default"}[provider]
			if c.Provider != "libc" {
				c.Ctype = ""
			}
			s.Collations[Qualify(c.Schema, c.Name)] = c
			return nil
		},
	},
	{
		// What else a schema can hold that the snapshot does not compare:
		// named, so a reader knows what was not checked.
		reads: "pg_catalog.pg_rewrite",
		sql: `SELECT 'rule ' || r.rulename || ' on ' || ` + disp("n", "c.relname") + `
			  FROM pg_catalog.pg_rewrite r JOIN pg_catalog.pg_class c ON c.oid = r.ev_class
			  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
			 WHERE c.relnamespace = ANY ($1) AND r.rulename <> '_RETURN'`,
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

func (s *Snapshot) view(schema, name string) *View {
	key := Qualify(schema, name)
	v := s.Views[key]
	if v == nil {
		v = &View{Schema: schema, Name: name}
		s.Views[key] = v
	}
	return v
}

func appendNew(list []string, s string) []string {
	for _, x := range list {
		if x == s {
			return list
		}
	}
	return append(list, s)
}

var relkindNames = map[string]string{"f": "foreign table", "c": "composite type"}

var typtypeNames = map[string]string{"b": "base type", "d": "domain", "r": "range type", "p": "pseudo-type"}

var contypeNames = map[string]string{
	"p": "primary key", "u": "unique", "f": "foreign key", "c": "check", "x": "exclusion",
}
