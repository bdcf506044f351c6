// Differences in what logical replication and DDL run through: a table's
// replica identity and the publications that name it, and event triggers.

package schema

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"

	"github.com/appydex/smoke/schema/pgident"
)

// replicaIdentity compares what a table logs to identify the rows its
// UPDATEs and DELETEs change. Alone that is a notice; where a publication
// of got publishes those actions and got's identity cannot identify a row
// — while the expected one could — PostgreSQL refuses them, and that is an
// error. (Where the publication is what refuses them whatever the
// identity, the publication's finding says so.)
func (d *differ) replicaIdentity(w, g *Table) {
	if w.ReplicaIdentity == g.ReplicaIdentity {
		return
	}
	key := Qualify(w.Schema, w.Name)
	to := orDefaultIdentity(w.ReplicaIdentity)
	fix := stmt{phase: phaseConstraints, rank: 2, sql: "ALTER TABLE " + w.sql() + " REPLICA IDENTITY " + to + ";"}
	gotPubs, wantPubs := sortedPublications(d.got), sortedPublications(d.want)
	if r := refusal(gotPubs, g, g.ReplicaIdentity); r != nil && refusal(gotPubs, g, w.ReplicaIdentity) == nil && refusal(wantPubs, w, w.ReplicaIdentity) == nil {
		d.add(ruleUpdatesRefused, Finding{ObjectType: ObjectTable, Object: key, Kind: UpdatesRefused,
			Want: "REPLICA IDENTITY " + to + ": UPDATE and DELETE accepted", Got: r.String()}, fix)
		return
	}
	d.add(ruleReplicaIdentity, Finding{ObjectType: ObjectTable, Object: key, Kind: IdentityOfRows,
		Want: "REPLICA IDENTITY " + to, Got: "REPLICA IDENTITY " + orDefaultIdentity(g.ReplicaIdentity)}, fix)
}

func orDefaultIdentity(s string) string {
	if s == "" {
		return "DEFAULT"
	}
	return s
}

func sortedPublications(s *Snapshot) []*Publication {
	var out []*Publication
	for _, name := range slices.Sorted(maps.Keys(s.Publications)) {
		out = append(out, s.Publications[name])
	}
	return out
}

// refused is why PostgreSQL refuses UPDATE and DELETE on a table: the
// publication that publishes them, and what about the table's replica
// identity it cannot identify rows by ("REPLICA IDENTITY NOTHING").
type refused struct {
	by, cause string
}

func (r refused) String() string {
	return r.by + " with " + r.cause + ": PostgreSQL refuses every UPDATE and DELETE on it"
}

// refusal says why PostgreSQL refuses UPDATE and DELETE on t — one of pubs
// publishes them, and t with replica identity ident cannot identify its
// rows — or nil when it does not.
func refusal(pubs []*Publication, t *Table, ident string) *refused {
	key := Qualify(t.Schema, t.Name)
	for _, p := range pubs {
		if !strings.Contains(p.Publishes, "update") && !strings.Contains(p.Publishes, "delete") {
			continue
		}
		entry, published := p.publishes(t, key)
		if !published {
			continue
		}
		by := fmt.Sprintf("publication %s publishes its %s", p.Name, updatesAndDeletes(p))
		cols, known := identityColumns(t, ident)
		switch {
		case ident == "NOTHING":
			return &refused{by, "REPLICA IDENTITY NOTHING"}
		case ident == "" && cols == nil:
			return &refused{by, "REPLICA IDENTITY DEFAULT and no primary key"}
		case !known:
			// An index on expressions: which columns it needs is not
			// told here, so nothing is claimed.
		case entry != nil && entry.Columns != nil && len(minus(cols, entry.Columns)) > 0:
			return &refused{by, "a column list that leaves out " + strings.Join(minus(cols, entry.Columns), ", ") + ", of its replica identity"}
		case entry != nil && entry.Where != "":
			if outside := columnsNamed(entry.Where, t, cols); len(outside) > 0 {
				return &refused{by, "a row filter on " + strings.Join(outside, ", ") + ", outside its replica identity"}
			}
		}
	}
	return nil
}

// refusedBy lists the tables whose UPDATE and DELETE publication p of got
// makes PostgreSQL refuse — with the replica identity the expected side
// gives them — where the expected side accepts them: "events (…)".
func (d *differ) refusedBy(p *Publication) []string {
	var out []string
	wantPubs := sortedPublications(d.want)
	for _, key := range slices.Sorted(maps.Keys(d.got.Tables)) {
		g, w := d.got.Tables[key], d.want.Tables[key]
		if w == nil {
			continue
		}
		if r := refusal([]*Publication{p}, g, w.ReplicaIdentity); r != nil && refusal(wantPubs, w, w.ReplicaIdentity) == nil {
			out = append(out, key+" ("+r.cause+")")
		}
	}
	return out
}

func updatesAndDeletes(p *Publication) string {
	var out []string
	for _, a := range []string{"updates", "deletes"} {
		if strings.Contains(p.Publishes, strings.TrimSuffix(a, "s")) {
			out = append(out, a)
		}
	}
	return strings.Join(out, " and ")
}

// publishes reports whether p publishes t, and how p names it, when it
// names it on its own (with a column list or row filter).
func (p *Publication) publishes(t *Table, key string) (*PublishedTable, bool) {
	for i := range p.Tables {
		if p.Tables[i].Table == key {
			return &p.Tables[i], true
		}
	}
	return nil, p.AllTables || slices.Contains(p.Schemas, t.Schema)
}

// identityColumns are the columns t's replica identity ident logs: the
// primary key's for DEFAULT (none without one), a unique index's, or every
// column for FULL. known is false for an index whose columns cannot be
// told (one on expressions).
func identityColumns(t *Table, ident string) (cols []string, known bool) {
	switch {
	case ident == "":
		for _, c := range t.Constraints {
			if c.Kind == "primary key" {
				return c.Columns, true
			}
		}
		return nil, true
	case strings.HasPrefix(ident, "USING INDEX "):
		name := strings.TrimPrefix(ident, "USING INDEX ")
		for _, c := range t.Constraints {
			if pgident.Quote(c.Name) == name {
				return c.Columns, true
			}
		}
		for _, ix := range t.Indexes {
			if pgident.Quote(ix.Name) == name {
				return indexColumns(ix)
			}
		}
		return nil, false
	}
	for _, c := range sortedColumns(t) {
		cols = append(cols, c.Name)
	}
	return cols, true
}

// indexColumns reads the columns of an index from its definition
// ("… USING btree (a, "B")"); known is false where an item is an
// expression, not a column.
func indexColumns(ix *Index) (cols []string, known bool) {
	_, list, ok := strings.Cut(ix.Def, " USING ")
	if !ok {
		return nil, false
	}
	open, end := strings.IndexByte(list, '('), strings.LastIndexByte(list, ')')
	if open < 0 || end < open {
		return nil, false
	}
	for _, item := range strings.Split(list[open+1:end], ", ") {
		name, ok := pgident.Unquote(strings.TrimSpace(item))
		if !ok {
			return nil, false
		}
		cols = append(cols, name)
	}
	return cols, true
}

// columnsNamed are the columns of t an expression names, other than those
// in keep.
func columnsNamed(expr string, t *Table, keep []string) []string {
	var out []string
	for _, c := range sortedColumns(t) {
		if slices.Contains(keep, c.Name) {
			continue
		}
		if regexp.MustCompile(`(^|[^\w$"])` + regexp.QuoteMeta(pgident.Quote(c.Name)) + `($|[^\w$"])`).MatchString(expr) {
			out = append(out, c.Name)
		}
	}
	return out
}

// publications compares the database's publications: what change data
// capture reads. They are made after the tables they name and dropped
// before those.
func (d *differ) publications() {
	for _, name := range unionKeys(d.want.Publications, d.got.Publications) {
		w, g := d.want.Publications[name], d.got.Publications[name]
		drop := stmt{phase: phaseDropDependents, rank: -triggerRank - 2, sql: "DROP PUBLICATION " + pgident.Quote(name) + ";"}
		create := stmt{phase: phaseCreateDependents, rank: triggerRank + 2, sql: createPublication(w)}
		var refused []string
		if g != nil && (w == nil || describePublication(w) != describePublication(g)) {
			refused = d.refusedBy(g)
		}
		refuses := func(rule Rule, f Finding) (Rule, Finding) {
			if len(refused) == 0 {
				return rule, f
			}
			phrase := strings.TrimPrefix(f.phrase(d.want.Source, d.got.Source), string(f.Kind)+": ")
			f.Detail = fmt.Sprintf("%s; it publishes the updates and deletes of tables whose rows it cannot identify, so PostgreSQL refuses every UPDATE and DELETE on %s",
				phrase, strings.Join(refused, ", "))
			return ruleUpdatesRefused, f
		}
		switch {
		case g == nil:
			d.add(rulePublicationMissing, Finding{ObjectType: ObjectPublication, Object: name, Kind: Missing, Want: describePublication(w)}, create)
		case w == nil:
			rule, f := refuses(rulePublicationUnexpected, Finding{ObjectType: ObjectPublication, Object: name, Kind: Unexpected, Got: describePublication(g)})
			d.add(rule, f, drop)
		case describePublication(w) != describePublication(g):
			rule, f := refuses(rulePublicationDiffers, Finding{ObjectType: ObjectPublication, Object: name, Kind: DefinitionDiffers,
				Want: describePublication(w), Got: describePublication(g)})
			d.add(rule, f, drop, create)
		}
	}
}

// publicationTargets is what a publication publishes, as CREATE PUBLICATION
// writes it after FOR ("ALL TABLES", "TABLE t (a, b), TABLES IN SCHEMA s");
// "" for none.
func publicationTargets(p *Publication) string {
	if p.AllTables {
		return "ALL TABLES"
	}
	var parts []string
	for _, t := range p.Tables {
		part := "TABLE " + quoteKey(t.Table)
		if t.Columns != nil {
			var cols []string
			for _, c := range t.Columns {
				cols = append(cols, pgident.Quote(c))
			}
			part += " (" + strings.Join(cols, ", ") + ")"
		}
		if t.Where != "" {
			part += " WHERE (" + t.Where + ")"
		}
		parts = append(parts, part)
	}
	for _, s := range p.Schemas {
		parts = append(parts, "TABLES IN SCHEMA "+pgident.Quote(s))
	}
	return strings.Join(parts, ", ")
}

func publicationOptions(p *Publication) string {
	opts := "publish = " + pgident.Literal(p.Publishes)
	if p.ViaRoot {
		opts += ", publish_via_partition_root = true"
	}
	return opts
}

func describePublication(p *Publication) string {
	targets := publicationTargets(p)
	if targets == "" {
		targets = "no tables"
	}
	return "FOR " + targets + " WITH (" + publicationOptions(p) + ")"
}

func createPublication(p *Publication) string {
	if p == nil {
		return ""
	}
	s := "CREATE PUBLICATION " + pgident.Quote(p.Name)
	if targets := publicationTargets(p); targets != "" {
		s += " FOR " + targets
	}
	return s + " WITH (" + publicationOptions(p) + ");"
}

// eventTriggers compares the database's event triggers: the functions every
// migration's DDL runs through. They are dropped first of all, so the
// script's own DDL does not run through them, and made last.
func (d *differ) eventTriggers() {
	for _, name := range unionKeys(d.want.EventTriggers, d.got.EventTriggers) {
		w, g := d.want.EventTriggers[name], d.got.EventTriggers[name]
		drop := stmt{phase: phaseCreateSchemas, rank: rankFirst, sql: "DROP EVENT TRIGGER " + pgident.Quote(name) + ";"}
		create := stmt{phase: phaseDropLast, rank: rankAfterAll, sql: createEventTrigger(w)}
		switch {
		case g == nil:
			d.add(ruleEventTriggerMissing, Finding{ObjectType: ObjectEventTrigger, Object: name, Kind: Missing, Want: describeEventTrigger(w)}, create)
		case w == nil:
			rule := ruleEventTrigger
			switch {
			case !fires(g.Enabled):
				rule = ruleEventTriggerDisabled
			case g.Refuses && refusesMigrations(g.Tags):
				rule = ruleEventTriggerRaises
			case g.Refuses:
				rule = ruleEventTriggerRaisesSome
			}
			got := describeEventTrigger(g)
			if g.Refuses {
				got += " (its function can raise an error)"
			}
			d.add(rule, Finding{ObjectType: ObjectEventTrigger, Object: name, Kind: Unexpected, Got: got}, drop)
		case describeEventTrigger(w) != describeEventTrigger(g):
			rule := ruleEventTriggerDiffers
			if fires(w.Enabled) && !fires(g.Enabled) {
				rule = ruleEventTriggerOff // it no longer runs
			}
			d.add(rule, Finding{ObjectType: ObjectEventTrigger, Object: name, Kind: DefinitionDiffers,
				Want: describeEventTrigger(w), Got: describeEventTrigger(g)}, drop, create)
		}
	}
}

// migrationCommands are the command tags nearly every migration runs.
var migrationCommands = []string{"CREATE TABLE", "ALTER TABLE", "CREATE INDEX", "DROP INDEX", "ALTER INDEX", "CREATE TYPE", "ALTER TYPE",
	"CREATE FUNCTION", "CREATE TRIGGER", "CREATE VIEW", "CREATE SEQUENCE", "ALTER SEQUENCE", "COMMENT", "CREATE EXTENSION"}

// refusesMigrations reports whether an event trigger limited to tags ("" for
// none: every command) runs on commands nearly every migration runs.
func refusesMigrations(tags string) bool {
	if tags == "" {
		return true
	}
	for _, t := range strings.Split(tags, ", ") {
		if slices.Contains(migrationCommands, strings.ToUpper(t)) {
			return true
		}
	}
	return false
}

func describeEventTrigger(e *EventTrigger) string {
	s := "ON " + e.Event
	if e.Tags != "" {
		s += " WHEN TAG IN (" + e.Tags + ")"
	}
	s += " EXECUTE FUNCTION " + e.Function
	switch e.Enabled {
	case "disabled":
		s += ", disabled"
	case "replica":
		s += ", enabled for replication sessions only"
	case "always":
		s += ", enabled always"
	}
	return s
}

func createEventTrigger(e *EventTrigger) string {
	if e == nil {
		return ""
	}
	s := "CREATE EVENT TRIGGER " + pgident.Quote(e.Name) + " ON " + e.Event
	if e.Tags != "" {
		var tags []string
		for _, t := range strings.Split(e.Tags, ", ") {
			tags = append(tags, pgident.Literal(t))
		}
		s += " WHEN TAG IN (" + strings.Join(tags, ", ") + ")"
	}
	s += " EXECUTE FUNCTION " + functionCall(e.Function) + ";"
	if how := map[string]string{"disabled": "DISABLE", "replica": "ENABLE REPLICA", "always": "ENABLE ALWAYS"}[e.Enabled]; how != "" {
		s += " ALTER EVENT TRIGGER " + pgident.Quote(e.Name) + " " + how + ";"
	}
	return s
}

// functionCall writes a function, keyed name(identity arguments) as the
// snapshot keys it, as EXECUTE FUNCTION calls it: name().
func functionCall(key string) string {
	name, _, _ := strings.Cut(key, "(")
	return quoteKey(name) + "()"
}
