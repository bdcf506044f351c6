package model

import (
	"fmt"
	"strings"

	"github.com/appydex/smoke/schema/pgident"
)

// DDL returns the statements that create the schema in an empty database:
// enum types, then tables with their columns, keys and checks, then foreign
// keys (so tables may reference each other in any order), then indexes.
func (s Schema) DDL() []string {
	var stmts []string
	for _, e := range s.Enums {
		stmts = append(stmts, e.Create())
	}
	for _, t := range s.Tables {
		stmts = append(stmts, t.createTable())
	}
	for _, t := range s.Tables {
		for _, fk := range t.ForeignKeys {
			stmts = append(stmts, fmt.Sprintf("ALTER TABLE %s ADD %s", pgident.Quote(t.Name), fk.definition()))
		}
	}
	for _, t := range s.Tables {
		for _, ix := range t.Indexes {
			stmts = append(stmts, ix.create(t.Name))
		}
	}
	return stmts
}

// Create is the enum's CREATE TYPE statement.
func (e Enum) Create() string {
	labels := make([]string, len(e.Labels))
	for i, l := range e.Labels {
		labels[i] = pgident.Literal(l)
	}
	return fmt.Sprintf("CREATE TYPE %s AS ENUM (%s)", pgident.Quote(e.Name), strings.Join(labels, ", "))
}

func (t *Table) createTable() string {
	var parts []string
	for _, c := range t.Columns {
		parts = append(parts, ColumnDefinition(c.Name, c.Type, c.NotNull, c.Default))
	}
	if len(t.PrimaryKey) > 0 {
		parts = append(parts, "PRIMARY KEY ("+identList(t.PrimaryKey)+")")
	}
	for _, u := range t.Uniques {
		parts = append(parts, constraintName(u.Name)+"UNIQUE ("+identList(u.Columns)+")")
	}
	for _, ck := range t.Checks {
		parts = append(parts, constraintName(ck.Name)+"CHECK ("+ck.Expr+")")
	}
	return fmt.Sprintf("CREATE TABLE %s (\n    %s\n)", pgident.Quote(t.Name), strings.Join(parts, ",\n    "))
}

// ColumnDefinition is a column as CREATE TABLE and ADD COLUMN write it.
func ColumnDefinition(name, typ string, notNull bool, def string) string {
	s := pgident.Quote(name) + " " + typ
	if notNull {
		s += " NOT NULL"
	}
	if def != "" {
		s += " DEFAULT " + def
	}
	return s
}

func (fk ForeignKey) definition() string {
	s := fmt.Sprintf("%sFOREIGN KEY (%s) REFERENCES %s (%s)", constraintName(fk.Name),
		identList(fk.Columns), pgident.Quote(fk.References), identList(fk.RefColumns))
	if fk.OnDelete != "" {
		s += " ON DELETE " + fk.OnDelete
	}
	return s
}

func (ix Index) create(table string) string {
	s := "CREATE "
	if ix.Unique {
		s += "UNIQUE "
	}
	s += "INDEX "
	if ix.Name != "" {
		s += pgident.Quote(ix.Name) + " "
	}
	s += "ON " + pgident.Quote(table) + " (" + identList(ix.Columns) + ")"
	if ix.Where != "" {
		s += " WHERE " + ix.Where
	}
	return s
}

func constraintName(name string) string {
	if name == "" {
		return ""
	}
	return "CONSTRAINT " + pgident.Quote(name) + " "
}

func identList(names []string) string {
	quoted := make([]string, len(names))
	for i, n := range names {
		quoted[i] = pgident.Quote(n)
	}
	return strings.Join(quoted, ", ")
}
