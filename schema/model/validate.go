package model

import (
	"errors"
	"fmt"
	"strings"
)

// Validate checks the declaration is whole: names are unique, every column
// a constraint or index names exists, foreign keys reference declared tables
// and columns, and referential actions are ones PostgreSQL knows. Whether
// each type exists is PostgreSQL's to say (see package drift).
func (s Schema) Validate() error {
	var errs []error
	bad := func(where, format string, args ...any) {
		errs = append(errs, fmt.Errorf("model: %s: %s", where, fmt.Sprintf(format, args...)))
	}
	enums := map[string]bool{}
	for _, e := range s.Enums {
		if enums[e.Name] {
			bad("enum "+e.Name, "declared twice")
		}
		enums[e.Name] = true
		if len(e.Labels) == 0 {
			bad("enum "+e.Name, "has no labels")
		}
	}
	tables := map[string]bool{}
	for _, t := range s.Tables {
		if tables[t.Name] {
			bad("table "+t.Name, "declared twice")
		}
		tables[t.Name] = true
		cols := map[string]bool{}
		for _, c := range t.Columns {
			where := t.Name + "." + c.Name
			if cols[c.Name] {
				bad(where, "declared twice")
			}
			cols[c.Name] = true
			if strings.TrimSpace(c.Type) == "" {
				bad(where, "has no type")
			}
		}
		if len(t.Columns) == 0 {
			bad("table "+t.Name, "has no columns")
		}
		need := func(what string, names []string) {
			if len(names) == 0 {
				bad(t.Name+" "+what, "names no columns")
			}
			for _, n := range names {
				if !cols[n] {
					bad(t.Name+" "+what, "names column %q, which the table does not declare", n)
				}
			}
		}
		if len(t.PrimaryKey) > 0 {
			need("primary key", t.PrimaryKey)
		}
		for _, u := range t.Uniques {
			need("unique "+strings.Join(u.Columns, ","), u.Columns)
		}
		for _, ix := range t.Indexes {
			need("index "+strings.Join(ix.Columns, ","), ix.Columns)
		}
		for _, fk := range t.ForeignKeys {
			what := "foreign key " + strings.Join(fk.Columns, ",")
			need(what, fk.Columns)
			if len(fk.RefColumns) != len(fk.Columns) {
				bad(t.Name+" "+what, "has %d columns but references %d", len(fk.Columns), len(fk.RefColumns))
			}
			switch fk.OnDelete {
			case "", "NO ACTION", "CASCADE", "SET NULL", "SET DEFAULT", "RESTRICT":
			default:
				bad(t.Name+" "+what, "ON DELETE %q: use CASCADE, SET NULL, SET DEFAULT, RESTRICT or NO ACTION", fk.OnDelete)
			}
		}
		for _, ck := range t.Checks {
			if strings.TrimSpace(ck.Expr) == "" {
				bad(t.Name+" check "+ck.Name, "has no expression")
			}
		}
	}
	for _, t := range s.Tables {
		for _, fk := range t.ForeignKeys {
			ref := s.Table(fk.References)
			if ref == nil {
				bad(t.Name+" foreign key "+strings.Join(fk.Columns, ","), "references table %q, which the model does not declare", fk.References)
				continue
			}
			for _, c := range fk.RefColumns {
				if _, ok := ref.Column(c); !ok {
					bad(t.Name+" foreign key "+strings.Join(fk.Columns, ","), "references %s.%s, which the model does not declare", ref.Name, c)
				}
			}
		}
	}
	return errors.Join(errs...)
}
