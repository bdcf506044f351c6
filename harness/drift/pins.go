package drift

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/appydex/smoke/schema"
)

// pin is a view (or materialized view) of the live database built on a
// table of the application's, or on one of its columns.
type pin struct {
	view          string            // as a snapshot
	kind          schema.ObjectType //  keys it; "view" or "materialized view"
	table, column string            // column "" where it is built on the table as a whole
}

// readPins reads the views, in any schema, built on the tables of expected
// that expected does not make: from pg_depend, column by column.
func readPins(ctx context.Context, conn *pgx.Conn, expected *schema.Snapshot) ([]pin, error) {
	rows, err := conn.Query(ctx, `
		SELECT DISTINCT vn.nspname, v.relname, v.relkind = 'm', tn.nspname, t.relname, coalesce(a.attname, '')
		  FROM pg_catalog.pg_depend d
		  JOIN pg_catalog.pg_rewrite rw ON d.classid = 'pg_catalog.pg_rewrite'::pg_catalog.regclass AND rw.oid = d.objid
		  JOIN pg_catalog.pg_class v ON v.oid = rw.ev_class
		  JOIN pg_catalog.pg_namespace vn ON vn.oid = v.relnamespace
		  JOIN pg_catalog.pg_class t ON d.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass AND t.oid = d.refobjid
		  JOIN pg_catalog.pg_namespace tn ON tn.oid = t.relnamespace
		  LEFT JOIN pg_catalog.pg_attribute a ON a.attrelid = t.oid AND a.attnum = d.refobjsubid AND d.refobjsubid > 0
		 WHERE v.oid <> t.oid AND v.relkind IN ('v', 'm') AND t.relkind IN ('r', 'p')
		   AND vn.nspname NOT IN ('pg_catalog', 'information_schema')
		 ORDER BY 1, 2, 4, 5, 6`)
	if err != nil {
		return nil, fmt.Errorf("read the views built on the application's tables (pg_depend): %w", err)
	}
	var out []pin
	var vs, v, ts, t, column string
	var materialized bool
	_, err = pgx.ForEachRow(rows, []any{&vs, &v, &materialized, &ts, &t, &column}, func() error {
		p := pin{view: schema.Qualify(vs, v), kind: "view", table: schema.Qualify(ts, t), column: column}
		if materialized {
			p.kind = "materialized view"
		}
		if expected.Tables[p.table] != nil && expected.Views[p.view] == nil {
			out = append(out, p)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read the views built on the application's tables (pg_depend): %w", err)
	}
	return out, nil
}

// blocked says how a migration that would run next fails because view is
// built on what it drops or retypes; "" when none does.
func blocked(view string, pins []pin, drops []Drop) string {
	for _, p := range pins {
		if p.view != view {
			continue
		}
		for _, d := range drops {
			if d.Table != p.table || (d.Column != "" && d.Column != p.column) {
				continue
			}
			what := d.Table
			if d.Column != "" {
				what += "." + d.Column
			}
			return fmt.Sprintf("it is built on %s, which %s %s without CASCADE: that migration fails (cannot %s it because other objects depend on it)",
				what, d.File, d.What, map[string]string{"drops": "drop", "retypes": "alter"}[d.What])
		}
	}
	return ""
}

// pinnedElsewhere are the views, in schemas the comparison did not read
// (a reporting schema), that a migration that would run next fails on.
func pinnedElsewhere(expected *schema.Snapshot, pins []pin, drops []Drop) []schema.Finding {
	var out []schema.Finding
	seen := map[string]bool{}
	for _, p := range pins {
		schemaName := "public"
		if s, _, ok := strings.Cut(p.view, "."); ok {
			schemaName = s
		}
		if expected.Schemas[schemaName] != nil || seen[p.view] {
			continue // compared: its own finding is judged
		}
		seen[p.view] = true
		if why := blocked(p.view, pins, drops); why != "" {
			f := schema.Finding{ObjectType: p.kind, Object: p.view, Kind: schema.Unexpected, WantSource: "migrations", GotSource: "live",
				Detail: "a " + string(p.kind) + " the migrations do not make, in a schema they do not use; " + why,
				Fix:    "-- drop it before that migration runs and make it again after, or have the migration do so"}
			rulePinned.Judge(&f)
			out = append(out, f)
		}
	}
	return out
}
