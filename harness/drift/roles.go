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

// appRoles are the roles the application connects as, and whether c
// names them (else they are inferred): every role with LOGIN that owns (or
// is a member of the owner of), or may write, a table of the migrations'.
// Superusers and replication roles — a DBA's account, a replication tool's
// — may write everything; they are taken for the application's only where
// no other role owns or may write its tables (a database the application
// uses as postgres, as in development).
func appRoles(ctx context.Context, conn *pgx.Conn, c Context) ([]string, bool, error) {
	if len(c.AppRoles) > 0 {
		return c.AppRoles, true, nil
	}
	rows, err := conn.Query(ctx, `
		SELECT r.rolname, r.rolsuper OR r.rolreplication FROM pg_catalog.pg_roles r
		 WHERE r.rolcanlogin AND EXISTS (
		       SELECT 1 FROM pg_catalog.pg_class t JOIN pg_catalog.pg_namespace n ON n.oid = t.relnamespace
		        WHERE t.relkind IN ('r', 'p')
		          AND (CASE WHEN n.nspname = 'public' THEN t.relname ELSE n.nspname || '.' || t.relname END) = ANY ($1)
		          AND (pg_catalog.pg_has_role(r.oid, t.relowner, 'USAGE')
		               OR pg_catalog.has_table_privilege(r.oid, t.oid, 'INSERT, UPDATE, DELETE')))
		 ORDER BY 1`, tableKeys(c.Expected))
	if err != nil {
		return nil, false, fmt.Errorf("find the roles that own or may write the application's tables: %w", err)
	}
	var ordinary, powerful []string
	var name string
	var power bool
	_, err = pgx.ForEachRow(rows, []any{&name, &power}, func() error {
		if power {
			powerful = append(powerful, name)
		} else {
			ordinary = append(ordinary, name)
		}
		return nil
	})
	if err != nil {
		return nil, false, fmt.Errorf("find the roles that own or may write the application's tables: %w", err)
	}
	if len(ordinary) > 0 {
		return ordinary, false, nil
	}
	return powerful, false, nil
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

// roleSetting is one setting made for a role in this database, a role,
// the database, or every role (ALTER ROLE … IN DATABASE … SET, ALTER ROLE
// … SET, ALTER DATABASE … SET, ALTER ROLE ALL SET): a session starts with
// the first of those that sets it, in that order.
type roleSetting struct {
	role       string // "" for the database's, or every role's
	inDatabase bool
	name       string
	value      string
}

// rank is the setting's place in the order a session takes them.
func (s roleSetting) rank() int {
	switch {
	case s.role != "" && s.inDatabase:
		return 0
	case s.role != "":
		return 1
	case s.inDatabase:
		return 2
	}
	return 3
}

func (s roleSetting) whose() string {
	switch s.rank() {
	case 0:
		return "role " + s.role + " in this database"
	case 1:
		return "role " + s.role
	case 2:
		return "the database"
	}
	return "every role (ALTER ROLE ALL)"
}

func (s roleSetting) reset(database string) string {
	switch s.rank() {
	case 0:
		return fmt.Sprintf("ALTER ROLE %s IN DATABASE %s RESET %s;", pgident.Quote(s.role), pgident.Quote(database), s.name)
	case 1:
		return fmt.Sprintf("ALTER ROLE %s RESET %s;", pgident.Quote(s.role), s.name)
	case 2:
		return fmt.Sprintf("ALTER DATABASE %s RESET %s;", pgident.Quote(database), s.name)
	}
	return fmt.Sprintf("ALTER ROLE ALL RESET %s;", s.name)
}

// effective is the setting of name a session of role starts with, from
// settings; false when none sets it. role "" is any role without settings
// of its own.
func effective(settings []roleSetting, role, name string) (roleSetting, bool) {
	best, found := roleSetting{}, false
	for _, s := range settings {
		if s.name != name || (s.role != "" && s.role != role) {
			continue
		}
		if !found || s.rank() < best.rank() {
			best, found = s, true
		}
	}
	return best, found
}

// settingFindings reads the settings the application's sessions start
// with — for each of its roles, the value that session gets — and the
// roles' and the database's own limits, and judges what stops its writes
// or its connections. A setting a role overrides (a read-only database,
// its application's role set to write) is judged as the role gets it.
func settingFindings(ctx context.Context, conn *pgx.Conn, expected *schema.Snapshot, roles []string, named bool) ([]schema.Finding, error) {
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
	sessions := roles
	if len(sessions) == 0 {
		sessions = []string{""} // no role known: any session's
	}
	var out []schema.Finding
	said := map[roleSetting]bool{}
	for _, name := range settingNames(settings) {
		for _, r := range sessions {
			s, ok := effective(settings, r, name)
			if !ok || said[s] {
				continue
			}
			said[s] = true
			rule, why := judgeSetting(s, rowSecurity)
			if rule.ID == "" {
				continue
			}
			f := schema.Finding{ObjectType: schema.ObjectSetting, Object: s.name, Kind: KindSetting, WantSource: "migrations", GotSource: "live",
				Got: s.name + " = " + s.value, Detail: fmt.Sprintf("%s sets %s = %s: %s", s.whose(), s.name, s.value, why), Fix: s.reset(database)}
			rule.Judge(&f)
			out = append(out, f)
		}
	}
	// What the database (or every role) sets, that every one of the
	// application's roles sets otherwise, is shown: it still holds for
	// everyone else's sessions.
	for _, s := range settings {
		if s.role != "" || said[s] || len(roles) == 0 {
			continue
		}
		if rule, _ := judgeSetting(s, rowSecurity); rule.ID != "" && rule.Severity != schema.Notice {
			f := schema.Finding{ObjectType: schema.ObjectSetting, Object: s.name, Kind: KindSetting, WantSource: "migrations", GotSource: "live",
				Got: s.name + " = " + s.value, Detail: fmt.Sprintf("%s sets %s = %s, and every role the application connects as (%s) sets it otherwise: only other roles' sessions get it",
					s.whose(), s.name, s.value, strings.Join(roles, ", "))}
			ruleSettingOverridden.Judge(&f)
			out = append(out, f)
		}
	}
	limits, err := connectionFindings(ctx, conn, database, dbLimit, roles, named)
	if err != nil {
		return nil, err
	}
	return append(out, limits...), nil
}

// settingNames are the names settings set, sorted.
func settingNames(settings []roleSetting) []string {
	var names []string
	for _, s := range settings {
		if !slices.Contains(names, s.name) {
			names = append(names, s.name)
		}
	}
	slices.Sort(names)
	return names
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

// connectionFindings judges whether the roles named as the application's
// exist and can sign in, and whether the database takes their
// connections. (An inferred role's sign-in is not judged: a DBA's account,
// whose password expires as it should, may write the tables too.)
func connectionFindings(ctx context.Context, conn *pgx.Conn, database string, dbLimit int, roles []string, named bool) ([]schema.Finding, error) {
	rows, err := conn.Query(ctx, `
		SELECT rolname, rolcanlogin, rolconnlimit, coalesce(rolvaliduntil < now(), false), rolsuper
		  FROM pg_catalog.pg_roles WHERE rolname = ANY ($1) ORDER BY 1`, roles)
	if err != nil {
		return nil, fmt.Errorf("read the application's roles: %w", err)
	}
	var out []schema.Finding
	add := func(object, got, detail, fix string) {
		f := schema.Finding{ObjectType: schema.ObjectRole, Object: object, Kind: KindCannotConnect, WantSource: "migrations", GotSource: "live",
			Want: "it can connect", Got: got, Detail: detail, Fix: fix}
		ruleNoConnections.Judge(&f)
		out = append(out, f)
	}
	var name string
	var login, expired, super bool
	var limit int
	allSuper := len(roles) > 0
	var found []string
	_, err = pgx.ForEachRow(rows, []any{&name, &login, &limit, &expired, &super}, func() error {
		found = append(found, name)
		allSuper = allSuper && super
		if !named {
			return nil
		}
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
	if named {
		for _, r := range roles {
			if !slices.Contains(found, r) {
				add(r, "no such role", "role "+r+", named as the application's, does not exist on this server", "-- give --app-role the role the application connects as (\\du lists them)")
			}
		}
	}
	if dbLimit == 0 && !allSuper {
		f := schema.Finding{ObjectType: schema.ObjectDatabase, Object: database, Kind: KindCannotConnect, WantSource: "migrations", GotSource: "live",
			Want: "it takes connections", Got: "CONNECTION LIMIT 0",
			Detail: "the database takes no connection but a superuser's (CONNECTION LIMIT 0)",
			Fix:    "ALTER DATABASE " + pgident.Quote(database) + " CONNECTION LIMIT -1;"}
		ruleNoConnections.Judge(&f)
		out = append(out, f)
	}
	return out, nil
}
