package drift

import (
	"fmt"
	"io/fs"
	"regexp"
	"strings"

	"github.com/appydex/smoke/harness/migrator"
	"github.com/appydex/smoke/schema/sqltext"
)

// MigrationText is what a folder's migration files say, read for the
// context that decides some differences' effect: the names the files that
// can still run use (a renamed constraint one names is one it will fail
// on), and what the migrations that would run next drop or retype (a view
// built on it makes that migration fail).
type MigrationText struct {
	files []migrationFile
}

type migrationFile struct {
	path string
	text string // comments left out
	// canRun: it can still run against the database — a pending up file,
	// or any down file (a rollback); an up file it applied will not run
	// there again.
	canRun bool
	// next: it would run next — a pending up file, or the down file of the
	// database's version.
	next bool
}

// ReadMigrationText reads every up and down file in fsys (dir names the
// folder). at is the version the live database is at (0: none); the files
// that would run next are the up files above it and its own down file.
func ReadMigrationText(fsys fs.FS, dir string, at uint) (*MigrationText, error) {
	files, err := migrator.ReadFiles(fsys, dir)
	if err != nil {
		return nil, err
	}
	mt := &MigrationText{}
	for _, f := range files.List {
		for _, name := range []string{f.Up, f.Down} {
			if name == "" {
				continue
			}
			b, err := fs.ReadFile(fsys, name)
			if err != nil {
				return nil, fmt.Errorf("read %s: %w", files.Path(name), err)
			}
			pending := name == f.Up && f.Version > at
			mt.files = append(mt.files, migrationFile{path: files.Path(name), text: sqltext.WithoutComments(string(b)),
				canRun: pending || name == f.Down, next: pending || (name == f.Down && f.Version == at)})
		}
	}
	return mt, nil
}

// Naming lists the files that can still run against the database (pending
// up files, down files) and name an object called name: as an identifier,
// quoted or not (unquoted, in any case).
func (mt *MigrationText) Naming(name string) []string {
	if mt == nil {
		return nil
	}
	quoted := regexp.MustCompile(`"` + regexp.QuoteMeta(strings.ReplaceAll(name, `"`, `""`)) + `"`)
	var bare *regexp.Regexp
	if name == strings.ToLower(name) {
		bare = regexp.MustCompile(`(?i)(^|[^\w$"])` + regexp.QuoteMeta(name) + `($|[^\w$"])`)
	}
	var out []string
	for _, f := range mt.files {
		if f.canRun && (quoted.MatchString(f.text) || (bare != nil && bare.MatchString(f.text))) {
			out = append(out, f.path)
		}
	}
	return out
}

// Drop is what a statement of a migration that would run next does to a
// table, or to one of its columns.
type Drop struct {
	File   string
	Table  string // as the snapshot keys it: bare in public
	Column string // "" for the whole table
	What   string // "drops", "retypes"
}

// NextDrops lists what the migrations that would run next drop or retype
// without CASCADE — a statement a view built on it makes fail. Statements
// inside a DO block's body are not read.
func (mt *MigrationText) NextDrops() []Drop {
	if mt == nil {
		return nil
	}
	var out []Drop
	for _, f := range mt.files {
		if !f.next {
			continue
		}
		for _, stmt := range sqltext.Split(f.text) {
			for _, d := range dropsOf(sqltext.WithoutLiterals(stmt)) {
				d.File = f.path
				out = append(out, d)
			}
		}
	}
	return out
}

const (
	identRE = `(?:"(?:[^"]|"")+"|[A-Za-z_][\w$]*)`
	qnameRE = identRE + `(?:\s*\.\s*` + identRE + `)?`
)

var (
	alterTableRE = regexp.MustCompile(`(?is)^\s*ALTER\s+TABLE\s+(?:IF\s+EXISTS\s+)?(?:ONLY\s+)?(` + qnameRE + `)\s+(.*)$`)
	dropColumnRE = regexp.MustCompile(`(?is)\bDROP\s+(?:COLUMN\s+)?(?:IF\s+EXISTS\s+)?(` + identRE + `)(\s+CASCADE)?`)
	retypeRE     = regexp.MustCompile(`(?is)\bALTER\s+(?:COLUMN\s+)?(` + identRE + `)\s+(?:SET\s+DATA\s+)?TYPE\b`)
	dropTableRE  = regexp.MustCompile(`(?is)^\s*DROP\s+TABLE\s+(?:IF\s+EXISTS\s+)?(.*?)\s*(CASCADE|RESTRICT)?\s*$`)
	qnameListRE  = regexp.MustCompile(`(?s)` + qnameRE)
)

// notColumns are the words after DROP in ALTER TABLE that do not name a
// column.
var notColumns = map[string]bool{"constraint": true, "default": true, "not": true, "identity": true, "expression": true}

// dropsOf reads what one statement drops or retypes.
func dropsOf(stmt string) []Drop {
	if m := dropTableRE.FindStringSubmatch(stmt); m != nil {
		if strings.EqualFold(m[2], "CASCADE") {
			return nil // it drops what depends on the tables too, and succeeds
		}
		var out []Drop
		for _, name := range qnameListRE.FindAllString(m[1], -1) {
			out = append(out, Drop{Table: tableKey(name), What: "drops"})
		}
		return out
	}
	m := alterTableRE.FindStringSubmatch(stmt)
	if m == nil {
		return nil
	}
	table, actions := tableKey(m[1]), m[2]
	var out []Drop
	for _, d := range dropColumnRE.FindAllStringSubmatch(actions, -1) {
		col := identName(d[1])
		if notColumns[strings.ToLower(d[1])] || d[2] != "" {
			continue
		}
		out = append(out, Drop{Table: table, Column: col, What: "drops"})
	}
	for _, r := range retypeRE.FindAllStringSubmatch(actions, -1) {
		out = append(out, Drop{Table: table, Column: identName(r[1]), What: "retypes"})
	}
	return out
}

// identName is an identifier as the catalog holds it: unquoted, or folded
// to lower case.
func identName(id string) string {
	id = strings.TrimSpace(id)
	if strings.HasPrefix(id, `"`) {
		return strings.ReplaceAll(strings.Trim(id, `"`), `""`, `"`)
	}
	return strings.ToLower(id)
}

var qualifierDot = regexp.MustCompile(`\s*\.\s*`)

// tableKey is a possibly qualified name as the snapshot keys tables.
func tableKey(qname string) string {
	parts := qualifierDot.Split(strings.TrimSpace(qname), 2)
	if len(parts) == 1 {
		return identName(parts[0])
	}
	schemaName := identName(parts[0])
	if schemaName == "public" {
		return identName(parts[1])
	}
	return schemaName + "." + identName(parts[1])
}
