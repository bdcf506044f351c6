package drift

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/appydex/smoke/schema"
	"github.com/appydex/smoke/schema/pgident"
)

// Context is what decides a live difference's effect beyond the two
// snapshots compared.
type Context struct {
	// Expected is what the migrations produce: it names the application's
	// tables and the objects its migrations own.
	Expected *schema.Snapshot
	// Text is what the migration files say; nil where they cannot be read
	// (a backend's are in its image): the findings that would need it keep
	// the severity their own rule gives.
	Text *MigrationText
	// AppRoles are the roles the application connects as. Empty: every
	// role with LOGIN that owns, or may write, a table of Expected.
	AppRoles []string
}

// Inspect looks at the live database behind conn as the application and
// its next migration meet it. It judges again, by their context, the
// findings of comparisons against it (those whose Got is "live"): a
// renamed constraint a migration file names, a view the next migration
// must drop a column from under, a grant to the application's own role.
// And it returns what the database holds beyond its schema: views in other
// schemas built on what the next migration drops, owners the next
// migration cannot act as, settings and roles that stop the application's
// writes or connections, tables shadowed on a search_path.
func Inspect(ctx context.Context, conn *pgx.Conn, c Context, comparisons []Comparison) ([]schema.Finding, error) {
	roles, named, pins, err := judgeAll(ctx, conn, c, comparisons, "live")
	if err != nil {
		return nil, err
	}
	drops := c.Text.NextDrops()
	var out []schema.Finding
	out = append(out, pinnedElsewhere(c.Expected, pins, drops)...)
	owners, err := ownerFindings(ctx, conn, c.Expected)
	if err != nil {
		return nil, err
	}
	out = append(out, owners...)
	settings, err := settingFindings(ctx, conn, c.Expected, roles, named)
	if err != nil {
		return nil, err
	}
	out = append(out, settings...)
	shadows, err := SearchPathShadows(ctx, conn, TableNames(c.Expected))
	if err != nil {
		return nil, err
	}
	return append(out, shadows...), nil
}

// Judge judges again, by their context, the findings of comparisons whose
// Got is got — the live database behind conn: a renamed constraint a
// migration file names, a view the next migration must drop a column from
// under, a grant to the application's own role.
func Judge(ctx context.Context, conn *pgx.Conn, c Context, comparisons []Comparison, got string) error {
	_, _, _, err := judgeAll(ctx, conn, c, comparisons, got)
	return err
}

// judgeAll is Judge; it returns the roles it took for the application's
// (and whether c named them), and the views built on its tables.
func judgeAll(ctx context.Context, conn *pgx.Conn, c Context, comparisons []Comparison, got string) ([]string, bool, []pin, error) {
	roles, named, err := appRoles(ctx, conn, c)
	if err != nil {
		return nil, false, nil, err
	}
	pins, err := readPins(ctx, conn, c.Expected)
	if err != nil {
		return nil, false, nil, err
	}
	drops := c.Text.NextDrops()
	for i := range comparisons {
		if comparisons[i].Got != got {
			continue
		}
		for j := range comparisons[i].Findings {
			judge(&comparisons[i].Findings[j], c, roles, pins, drops)
		}
	}
	return roles, named, pins, nil
}

// judge gives a finding against the live database the rule its context
// calls for, where one does.
func judge(f *schema.Finding, c Context, roles []string, pins []pin, drops []Drop) {
	switch {
	case f.Kind == schema.NameDiffers && c.Text != nil:
		if files := c.Text.Naming(f.Want); len(files) > 0 {
			ruleRenamedNamed.Judge(f)
			f.Detail = fmt.Sprintf("defined the same, but named %s here; %s names it %s, and fails against this database",
				f.Got, strings.Join(files, ", "), f.Want)
		}
	case f.Kind == schema.Unexpected && (f.ObjectType == schema.ObjectView || f.ObjectType == schema.ObjectMaterializedView):
		if why := blocked(f.Object, pins, drops); why != "" {
			rulePinned.Judge(f)
			f.Detail = fmt.Sprintf("unexpected in %s, which %s does not have, and %s", f.GotSource, f.WantSource, why)
		}
	case f.Kind == schema.PrivilegesDiffer && isOneOf(f.Grantee, roles):
		switch f.Rule {
		case "privilege.missing":
			rulePrivilegeApp.Judge(f)
		case "privilege.credentials-readable":
			rulePrivilegeOwn.Judge(f)
		}
	}
}

// isOneOf reports whether grantee, as the catalog prints it (quote_ident),
// names one of roles.
func isOneOf(grantee string, roles []string) bool {
	name, ok := pgident.Unquote(grantee)
	return ok && slices.Contains(roles, name)
}
