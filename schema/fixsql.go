// The SQL the fixes are written in: tables, columns, indexes and sequences
// as CREATE and ALTER statements, from a snapshot's definitions.

package schema

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/appydex/smoke/schema/pgident"
)

// qual names an object of the compared schema in SQL: bare in public.
func (d *differ) qual(name string) string {
	if d.got.Schema == "public" || d.got.Schema == "" {
		return pgident.Quote(name)
	}
	return pgident.Quote(d.got.Schema) + "." + pgident.Quote(name)
}

func nullability(c *Column) string {
	if c.NotNull {
		return "NOT NULL"
	}
	return "NULL"
}

func identity(c *Column) string {
	if c.Identity == "" {
		return ""
	}
	return "GENERATED " + c.Identity + " AS IDENTITY"
}

// describeColumn is a column's definition without its name.
func describeColumn(c *Column) string {
	def := columnDefinition(c)
	return strings.TrimPrefix(def, pgident.Quote(c.Name)+" ")
}

func columnDefinition(c *Column) string {
	s := pgident.Quote(c.Name) + " " + c.Type
	if c.Generated != "" {
		s += " GENERATED ALWAYS AS (" + c.Generated + ") STORED"
	}
	if c.Identity != "" {
		s += " " + identity(c)
	}
	if c.NotNull {
		s += " NOT NULL"
	}
	if c.Default != "" {
		s += " DEFAULT " + c.Default
	}
	return s
}

// addNotNullNote warns that adding a NOT NULL column without a default
// fails on a table that has rows.
func addNotNullNote(c *Column) string {
	if c.NotNull && c.Default == "" && c.Identity == "" && c.Generated == "" {
		return " -- on a table with rows: add it nullable, fill it, then SET NOT NULL"
	}
	return ""
}

// baseType is a column type without its COLLATE clause, for a USING cast.
func baseType(t string) string {
	base, _, _ := strings.Cut(t, " COLLATE ")
	return base
}

func (d *differ) qualColumn(tableDotColumn string) string {
	table, column, _ := strings.Cut(tableDotColumn, ".")
	return d.qual(table) + "." + pgident.Quote(column)
}

// createTable writes the expected table whole: the sequences its columns
// own, its columns in their order, its constraints, then its indexes.
func (d *differ) createTable(t *Table) string {
	cols := slices.Collect(maps.Values(t.Columns))
	slices.SortFunc(cols, func(a, b *Column) int { return a.Position - b.Position })
	var parts []string
	var creates, owns string
	for _, c := range cols {
		parts = append(parts, columnDefinition(c))
		create, own := d.ownedSequences(t.Name + "." + c.Name)
		creates, owns = creates+create, owns+own
	}
	for _, con := range t.Constraints {
		parts = append(parts, "CONSTRAINT "+pgident.Quote(con.Name)+" "+con.Def)
	}
	stmts := []string{fmt.Sprintf("%sCREATE TABLE %s (%s)", creates, d.qual(t.Name), strings.Join(parts, ", "))}
	for _, ix := range t.Indexes {
		stmts = append(stmts, d.createIndex(ix))
	}
	return strings.Join(stmts, "; ") + ";" + owns
}

// ownedSequences writes the statements that create the expected sequences
// a missing column owns (its serial default needs them first) and give them
// to it afterwards.
func (d *differ) ownedSequences(tableDotColumn string) (create, own string) {
	for _, name := range slices.Sorted(maps.Keys(d.want.Sequences)) {
		seq := d.want.Sequences[name]
		if seq.OwnedBy != tableDotColumn || d.got.Sequences[name] != nil {
			continue
		}
		create += "CREATE SEQUENCE " + d.qual(name) + " AS " + seq.Type + "; "
		own += " ALTER SEQUENCE " + d.qual(name) + " OWNED BY " + d.qualColumn(tableDotColumn) + ";"
	}
	return create, own
}

func hasColumn(s *Snapshot, tableDotColumn string) bool {
	table, column, _ := strings.Cut(tableDotColumn, ".")
	t := s.Tables[table]
	return t != nil && t.Columns[column] != nil
}

// createIndex puts the index's name back into its name-less definition.
func (d *differ) createIndex(ix *Index) string {
	return strings.Replace(ix.Def, "INDEX ON ", "INDEX "+pgident.Quote(ix.Name)+" ON ", 1)
}
