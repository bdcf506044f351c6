// Package model declares a database schema in Go, once: the reference API's
// data layer takes its column lists from a declaration, and the schema checks
// turn the same declaration into DDL, apply it to a scratch database and
// compare what PostgreSQL makes of it with the migrations and a live
// database.
package model

import "slices"

// Schema is a set of tables and the enum types they use, in one PostgreSQL
// schema (public).
type Schema struct {
	Enums  []Enum
	Tables []*Table
}

// Enum is a PostgreSQL enum type: CREATE TYPE name AS ENUM (labels…).
type Enum struct {
	Name   string
	Labels []string // in sort order
}

// Table is one table. Constraint and index names may be left empty: then
// PostgreSQL names them as it does for an unnamed constraint
// (users_email_key, refresh_tokens_user_id_fkey, …).
type Table struct {
	Name        string
	Columns     []Column // in the order CREATE TABLE lists them
	PrimaryKey  []string
	Uniques     []Unique
	ForeignKeys []ForeignKey
	Checks      []Check
	Indexes     []Index
}

// Column is one column.
type Column struct {
	Name string
	// Type is the SQL type as PostgreSQL accepts it, with its length or
	// precision: "uuid", "character varying(255)", "numeric(12,2)", "text[]",
	// or an enum of the schema.
	Type    string
	NotNull bool
	// Default is the server default, an SQL expression: "now()",
	// "gen_random_uuid()", "false", "'{}'::text[]". "" means none.
	Default string
}

// Unique is a unique constraint.
type Unique struct {
	Name    string
	Columns []string
}

// ForeignKey references another table of the schema.
type ForeignKey struct {
	Name       string
	Columns    []string
	References string   // the referenced table
	RefColumns []string // its columns; usually its primary key
	// OnDelete is the referential action: "CASCADE", "SET NULL",
	// "SET DEFAULT", "RESTRICT", or "" for PostgreSQL's default, NO ACTION.
	OnDelete string
}

// Check is a check constraint; Expr is its condition, e.g. "email = lower(email)".
type Check struct {
	Name string
	Expr string
}

// Index is an index that backs no constraint (those come with their
// constraints). Where makes it partial.
type Index struct {
	Name    string
	Columns []string
	Unique  bool
	Where   string
}

// Table returns the table called name, or nil.
func (s Schema) Table(name string) *Table {
	for _, t := range s.Tables {
		if t.Name == name {
			return t
		}
	}
	return nil
}

// Enum returns the enum type called name.
func (s Schema) Enum(name string) (Enum, bool) {
	for _, e := range s.Enums {
		if e.Name == name {
			return e, true
		}
	}
	return Enum{}, false
}

// Column returns the column called name.
func (t *Table) Column(name string) (Column, bool) {
	for _, c := range t.Columns {
		if c.Name == name {
			return c, true
		}
	}
	return Column{}, false
}

// ColumnNames lists the table's columns in declaration order, leaving out
// the ones named in except (for an INSERT, the columns the server fills).
func (t *Table) ColumnNames(except ...string) []string {
	names := make([]string, 0, len(t.Columns))
	for _, c := range t.Columns {
		if !slices.Contains(except, c.Name) {
			names = append(names, c.Name)
		}
	}
	return names
}
