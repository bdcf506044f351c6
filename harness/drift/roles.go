package drift

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/appydex/smoke/schema"
	"github.com/appydex/smoke/schema/pgident"
)

// appRoles are the roles the application connects as: those c names, or
// else every role with LOGIN that owns (or is a member of the owner of), or
// may write, a table of the migrations'.
func appRoles(ctx context.Context, conn *pgx.Conn, c Context) ([]string, error) {
	if len(c.AppRoles) > 0 {
		return c.AppRoles, nil
	}
	rows, err := conn.Query(ctx, `
		SELECT r.rolname FROM pg_catalog.pg_roles r
		 WHERE r.rolcanlogin AND EXISTS (
		       SELECT 1 FROM pg_catalog.pg_class t JOIN pg_catalog.pg_namespace n ON n.oid = t.relnamespace
		        WHERE t.relkind IN ('r', 'p')
		          AND (CASE WHEN n.nspname = 'public' THEN t.relname ELSE n.nspname || '.' || t.relname END) = ANY ($1)
		          AND (pg_catalog.pg_has_role(r.oid, t.relowner, 'USAGE')
		               OR pg_catalog.has_table_privilege(r.oid, t.oid, 'INSERT, UPDATE, DELETE')))
		 ORDER BY 1`, tableKeys(c.Expected))
	if err != nil {
		return nil, fmt.Errorf("find the roles that own or may write the application's tables: %w", err)
	}
	roles, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("find the roles that own or may write the application's tables: %w", err)
	}
	return roles, nil
}

// tableKeys are the keys of a snapshot's tables.
func tableKeys(s *schema.Snapshot) []string {
	keys := make([]string, 0, len(s.Tables))
	for k := range s.Tables {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// roleSetting is one setting made for the database, a role, or a role in
// this database (ALTER DATABASE … SET, ALTER ROLE … [IN DATABASE …] SET):
// every session the application opens starts with it.
type roleSetting struct {
	role       string // "" for the database's
	inDatabase bool
	name       string
	value      string
}

func (s roleSetting) whose() string {
	switch {
	case s.role == "":
		return "the database"
	case s.inDatabase:
		return "role " + s.role + " in this database"
	}
	return "role " + s.role
}

func (s roleSetting) reset(database string) string {
	switch {
	case s.role == "":
		return fmt.Sprintf("ALTER DATABASE %s RESET %s;", pgident.Quote(database), s.name)
	case s.inDatabase:
		return fmt.Sprintf("ALTER ROLE %s IN DATABASE %s RESET %s;", pgident.Quote(s.role), pgident.Quote(database), s.name)
	}
	return fmt.Sprintf("ALTER ROLE %s RESET %s;", pgident.Quote(s.role), s.name)
}

// settingFindings reads the settings every session of the application
// starts with — the database's, and those of the roles it connects as —
// and the roles' and the database's own limits, and judges those that
// stop its writes or its connections.
func settingFindings(ctx context.Context, conn *pgx.Conn, expected *schema.Snapshot, roles []string) ([]schema.Finding, error) {
	var database string
	var dbLimit int
	if err := conn.QueryRow(ctx, `SELECT datname, datconnlimit FROM pg_catalog.pg_database WHERE datname = pg_catalog.current_database()`).
		Scan(&database, &dbLimit); err != nil {
		return nil, fmt.Errorf("read the database's settings: %w", err)
	}
	rows, err := conn.Query(ctx, `
		SELECT coalesce(r.rolname, ''), s.setdatabase <> 0, cfg
		  FROM pg_catalog.pg_db_role_setting s
		  LEFT JOIN pg_catalog.pg_roles r ON r.oid = s.setrole
		 CROSS JOIN LATERAL unnest(s.setconfig) cfg
		 WHERE s.setdatabase IN (0, (SELECT oid FROM pg_catalog.pg_database WHERE datname = pg_catalog.current_database()))
		   AND (s.setrole = 0 OR r.rolname = ANY ($1))
		 ORDER BY r.rolname NULLS FIRST, s.setdatabase <> 0, cfg`, roles)
	if err != nil {
		return nil, fmt.Errorf("read the settings made for the database and its roles (pg_db_role_setting): %w", err)
	}
	var settings []roleSetting
	var role, cfg string
	var inDatabase bool
	_, err = pgx.ForEachRow(rows, []any{&role, &inDatabase, &cfg}, func() error {
		name, value, _ := strings.Cut(cfg, "=")
		settings = append(settings, roleSetting{role: role, inDatabase: inDatabase, name: strings.ToLower(name), value: value})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read the settings made for the database and its roles (pg_db_role_setting): %w", err)
	}
	rowSecurity := false
	for _, t := range expected.Tables {
		rowSecurity = rowSecurity || t.RowSecurity
	}
	var out []schema.Finding
	for _, s := range settings {
		rule, why := judgeSetting(s, rowSecurity)
		if rule.ID == "" {
			continue
		}
		f := schema.Finding{ObjectType: "setting", Object: s.name, Kind: KindSetting, WantSource: "migrations", GotSource: "live",
			Got: s.name + " = " + s.value, Detail: fmt.Sprintf("%s sets %s = %s: %s", s.whose(), s.name, s.value, why), Fix: s.reset(database)}
		rule.Judge(&f)
		out = append(out, f)
	}
	limits, err := connectionFindings(ctx, conn, database, dbLimit, roles)
	if err != nil {
		return nil, err
	}
	return append(out, limits...), nil
}

// KindSetting: a setting every session of the application starts with.
const KindSetting schema.Kind = "set for its sessions"

// KindCannotConnect: the application's role, or the database, takes no
// connections.
const KindCannotConnect schema.Kind = "cannot connect"

// judgeSetting gives a setting the rule its effect calls for, and says
// that effect; no rule for a setting that changes nothing the application
// or its migrations meet.
func judgeSetting(s roleSetting, rowSecurity bool) (schema.Rule, string) {
	switch s.name {
	case "default_transaction_read_only", "transaction_read_only":
		if isOn(s.value) {
			return ruleReadOnly, "every transaction is read-only, so every write of the application's, and every migration, fails"
		}
	case "session_replication_role":
		if strings.EqualFold(s.value, "replica") {
			return ruleReplicationRole, "ordinary triggers and foreign keys' do not fire in its sessions"
		}
	case "row_security":
		if !isOn(s.value) && rowSecurity {
			return ruleRowSecurityOff, "queries on the application's tables with row level security fail"
		}
	case "default_transaction_isolation":
		if v := strings.ToLower(s.value); v == "serializable" || v == "repeatable read" {
			return ruleIsolation, "concurrent writes fail with serialization errors"
		}
	case "statement_timeout", "lock_timeout", "idle_in_transaction_session_timeout":
		ms, ok := milliseconds(s.value)
		switch {
		case !ok || ms == 0:
		case ms < 1000:
			return ruleTimeoutShort, fmt.Sprintf("what takes longer than %s fails", s.value)
		default:
			return ruleTimeout, fmt.Sprintf("what takes longer than %s fails", s.value)
		}
	}
	return schema.Rule{}, ""
}

// isOn reads a boolean setting as PostgreSQL does: on, true, yes, 1, or a
// unique prefix of true or yes.
func isOn(v string) bool {
	v = strings.ToLower(strings.Trim(strings.TrimSpace(v), `'"`))
	return v == "on" || v == "1" || (v != "" && (strings.HasPrefix("true", v) || strings.HasPrefix("yes", v)))
}

// milliseconds reads a time setting: a number of milliseconds, or with a
// unit (us, ms, s, min, h, d).
func milliseconds(v string) (float64, bool) {
	v = strings.ToLower(strings.Trim(strings.TrimSpace(v), `'"`))
	i := strings.IndexFunc(v, func(r rune) bool { return (r < '0' || r > '9') && r != '.' })
	num, unit := v, "ms"
	if i >= 0 {
		num, unit = v[:i], strings.TrimSpace(v[i:])
	}
	n, err := strconv.ParseFloat(num, 64)
	scale, known := map[string]float64{"us": 0.001, "ms": 1, "s": 1000, "min": 60000, "h": 3600000, "d": 86400000}[unit]
	if err != nil || !known {
		return 0, false
	}
	return n * scale, true
}

// connectionFindings judges whether the application's roles can sign in
// and the database takes their connections.
func connectionFindings(ctx context.Context, conn *pgx.Conn, database string, dbLimit int, roles []string) ([]schema.Finding, error) {
	rows, err := conn.Query(ctx, `
		SELECT rolname, rolcanlogin, rolconnlimit, coalesce(rolvaliduntil < now(), false), rolsuper
		  FROM pg_catalog.pg_roles WHERE rolname = ANY ($1) ORDER BY 1`, roles)
	if err != nil {
		return nil, fmt.Errorf("read the application's roles: %w", err)
	}
	var out []schema.Finding
	add := func(object, got, detail, fix string) {
		f := schema.Finding{ObjectType: "role", Object: object, Kind: KindCannotConnect, WantSource: "migrations", GotSource: "live",
			Want: "it can connect", Got: got, Detail: detail, Fix: fix}
		ruleNoConnections.Judge(&f)
		out = append(out, f)
	}
	var name string
	var login, expired, super bool
	var limit int
	allSuper := true
	_, err = pgx.ForEachRow(rows, []any{&name, &login, &limit, &expired, &super}, func() error {
		allSuper = allSuper && super
		q := pgident.Quote(name)
		switch {
		case !login:
			add(name, "NOLOGIN", "role "+name+", which the application connects as, cannot sign in (NOLOGIN)", "ALTER ROLE "+q+" LOGIN;")
		case limit == 0:
			add(name, "CONNECTION LIMIT 0", "role "+name+", which the application connects as, may open no connection (CONNECTION LIMIT 0)", "ALTER ROLE "+q+" CONNECTION LIMIT -1;")
		case expired:
			add(name, "VALID UNTIL in the past", "role "+name+"'s password is past its VALID UNTIL: the application's password sign-ins fail", "ALTER ROLE "+q+" VALID UNTIL 'infinity';")
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read the application's roles: %w", err)
	}
	if dbLimit == 0 && !allSuper {
		f := schema.Finding{ObjectType: "database", Object: database, Kind: KindCannotConnect, WantSource: "migrations", GotSource: "live",
			Want: "it takes connections", Got: "CONNECTION LIMIT 0",
			Detail: "the database takes no connection but a superuser's (CONNECTION LIMIT 0)",
			Fix:    "ALTER DATABASE " + pgident.Quote(database) + " CONNECTION LIMIT -1;"}
		ruleNoConnections.Judge(&f)
		out = append(out, f)
	}
	return out, nil
}
