package schema

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/appydex/smoke/schema/pgident"
)

// The catalog queries, each reading one kind of object in the schemas of
// $1 (their oids). What no query reads is not in the snapshot; what a query
// reads of a kind compared only by a summary is in Others.
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
			       coalesce(CASE WHEN c.relkind IN ('v', 'm') THEN pg_catalog.pg_get_viewdef(c.oid) END,
			                CASE WHEN c.relkind = 'c' THEN
			                  (SELECT string_agg(pg_catalog.quote_ident(a.attname) || ' ' || pg_catalog.format_type(a.atttypid, a.atttypmod), ', ' ORDER BY a.attnum)
			                     FROM pg_catalog.pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped) END, ''),
			       ` + privileges("c.relacl", "'r'", "c.relowner") + `,
			       CASE c.relreplident WHEN 'n' THEN 'NOTHING' WHEN 'f' THEN 'FULL'
			            WHEN 'i' THEN coalesce((SELECT 'USING INDEX ' || pg_catalog.quote_ident(ic.relname)
			                                      FROM pg_catalog.pg_index i JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid
			                                     WHERE i.indrelid = c.oid AND i.indisreplident), 'NOTHING')
			            ELSE '' END,
			       ARRAY(SELECT o FROM unnest(c.reloptions) o
			             UNION ALL
			             SELECT 'toast.' || o FROM pg_catalog.pg_class tc, unnest(tc.reloptions) o WHERE tc.oid = c.reltoastrelid
			             ORDER BY 1)
			FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
			WHERE c.relnamespace = ANY ($1) AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'c')
			  AND NOT (c.relkind = 'r' AND n.nspname = 'public' AND c.relname = ANY ($2))
			  AND ` + fmt.Sprintf(notExtension, "pg_catalog.pg_class", "c.oid"),
		row: func(s *Snapshot, rows pgx.Rows) error {
			var schema, name, kind, partKey, bound, partOf, def, replident string
			var unlogged, rls, force bool
			var inherits, acl, options []string
			if err := rows.Scan(&schema, &name, &kind, &unlogged, &rls, &force, &partKey, &bound, &partOf, &inherits, &def, &acl, &replident, &options); err != nil {
				return err
			}
			switch kind {
			case "r", "p":
				t := s.table(schema, name)
				t.Partitioned, t.PartitionKey, t.PartitionOf, t.PartitionBound = kind == "p", partKey, partOf, bound
				t.Inherits, t.Unlogged, t.RowSecurity, t.ForceSecurity = inherits, unlogged, rls, force
				t.Privileges = grants(acl)
				t.ReplicaIdentity = replident
				t.Options = options
			case "v", "m":
				v := s.view(schema, name)
				v.Materialized, v.Def, v.Privileges, v.Options = kind == "m", def, grants(acl), options
			case "c":
				s.Others["composite type "+Qualify(schema, name)] = &Other{Kind: "composite type", Def: "(" + def + ")",
					Create: "CREATE TYPE " + sqlName(schema, name) + " AS (" + def + ");", Drop: "DROP TYPE " + sqlName(schema, name) + ";"}
			case "f":
				s.Others["foreign table "+Qualify(schema, name)] = &Other{Kind: "foreign table", Drop: "DROP FOREIGN TABLE " + sqlName(schema, name) + ";"}
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
			                    || '=' || x.privilege_type || CASE WHEN x.is_grantable THEN ' WITH GRANT OPTION' ELSE '' END
			               FROM pg_catalog.aclexplode(a.attacl) x WHERE x.grantee <> c.relowner ORDER BY 1),
			       CASE WHEN a.attstorage <> t.typstorage THEN a.attstorage::text ELSE '' END, t.typstorage::text,
			       a.attcompression::text,
			       (SELECT ARRAY[sn.nspname, sc.relname, sq.seqtypid::pg_catalog.regtype::text, sq.seqstart::text, sq.seqincrement::text,
			                     sq.seqmin::text, sq.seqmax::text, sq.seqcache::text, sq.seqcycle::text]
			          FROM pg_catalog.pg_depend di JOIN pg_catalog.pg_sequence sq ON sq.seqrelid = di.objid
			          JOIN pg_catalog.pg_class sc ON sc.oid = sq.seqrelid JOIN pg_catalog.pg_namespace sn ON sn.oid = sc.relnamespace
			         WHERE a.attidentity <> '' AND di.classid = 'pg_catalog.pg_class'::pg_catalog.regclass
			           AND di.refobjid = c.oid AND di.refobjsubid = a.attnum AND di.deptype = 'i')
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
			var schema, table, identity, generated, expr, storage, typeStorage, compression string
			var acl, identitySeq []string
			col := &Column{}
			if err := rows.Scan(&schema, &table, &col.Name, &col.Position, &col.Type, &col.NotNull, &expr, &identity, &generated,
				&col.Inherited, &acl, &storage, &typeStorage, &compression, &identitySeq); err != nil {
				return err
			}
			if storage != "" {
				col.Storage, col.TypeStorage = storageNames[storage], storageNames[typeStorage]
			}
			col.Compression = map[string]string{"p": "pglz", "l": "lz4"}[compression]
			if generated == "s" {
				col.Generated = expr
			} else {
				col.Default = expr
			}
			col.Identity = map[string]string{"a": "ALWAYS", "d": "BY DEFAULT"}[identity]
			if len(identitySeq) == 9 {
				seq, err := sequenceOf(identitySeq)
				if err != nil {
					return fmt.Errorf("identity sequence of %s.%s: %w", table, col.Name, err)
				}
				col.IdentitySequence = seq
			}
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
			                   JOIN pg_catalog.pg_namespace fn ON fn.oid = f.relnamespace WHERE f.oid = con.confrelid), ''),
			       ARRAY(SELECT DISTINCT ` + disp("tn", "tc.relname") + ` FROM pg_catalog.pg_trigger tg
			               JOIN pg_catalog.pg_class tc ON tc.oid = tg.tgrelid JOIN pg_catalog.pg_namespace tn ON tn.oid = tc.relnamespace
			              WHERE tg.tgconstraint = con.oid AND tg.tgisinternal AND tg.tgenabled IN ('D', 'R') ORDER BY 1)
			FROM pg_catalog.pg_constraint con
			JOIN pg_catalog.pg_class c ON c.oid = con.conrelid
			JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
			WHERE c.relnamespace = ANY ($1) AND c.relkind IN ('r', 'p')
			  AND con.contype <> 't' -- a constraint trigger is read, and compared, as the trigger it is
			  AND NOT (n.nspname = 'public' AND c.relname = ANY ($2))
			  AND ` + fmt.Sprintf(notExtension, "pg_catalog.pg_class", "c.oid") + `
			ORDER BY n.nspname, c.relname, con.conname`,
		row: func(s *Snapshot, rows pgx.Rows) error {
			var schema, table, kind string
			con := &Constraint{}
			if err := rows.Scan(&schema, &table, &con.Name, &kind, &con.Def, &con.Validated, &con.Inherited, &con.Columns, &con.References, &con.Unenforced); err != nil {
				return err
			}
			name, ok := contypeNames[kind]
			if !ok {
				s.Others[fmt.Sprintf("constraint %s on %s", con.Name, Qualify(schema, table))] = &Other{Kind: ObjectConstraint, Def: con.Def,
					Drop: "ALTER TABLE " + sqlName(schema, table) + " DROP CONSTRAINT " + pgident.Quote(con.Name) + ";"}
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
			       coalesce((SELECT ` + disp("pn", "p.relname") + ` FROM pg_catalog.pg_inherits h
			                   JOIN pg_catalog.pg_class p ON p.oid = h.inhparent JOIN pg_catalog.pg_namespace pn ON pn.oid = p.relnamespace
			                  WHERE h.inhrelid = i.indexrelid), '')
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
			if err := rows.Scan(&schema, &table, &kind, &ix.Name, &quoted, &ix.Def, &ix.Valid, &ix.Unique, &ix.AttachedTo); err != nil {
				return err
			}
			ix.Inherited = ix.AttachedTo != ""
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
			       CASE WHEN t.tgtype & 2 <> 0 THEN 'BEFORE' WHEN t.tgtype & 64 <> 0 THEN 'INSTEAD OF' ELSE 'AFTER' END,
			       t.tgenabled::text,
			       (SELECT ` + disp("pn", "p.proname") + ` || '(' || pg_catalog.pg_get_function_identity_arguments(p.oid) || ')'
			          FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace pn ON pn.oid = p.pronamespace WHERE p.oid = t.tgfoid)
			FROM pg_catalog.pg_trigger t
			JOIN pg_catalog.pg_class c ON c.oid = t.tgrelid
			JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
			WHERE c.relnamespace = ANY ($1) AND NOT t.tgisinternal AND t.tgparentid = 0
			  AND NOT (n.nspname = 'public' AND c.relname = ANY ($2))
			  AND ` + fmt.Sprintf(notExtension, "pg_catalog.pg_class", "c.oid"),
		row: func(s *Snapshot, rows pgx.Rows) error {
			var schema, rel, kind, enabled string
			tr := &Trigger{}
			if err := rows.Scan(&schema, &rel, &kind, &tr.Name, &tr.Def, &tr.Timing, &enabled, &tr.Function); err != nil {
				return err
			}
			tr.Enabled = enabledNames[enabled]
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
				s.Others["trigger "+tr.Name+" on "+Qualify(schema, rel)] = &Other{Kind: "trigger", Def: tr.Def, Create: tr.Def + ";",
					Drop: "DROP TRIGGER " + pgident.Quote(tr.Name) + " ON " + sqlName(schema, rel) + ";"}
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
		sql: `SELECT t.typtype::text, n.nspname, t.typname,
			       CASE t.typtype
			       WHEN 'd' THEN pg_catalog.format_type(t.typbasetype, t.typtypmod)
			         || CASE WHEN t.typcollation <> 0 AND t.typcollation <> (SELECT bt.typcollation FROM pg_catalog.pg_type bt WHERE bt.oid = t.typbasetype)
			                 THEN ' COLLATE ' || t.typcollation::pg_catalog.regcollation::text ELSE '' END
			         || coalesce(' DEFAULT ' || t.typdefault, '')
			         || CASE WHEN t.typnotnull THEN ' NOT NULL' ELSE '' END
			         || coalesce((SELECT string_agg(' CONSTRAINT ' || pg_catalog.quote_ident(con.conname) || ' ' || pg_catalog.pg_get_constraintdef(con.oid), '' ORDER BY con.conname)
			                        FROM pg_catalog.pg_constraint con WHERE con.contypid = t.oid), '')
			       WHEN 'r' THEN (SELECT 'SUBTYPE = ' || pg_catalog.format_type(r.rngsubtype, NULL)
			                             || CASE WHEN r.rngsubdiff <> 0 THEN ', SUBTYPE_DIFF = ' || r.rngsubdiff::pg_catalog.regproc::text ELSE '' END
			                        FROM pg_catalog.pg_range r WHERE r.rngtypid = t.oid)
			       ELSE '' END
			FROM pg_catalog.pg_type t
			JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace
			WHERE t.typnamespace = ANY ($1) AND t.typtype IN ('b', 'd', 'r', 'p', 'm')
			  AND NOT (t.typtype = 'b' AND t.typcategory = 'A')
			  AND ` + fmt.Sprintf(notExtension, "pg_catalog.pg_type", "t.oid"),
		row: func(s *Snapshot, rows pgx.Rows) error {
			var kind, schema, name, def string
			if err := rows.Scan(&kind, &schema, &name, &def); err != nil {
				return err
			}
			o := &Other{Kind: typtypeNames[kind], Def: def, Drop: "DROP TYPE " + sqlName(schema, name) + ";"}
			switch kind {
			case "m":
				return nil // a range type's multirange comes with it
			case "d":
				o.Create, o.Drop = "CREATE DOMAIN "+sqlName(schema, name)+" AS "+def+";", "DROP DOMAIN "+sqlName(schema, name)+";"
			case "r":
				o.Create = "CREATE TYPE " + sqlName(schema, name) + " AS RANGE (" + def + ");"
			}
			s.Others[string(o.Kind)+" "+Qualify(schema, name)] = o
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
			       CASE WHEN p.prokind IN ('f', 'p', 'w') THEN pg_catalog.pg_get_functiondef(p.oid)
			            ELSE (SELECT a.aggkind::text || 'SFUNC = ' || a.aggtransfn::pg_catalog.regproc::text
			                         || ', STYPE = ' || pg_catalog.format_type(a.aggtranstype, NULL)
			                         || CASE WHEN a.aggfinalfn <> 0 THEN ', FINALFUNC = ' || a.aggfinalfn::pg_catalog.regproc::text ELSE '' END
			                         || CASE WHEN a.aggcombinefn <> 0 THEN ', COMBINEFUNC = ' || a.aggcombinefn::pg_catalog.regproc::text ELSE '' END
			                         || CASE WHEN a.aggsortop <> 0 THEN ', SORTOP = OPERATOR(' || a.aggsortop::pg_catalog.regoperator::text || ')' ELSE '' END
			                         || coalesce(', INITCOND = ' || pg_catalog.quote_literal(a.agginitval), '')
			                    FROM pg_catalog.pg_aggregate a WHERE a.aggfnoid = p.oid) END,
			       coalesce(pg_catalog.pg_get_function_result(p.oid), ''),
			       ` + privileges("p.proacl", "'f'", "p.proowner") + `
			FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
			WHERE p.pronamespace = ANY ($1) AND ` + fmt.Sprintf(notExtension, "pg_catalog.pg_proc", "p.oid") + `
			  -- a range type's constructors are part of the type
			  AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend dep WHERE dep.classid = 'pg_catalog.pg_proc'::pg_catalog.regclass
			                     AND dep.objid = p.oid AND dep.deptype = 'i')`,
		row: func(s *Snapshot, rows pgx.Rows) error {
			f := &Function{}
			var kind string
			var acl []string
			if err := rows.Scan(&f.Schema, &f.Name, &f.Arguments, &kind, &f.Def, &f.Result, &acl); err != nil {
				return err
			}
			key := Qualify(f.Schema, f.Name) + "(" + f.Arguments + ")"
			switch kind {
			case "f", "p", "w":
				f.Kind = map[string]ObjectType{"f": ObjectFunction, "p": ObjectProcedure, "w": ObjectFunction}[kind]
				f.Privileges = grants(acl)
				s.Functions[key] = f
			case "a":
				// f.Def is the aggregate's kind (n: normal), then its parts.
				if f.Def == "" {
					f.Def = "?"
				}
				aggkind, def := f.Def[:1], f.Def[1:]
				name := sqlName(f.Schema, f.Name) + "(" + f.Arguments + ")"
				o := &Other{Kind: "aggregate", Def: def, Drop: "DROP AGGREGATE " + name + ";"}
				if aggkind == "n" {
					o.Create = "CREATE AGGREGATE " + name + " (" + def + ");"
				} else {
					o.Def = "ordered-set " + def
				}
				s.Others["aggregate "+key] = o
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
		sql: `SELECT e.extname, n.nspname, e.extversion,
			       ARRAY(SELECT p.target FROM pg_catalog.pg_extension_update_paths(e.extname) p
			              WHERE p.source = e.extversion AND p.path IS NOT NULL)
			FROM pg_catalog.pg_extension e
			JOIN pg_catalog.pg_namespace n ON n.oid = e.extnamespace
			WHERE e.extname <> 'plpgsql' AND (e.extnamespace = ANY ($1) OR n.nspname = 'pg_catalog')`,
		row: func(s *Snapshot, rows pgx.Rows) error {
			e := &Extension{}
			if err := rows.Scan(&e.Name, &e.Schema, &e.Version, &e.UpdatesTo); err != nil {
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
		// Publications are the database's: every one is read, with the
		// tables it names among the schemas read.
		reads: "pg_catalog.pg_publication",
		sql: `SELECT p.pubname, p.puballtables, p.pubviaroot,
			       array_to_string(ARRAY[CASE WHEN p.pubinsert THEN 'insert' END, CASE WHEN p.pubupdate THEN 'update' END,
			                             CASE WHEN p.pubdelete THEN 'delete' END, CASE WHEN p.pubtruncate THEN 'truncate' END], ', '),
			       ARRAY(SELECT n.nspname FROM pg_catalog.pg_publication_namespace pn JOIN pg_catalog.pg_namespace n ON n.oid = pn.pnnspid
			              WHERE pn.pnpubid = p.oid AND pn.pnnspid = ANY ($1) ORDER BY 1),
			       coalesce((SELECT json_agg(json_build_object('table', ` + disp("n", "c.relname") + `,
			                   'columns', (SELECT json_agg(a.attname ORDER BY a.attnum) FROM pg_catalog.pg_attribute a
			                                WHERE a.attrelid = pr.prrelid AND a.attnum = ANY (pr.prattrs::int2[])),
			                   'where', coalesce(pg_catalog.pg_get_expr(pr.prqual, pr.prrelid), '')) ORDER BY n.nspname, c.relname)
			           FROM pg_catalog.pg_publication_rel pr JOIN pg_catalog.pg_class c ON c.oid = pr.prrelid
			           JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
			          WHERE pr.prpubid = p.oid AND c.relnamespace = ANY ($1)), '[]')
			FROM pg_catalog.pg_publication p`,
		row: func(s *Snapshot, rows pgx.Rows) error {
			p := &Publication{}
			if err := rows.Scan(&p.Name, &p.AllTables, &p.ViaRoot, &p.Publishes, &p.Schemas, &p.Tables); err != nil {
				return err
			}
			if len(p.Schemas) == 0 {
				p.Schemas = nil
			}
			if len(p.Tables) == 0 {
				p.Tables = nil
			}
			s.Publications[p.Name] = p
			return nil
		},
	},
	{
		reads: "pg_catalog.pg_statistic_ext",
		sql: `SELECT n.nspname, x.stxname, tn.nspname, c.relname, pg_catalog.pg_get_statisticsobjdef(x.oid)
			FROM pg_catalog.pg_statistic_ext x
			JOIN pg_catalog.pg_namespace n ON n.oid = x.stxnamespace
			JOIN pg_catalog.pg_class c ON c.oid = x.stxrelid JOIN pg_catalog.pg_namespace tn ON tn.oid = c.relnamespace
			WHERE c.relnamespace = ANY ($1) AND NOT (tn.nspname = 'public' AND c.relname = ANY ($2))
			  AND ` + fmt.Sprintf(notExtension, "pg_catalog.pg_statistic_ext", "x.oid"),
		row: func(s *Snapshot, rows pgx.Rows) error {
			var schema, name, tableSchema, table, def string
			if err := rows.Scan(&schema, &name, &tableSchema, &table, &def); err != nil {
				return err
			}
			s.Others["statistics "+Qualify(schema, name)+" on "+Qualify(tableSchema, table)] = &Other{Kind: ObjectStatistics, Def: def,
				Create: def + ";", Drop: "DROP STATISTICS " + sqlName(schema, name) + ";"}
			return nil
		},
	},
	{
		// Default privileges of the schemas read. Those IN SCHEMA only
		// add to the built-in defaults, and compare as they are; the
		// database's own (no IN SCHEMA) replace the built-in defaults,
		// and are not read (docs/drift.md).
		reads: "pg_catalog.pg_default_acl",
		sql: `SELECT pg_catalog.quote_ident(pg_catalog.pg_get_userbyid(d.defaclrole)), coalesce(n.nspname, ''), d.defaclobjtype::text,
			       ` + privileges("d.defaclacl", "d.defaclobjtype", "d.defaclrole") + `
			FROM pg_catalog.pg_default_acl d LEFT JOIN pg_catalog.pg_namespace n ON n.oid = d.defaclnamespace
			WHERE d.defaclnamespace = ANY ($1)`,
		row: func(s *Snapshot, rows pgx.Rows) error {
			var role, schema, kind string
			var acl []string
			if err := rows.Scan(&role, &schema, &kind, &acl); err != nil {
				return err
			}
			on := map[string]string{"r": "TABLES", "S": "SEQUENCES", "f": "FUNCTIONS", "T": "TYPES", "n": "SCHEMAS"}[kind]
			key := "FOR ROLE " + role
			if schema != "" {
				key += " IN SCHEMA " + pgident.Quote(schema)
			}
			if g := grants(acl); g != nil {
				if s.DefaultPrivileges == nil {
					s.DefaultPrivileges = map[string]map[string]string{}
				}
				s.DefaultPrivileges[key+" ON "+on] = g
			}
			return nil
		},
	},
	{
		// Event triggers are the database's: every one is read but those
		// an extension made.
		reads: "pg_catalog.pg_event_trigger",
		sql: `SELECT e.evtname, e.evtevent, e.evtenabled::text, coalesce(array_to_string(e.evttags, ', '), ''),
			       ` + disp("pn", "p.proname") + ` || '(' || pg_catalog.pg_get_function_identity_arguments(p.oid) || ')',
			       l.lanname, coalesce(p.prosrc, '')
			FROM pg_catalog.pg_event_trigger e
			JOIN pg_catalog.pg_proc p ON p.oid = e.evtfoid
			JOIN pg_catalog.pg_namespace pn ON pn.oid = p.pronamespace
			JOIN pg_catalog.pg_language l ON l.oid = p.prolang
			WHERE ` + fmt.Sprintf(notExtension, "pg_catalog.pg_event_trigger", "e.oid"),
		row: func(s *Snapshot, rows pgx.Rows) error {
			e := &EventTrigger{}
			var enabled, language, source string
			if err := rows.Scan(&e.Name, &e.Event, &enabled, &e.Tags, &e.Function, &language, &source); err != nil {
				return err
			}
			e.Enabled, e.Refuses = enabledNames[enabled], canRaise(language, source)
			s.EventTriggers[e.Name] = e
			return nil
		},
	},
	{
		// Rules other than a view's own.
		reads: "pg_catalog.pg_rewrite",
		sql: `SELECT n.nspname, c.relname, r.rulename, pg_catalog.pg_get_ruledef(r.oid)
			  FROM pg_catalog.pg_rewrite r JOIN pg_catalog.pg_class c ON c.oid = r.ev_class
			  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
			 WHERE c.relnamespace = ANY ($1) AND r.rulename <> '_RETURN'`,
		row: func(s *Snapshot, rows pgx.Rows) error {
			var schema, table, name, def string
			if err := rows.Scan(&schema, &table, &name, &def); err != nil {
				return err
			}
			s.Others["rule "+name+" on "+Qualify(schema, table)] = &Other{Kind: "rule", Def: oneLine(def), Create: def,
				Drop: "DROP RULE " + pgident.Quote(name) + " ON " + sqlName(schema, table) + ";"}
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

// storageNames are attstorage's and typstorage's letters as ALTER TABLE
// … SET STORAGE writes them.
var storageNames = map[string]string{"p": "PLAIN", "e": "EXTERNAL", "m": "MAIN", "x": "EXTENDED"}

// enabledNames are tgenabled's and evtenabled's letters, but the usual
// 'O' (it fires as triggers do), which is "".
var enabledNames = map[string]string{"D": "disabled", "R": "replica", "A": "always"}

var typtypeNames = map[string]ObjectType{"b": ObjectBaseType, "d": ObjectDomain, "r": ObjectRangeType, "p": ObjectPseudoType}

var contypeNames = map[string]ObjectType{
	"p": ObjectPrimaryKey, "u": ObjectUnique, "f": ObjectForeignKey, "c": ObjectCheck, "x": ObjectExclusion,
}

// sequenceOf reads schema, name, type, start, increment, min, max, cache
// and cycle, as the catalog prints them, into a Sequence.
func sequenceOf(f []string) (*Sequence, error) {
	seq := &Sequence{Schema: f[0], Name: f[1], Type: f[2], Cycle: f[8] == "true"}
	for i, p := range []*int64{&seq.Start, &seq.Increment, &seq.Min, &seq.Max, &seq.Cache} {
		n, err := strconv.ParseInt(f[3+i], 10, 64)
		if err != nil {
			return nil, err
		}
		*p = n
	}
	return seq, nil
}
