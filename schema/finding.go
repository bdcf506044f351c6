package schema

import (
	"fmt"
	"slices"
	"strings"
)

// Severity says what a finding's difference does. A Rule decides it; the
// table of rules, each with its reason, is in docs/drift.md.
type Severity string

// The severities, worst first.
const (
	// Error: the application's reads or writes fail or change meaning, or
	// the next migration (up or down) fails. Errors fail a verdict.
	Error Severity = "error"
	// Warning: a real risk a person should see (a role other than the
	// application's can read its credentials; a declared index missing).
	// Warnings fail a verdict only when it is strict.
	Warning Severity = "warning"
	// Notice: harmless to the application and to its migrations (a
	// monitoring extension, a DBA's index). Notices are shown and counted,
	// and never fail.
	Notice Severity = "notice"
)

// Kind says how an object differs.
type Kind string

// The kinds of difference.
const (
	Missing            Kind = "missing"    // expected, absent
	Unexpected         Kind = "unexpected" // present, not expected
	TypeDiffers        Kind = "type differs"
	NullabilityDiffers Kind = "nullability differs"
	DefaultAdded       Kind = "default added"
	DefaultRemoved     Kind = "default removed"
	DefaultDiffers     Kind = "default differs"
	IdentityDiffers    Kind = "identity differs"
	GeneratedDiffers   Kind = "generation differs"
	DefinitionDiffers  Kind = "definition differs"
	NameDiffers        Kind = "name differs"
	NotValidated       Kind = "not validated"
	Invalid            Kind = "invalid"
	LabelsReordered    Kind = "labels reordered"
	LabelsRemoved      Kind = "labels removed"
	LabelsRenamed      Kind = "labels renamed"
	PersistenceDiffers Kind = "persistence differs"
	PartitionDiffers   Kind = "partitioning differs"
	InheritanceDiffers Kind = "inheritance differs"
	RowSecurityDiffers Kind = "row level security differs"
	PrivilegesDiffer   Kind = "privileges differ"
	VersionDiffers     Kind = "version differs"
	OwnerDiffers       Kind = "owner differs"
	EnabledDiffers     Kind = "enabled differs"
	Unenforced         Kind = "not enforced"
	StorageDiffers     Kind = "storage differs"
	IdentityOfRows     Kind = "replica identity differs"
	UpdatesRefused     Kind = "updates refused"
	NotCompared        Kind = "not compared"
	OptionsDiffer      Kind = "options differ"
)

// Finding is one difference between an expected schema and a compared one.
type Finding struct {
	// ObjectType is what Object names (ObjectTypes lists them).
	ObjectType ObjectType `json:"object_type"`
	// Object is the table, table.column, table.constraint, table.index,
	// enum or sequence.
	Object   string   `json:"object"`
	Kind     Kind     `json:"kind"`
	Severity Severity `json:"severity"`
	// Rule names the rule that decided Severity (docs/drift.md's severity
	// table), and Reason says, from it, what the difference does.
	Rule       string `json:"rule"`
	Reason     string `json:"reason"`
	Want       string `json:"want,omitempty"` // as the expected source has it
	Got        string `json:"got,omitempty"`  // as the compared source has it
	WantSource string `json:"want_source"`    // e.g. "model"
	GotSource  string `json:"got_source"`     // e.g. "live"
	// Grantee is the role a privilege finding is about.
	Grantee string `json:"grantee,omitempty"`
	// Detail, when set, says in words what Want and Got show (the
	// migration state's findings need a sentence).
	Detail string `json:"detail,omitempty"`
	// Fix is the SQL that makes the compared database match the expected
	// one; "" where no statement can (a comment says so then).
	Fix string `json:"fix,omitempty"`
}

// String is the finding on one line, for people and test failures.
func (f Finding) String() string {
	s := fmt.Sprintf("%-7s %s %s: %s", f.Severity, f.ObjectType, f.Object, f.What())
	if f.Fix != "" {
		s += "; fix: " + f.Fix
	}
	return s
}

// What says what differs, in words, without the object or the fix:
// "missing in live (model has character varying(255))".
func (f Finding) What() string {
	if f.Detail != "" {
		return fmt.Sprintf("%s: %s", f.Kind, f.Detail)
	}
	return f.phrase(f.WantSource, f.GotSource)
}

// phrase says what Want and Got show, for the kinds that need no Detail;
// wantSource and gotSource name the two sides.
func (f Finding) phrase(wantSource, gotSource string) string {
	f.WantSource, f.GotSource = wantSource, gotSource
	var what string
	switch f.Kind {
	case Missing:
		what = fmt.Sprintf("missing in %s", f.GotSource)
		if f.Want != "" {
			what += fmt.Sprintf(" (%s has %s)", f.WantSource, f.Want)
		}
	case Unexpected:
		what = fmt.Sprintf("unexpected in %s", f.GotSource)
		if f.Got != "" {
			what += fmt.Sprintf(" (%s), which %s does not have", f.Got, f.WantSource)
		} else {
			what += fmt.Sprintf(", which %s does not have", f.WantSource)
		}
	case NotCompared:
		what = fmt.Sprintf("not compared (in %s and %s)", f.WantSource, f.GotSource)
	default:
		what = fmt.Sprintf("%s: %s has %s, %s has %s", f.Kind, f.WantSource, orNone(f.Want), f.GotSource, orNone(f.Got))
	}
	return what
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

// Lines prints findings one per line.
func Lines(findings []Finding) string {
	var b strings.Builder
	for _, f := range findings {
		b.WriteString(f.String())
		b.WriteByte('\n')
	}
	return b.String()
}

// Explained prints findings one per line, the first finding of each rule
// followed by a line that says why it has its severity: its rule and what
// the difference does.
func Explained(findings []Finding) string {
	var b strings.Builder
	said := map[string]bool{}
	for _, f := range findings {
		b.WriteString(f.String())
		b.WriteByte('\n')
		if f.Rule != "" && !said[f.Rule] {
			said[f.Rule] = true
			fmt.Fprintf(&b, "        why %s: %s\n", f.Rule, f.Reason)
		}
	}
	return b.String()
}

// Worst is the highest severity among findings, "" when there are none.
func Worst(findings []Finding) Severity {
	worst := Severity("")
	for _, f := range findings {
		if rank(f.Severity) < rank(worst) {
			worst = f.Severity
		}
	}
	return worst
}

func rank(s Severity) int {
	switch s {
	case Error:
		return 0
	case Warning:
		return 1
	case Notice:
		return 2
	}
	return 3
}

// ObjectType is the kind of object a finding is about, named as
// PostgreSQL's documentation names it: it is the JSON report's
// object_type.
type ObjectType string

// The object types, in the order findings are sorted by. The kinds
// compared by a summary only are domains, composite, range, base and
// pseudo-types, aggregates, rules, foreign tables and constraints of
// other kinds; a migration is a live database's migration state; a
// setting, a role and a database are what drift.Inspect reads beyond the
// schema.
const (
	ObjectMigration        ObjectType = "migration"
	ObjectSchema           ObjectType = "schema"
	ObjectExtension        ObjectType = "extension"
	ObjectEventTrigger     ObjectType = "event trigger"
	ObjectPublication      ObjectType = "publication"
	ObjectCollation        ObjectType = "collation"
	ObjectEnum             ObjectType = "enum"
	ObjectEnumLabel        ObjectType = "enum label"
	ObjectDomain           ObjectType = "domain"
	ObjectCompositeType    ObjectType = "composite type"
	ObjectRangeType        ObjectType = "range type"
	ObjectBaseType         ObjectType = "base type"
	ObjectPseudoType       ObjectType = "pseudo-type"
	ObjectSequence         ObjectType = "sequence"
	ObjectStatistics       ObjectType = "statistics"
	ObjectDefaultPrivilege ObjectType = "default privileges"
	ObjectTable            ObjectType = "table"
	ObjectColumn           ObjectType = "column"
	ObjectPrimaryKey       ObjectType = "primary key"
	ObjectUnique           ObjectType = "unique"
	ObjectForeignKey       ObjectType = "foreign key"
	ObjectCheck            ObjectType = "check"
	ObjectExclusion        ObjectType = "exclusion"
	ObjectConstraint       ObjectType = "constraint"
	ObjectIndex            ObjectType = "index"
	ObjectTrigger          ObjectType = "trigger"
	ObjectPolicy           ObjectType = "policy"
	ObjectRule             ObjectType = "rule"
	ObjectPrivilege        ObjectType = "privilege"
	ObjectForeignTable     ObjectType = "foreign table"
	ObjectView             ObjectType = "view"
	ObjectMaterializedView ObjectType = "materialized view"
	ObjectFunction         ObjectType = "function"
	ObjectProcedure        ObjectType = "procedure"
	ObjectAggregate        ObjectType = "aggregate"
	ObjectDataType         ObjectType = "type"
	ObjectSetting          ObjectType = "setting"
	ObjectRole             ObjectType = "role"
	ObjectDatabase         ObjectType = "database"
)

var objectTypeOrder = []ObjectType{ObjectMigration, ObjectSchema, ObjectExtension, ObjectEventTrigger, ObjectPublication, ObjectCollation, ObjectEnum, ObjectEnumLabel, ObjectDomain, ObjectCompositeType, ObjectRangeType, ObjectBaseType, ObjectPseudoType, ObjectSequence, ObjectTable, ObjectColumn, ObjectPrimaryKey, ObjectUnique, ObjectForeignKey, ObjectCheck, ObjectExclusion, ObjectConstraint, ObjectIndex, ObjectTrigger, ObjectPolicy, ObjectRule, ObjectPrivilege, ObjectForeignTable, ObjectView, ObjectMaterializedView, ObjectFunction, ObjectProcedure, ObjectAggregate, ObjectDataType, ObjectSetting, ObjectRole, ObjectDatabase}

// ObjectTypes lists every ObjectType a finding may have, in the order
// findings are sorted by.
func ObjectTypes() []ObjectType { return slices.Clone(objectTypeOrder) }

// sortFindings orders findings by table (or enum, sequence), then object
// type — a table's columns before its constraints and indexes — then
// object, then kind: the same differences always print the same way.
func sortFindings(fs []Finding) {
	slices.SortStableFunc(fs, func(a, b Finding) int {
		if c := strings.Compare(a.owner(), b.owner()); c != 0 {
			return c
		}
		if c := slices.Index(objectTypeOrder, a.ObjectType) - slices.Index(objectTypeOrder, b.ObjectType); c != 0 {
			return c
		}
		if c := strings.Compare(a.Object, b.Object); c != 0 {
			return c
		}
		if c := strings.Compare(string(a.Kind), string(b.Kind)); c != 0 {
			return c
		}
		return strings.Compare(a.Want+a.Got, b.Want+b.Got)
	})
}

// owner is the table a finding's object belongs to (or the enum or
// sequence itself).
func (f Finding) owner() string {
	switch f.ObjectType {
	case ObjectMigration:
		return "" // the migration state comes first
	case ObjectSchema, ObjectExtension, ObjectCollation, ObjectEventTrigger, ObjectPublication:
		return "\x01" + f.Object
	case ObjectEnum, ObjectEnumLabel, ObjectSequence, ObjectDomain, ObjectCompositeType, ObjectRangeType, ObjectBaseType, ObjectPseudoType:
		// Types and sequences are made before the tables that use them,
		// and dropped after.
		if f.Kind == Unexpected {
			return "\x7f" + f.Object
		}
		return "\x02" + f.Object
	case ObjectView, ObjectMaterializedView, ObjectFunction, ObjectProcedure, ObjectAggregate, ObjectForeignTable:
		return "}" + f.Object // after the tables they are built on
	case ObjectRule, ObjectConstraint:
		if _, table, ok := strings.Cut(f.Object, " on "); ok {
			return table // with the table it is on
		}
	case ObjectTable, ObjectPrivilege:
		return f.Object
	}
	return ownerKey(f.Object) // a column's, constraint's, index's… table
}

// ownerKey is a finding's table (for columns, constraints, indexes…): its
// object without the last part.
func ownerKey(object string) string {
	if i := strings.LastIndexByte(object, '.'); i > 0 {
		return object[:i]
	}
	return object
}
