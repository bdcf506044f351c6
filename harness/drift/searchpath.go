package drift

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/appydex/smoke/schema"
)

// KindShadowed: a relation in a schema earlier on the search_path has a
// table's name, so the application's unqualified queries reach it instead.
const KindShadowed schema.Kind = "shadowed on the search_path"

// KindOffSearchPath: the tables' schema is not on the search_path at all.
const KindOffSearchPath schema.Kind = "not on the search_path"

// searchPath is one search_path a session of the database can get, and
// whose it is.
type searchPath struct {
	whose   string // "this session (role app)", "role app", "the database"
	setting string // as set: "\"$user\", public"
	role    string // whom "$user" stands for
}

// SearchPathShadows looks at the database behind conn as the application
// sees it: with every search_path its sessions can get (this session's,
// and each one ALTER ROLE or ALTER DATABASE … SET search_path gives), it
// reports a relation that comes before public.<table> for a table of
// tables, and a search_path without public. The login incident's class of
// failure has this twin: the migrations ran, into a table the application
// does not read.
func SearchPathShadows(ctx context.Context, conn *pgx.Conn, tables []string) ([]schema.Finding, error) {
	if len(tables) == 0 {
		return nil, nil
	}
	paths, err := searchPaths(ctx, conn)
	if err != nil {
		return nil, err
	}
	var out []schema.Finding
	seen := map[string]bool{}
	for _, p := range paths {
		schemas := parseSearchPath(p.setting, p.role)
		key := strings.Join(schemas, ",")
		if seen[key] {
			continue // another role or scope with the same path says nothing new
		}
		seen[key] = true
		at := slices.Index(schemas, "public")
		if at < 0 {
			f := schema.Finding{ObjectType: schema.ObjectSchema, Object: "public", Kind: KindOffSearchPath,
				WantSource: "migrations", GotSource: "live", Want: "public on the search_path", Got: "search_path = " + p.setting,
				Detail: fmt.Sprintf("the search_path of %s is %s, without public: the application's unqualified queries find none of its tables", p.whose, p.setting),
				Fix:    "-- put public on the search_path (ALTER ROLE … SET search_path = \"$user\", public), or qualify the application's tables"}
			ruleOffSearchPath.Judge(&f)
			out = append(out, f)
			continue
		}
		before := schemas[:at]
		if len(before) == 0 {
			continue
		}
		rows, err := conn.Query(ctx, `
			SELECT n.nspname, c.relname FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
			 WHERE n.nspname = ANY ($1) AND c.relname = ANY ($2) AND c.relkind IN ('r', 'p', 'v', 'm', 'f')`, before, tables)
		if err != nil {
			return nil, fmt.Errorf("look for tables that shadow the application's: %w", err)
		}
		type hit struct{ schema, name string }
		hits, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (hit, error) {
			var h hit
			return h, r.Scan(&h.schema, &h.name)
		})
		if err != nil {
			return nil, fmt.Errorf("look for tables that shadow the application's: %w", err)
		}
		slices.SortFunc(hits, func(a, b hit) int {
			if c := slices.Index(before, a.schema) - slices.Index(before, b.schema); c != 0 {
				return c
			}
			return strings.Compare(a.name, b.name)
		})
		for _, h := range hits {
			f := schema.Finding{ObjectType: schema.ObjectTable, Object: h.name, Kind: KindShadowed,
				WantSource: "migrations", GotSource: "live", Want: "public." + h.name, Got: h.schema + "." + h.name,
				Detail: fmt.Sprintf("%s.%s comes before public.%s on the search_path of %s (%s): the application's unqualified queries use it, not the table the migrations made",
					h.schema, h.name, h.name, p.whose, p.setting),
				Fix: fmt.Sprintf("-- drop or rename %s.%s, or take %s off that search_path", h.schema, h.name, h.schema)}
			ruleShadowed.Judge(&f)
			out = append(out, f)
		}
	}
	return out, nil
}

// searchPaths are every search_path set for a role or for the database
// (pg_db_role_setting), most specific first, then this session's.
func searchPaths(ctx context.Context, conn *pgx.Conn) ([]searchPath, error) {
	var current, user string
	if err := conn.QueryRow(ctx, "SELECT pg_catalog.current_setting('search_path'), current_user").Scan(&current, &user); err != nil {
		return nil, fmt.Errorf("read the search_path: %w", err)
	}
	var paths []searchPath
	rows, err := conn.Query(ctx, `
		SELECT coalesce(r.rolname, ''), s.setdatabase <> 0, cfg
		  FROM pg_catalog.pg_db_role_setting s
		  LEFT JOIN pg_catalog.pg_roles r ON r.oid = s.setrole
		  CROSS JOIN LATERAL unnest(s.setconfig) cfg
		 WHERE s.setdatabase IN (0, (SELECT oid FROM pg_catalog.pg_database WHERE datname = pg_catalog.current_database()))
		   AND cfg LIKE 'search\_path=%'
		 ORDER BY r.rolname IS NULL, s.setdatabase = 0, r.rolname`)
	if err != nil {
		return nil, fmt.Errorf("read the search_path set for roles and the database (pg_db_role_setting): %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var role, cfg string
		var inDatabase bool
		if err := rows.Scan(&role, &inDatabase, &cfg); err != nil {
			return nil, err
		}
		p := searchPath{setting: strings.TrimPrefix(cfg, "search_path="), role: role}
		switch {
		case role == "":
			p.whose, p.role = "the database", user
		case inDatabase:
			p.whose = "role " + role + " in this database"
		default:
			p.whose = "role " + role
		}
		paths = append(paths, p)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	// Last: a path set above says where it comes from; this one only
	// adds what the server's default or the connection gives.
	return append(paths, searchPath{whose: "this session (role " + user + ")", setting: current, role: user}), nil
}

// parseSearchPath turns a search_path setting into schema names: quotes
// removed, "$user" as role.
func parseSearchPath(setting, role string) []string {
	var out []string
	for _, part := range strings.Split(setting, ",") {
		name := strings.TrimSpace(part)
		switch unquoted, quoted := strings.CutPrefix(name, `"`); {
		case quoted && unquoted == `$user"`:
			name = role
		case quoted:
			name = strings.ReplaceAll(strings.TrimSuffix(unquoted, `"`), `""`, `"`)
		case name == "":
			continue
		case name == "$user":
			name = role
		default:
			name = strings.ToLower(name) // unquoted names fold to lower case
		}
		out = append(out, name)
	}
	return out
}
