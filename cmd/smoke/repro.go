package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/appydex/smoke/app/apiserver"
	"github.com/appydex/smoke/app/seed"
	"github.com/appydex/smoke/app/tables"
	"github.com/appydex/smoke/harness/drift"
	"github.com/appydex/smoke/harness/live"
	"github.com/appydex/smoke/harness/migrator"
	"github.com/appydex/smoke/harness/report"
	"github.com/appydex/smoke/migrations"
	"github.com/appydex/smoke/schema"
)

// incidentBody is the 500 the incident's login answered, byte for byte.
const incidentBody = `{"code":"INTERNAL_ERROR","message":"Something went wrong","details":{}}`

// reproCommand is `smoke repro`: the incident from nothing, then its fix.
func reproCommand(ctx context.Context, o *options) (*report.Report, error) {
	if o.backend != nil {
		return backendRepro(ctx, o)
	}
	rep := o.newReport("repro")
	br := startBrowser(ctx, o)
	defer br.close()
	origins, err := br.origins()
	if err != nil {
		return rep, err
	}
	srv, err := startPostgres(ctx, o, rep, "postgres")
	if err != nil {
		return rep, err
	}
	defer srv.Close(context.WithoutCancel(ctx))

	// The incident's migration files stopped at add_service_type_requests_table.
	incidentFiles := migrator.Until(migrations.FS, migrations.IncidentHead)
	step := rep.Start("incident database")
	db, err := srv.NewDatabase(ctx)
	if err != nil {
		return rep, err
	}
	mg, err := migrator.New(db.URL, incidentFiles, "migrations")
	if err != nil {
		return rep, err
	}
	err = mg.Up(ctx)
	mg.Close()
	if err != nil {
		return rep, err
	}
	step.Pass("migrated to version %d, 000003_add_service_type_requests_table: refresh_tokens has no token_hash", migrations.IncidentHead)

	logs := &apiserver.LogBuffer{}
	api, err := startAPI(ctx, rep, db.URL, logs, origins)
	if err != nil {
		return rep, err
	}
	defer api.Stop()

	// 1. The login answers what users saw.
	step = rep.Start("login fails")
	status, body, err := postLogin(ctx, api.URL)
	if err != nil {
		return rep, err
	}
	step.Line("$ curl -X POST %s/api/v1/auth/login -d '{\"email_or_phone\":\"%s\",\"password\":\"…\",\"otp\":\"%s\"}'", api.URL, seed.AdminEmail, seed.DevOTP)
	step.Line("HTTP/1.1 %d %s", status, http.StatusText(status))
	step.Line("%s", body)
	logLines := logs.Find(`"level":"ERROR"`, `column \"token_hash\" of relation \"refresh_tokens\" does not exist`)
	for _, l := range logLines {
		step.Line("API log: %s", l)
	}
	loginReproduced := status == 500 && body == incidentBody && len(logLines) > 0
	if loginReproduced {
		step.Pass("500 INTERNAL_ERROR, and the API's log names the missing column")
	} else {
		step.Fail("login answered %d, not the incident's 500 with an undefined-column error in the log", status)
	}

	// 1b. The admin panel, as the report's reproduction used it: what the
	// person saw, and the 500 behind it.
	panelReproduced, err := incidentStep(ctx, br, rep, "browser at the incident", api.URL, adminSignIn)
	if err != nil {
		return rep, err
	}

	// 2. Readiness says so: a probe that answered 200 here would have sent
	// traffic to an API whose every login fails.
	step = rep.Start("readiness")
	status, body, err = get(ctx, api.URL+"/readyz")
	if err != nil {
		return rep, err
	}
	step.Line("GET /readyz → %d %s", status, body)
	readyReproduced := status == http.StatusServiceUnavailable && strings.Contains(body, "SCHEMA_DRIFT") && strings.Contains(body, "refresh_tokens.token_hash")
	if readyReproduced {
		step.Pass("503 SCHEMA_DRIFT naming refresh_tokens.token_hash: not ready, so no traffic")
	} else {
		step.Fail("/readyz answered %d without naming refresh_tokens.token_hash: readiness does not cover the schema", status)
	}

	// 3. The schema check names it, while the migration state claims all is applied.
	step = rep.Start("incident schema check")
	step.Reproduced = true
	live, err := live.Connect(ctx, db.URL)
	if err != nil {
		return rep, err
	}
	defer live.Close(context.WithoutCancel(ctx))
	check, err := drift.Check(ctx, drift.Options{Server: srv, Model: tables.Schema, Migrations: incidentFiles, Dir: "migrations", Live: live})
	if err != nil {
		return rep, err
	}
	st := check.State
	step.Line("schema_migrations: version %d, dirty %t — the newest of the incident's migration files (%s): the database claims to be up to date", st.Version, st.Dirty, st.HeadFile)
	var tokenHash []schema.Finding
	for _, c := range check.Comparisons {
		if c.Want != "model" {
			continue // migrations vs live agree: the files never had the column
		}
		for _, f := range c.Findings {
			if strings.HasPrefix(f.Object, "refresh_tokens.") && strings.Contains(f.Object+f.Want+f.Fix, "token_hash") {
				tokenHash = append(tokenHash, f)
			}
		}
		step.Line("%s vs %s: %d finding(s)", c.Want, c.Got, len(c.Findings))
	}
	sayReused(step, check)
	step.Findings = tokenHash
	checkReproduced := st.Recorded && !st.Dirty && st.Version == st.Head && len(tokenHash) > 0 && tokenHash[0].Object == "refresh_tokens.token_hash"
	if checkReproduced {
		step.Pass("refresh_tokens.token_hash is missing, though schema_migrations says the newest migration is applied")
	} else {
		step.Fail("the schema check did not name refresh_tokens.token_hash missing at a version that claims the newest migration")
	}

	// 4. The fix: the pending migration, then the whole flow.
	step = rep.Start("fix")
	mg, err = migrator.New(db.URL, migrations.FS, "migrations")
	if err != nil {
		return rep, err
	}
	err = mg.Up(ctx)
	version, dirty, verr := mg.Version()
	mg.Close()
	if err != nil || verr != nil {
		step.Fail("the pending migration did not apply")
		step.Line("%v", errors.Join(err, verr))
	} else {
		step.Pass("applied 000004_add_refresh_tokens_token_hash.up.sql: schema_migrations says %d, dirty %t", version, dirty)
	}
	fixStep := step
	after, err := schemaStep(ctx, rep, "schema after the fix", drift.Options{Server: srv, Model: tables.Schema, Migrations: migrations.FS, Dir: "migrations", Live: live})
	if err != nil {
		return rep, err
	}
	res, err := flowStep(ctx, rep, api.Flow(db.URL))
	if err != nil {
		return rep, err
	}
	fixed := fixStep.Status == report.Pass && rep.Gate().Failing(after.Findings()) == 0 && res.Passed
	if err := panelStep(ctx, br, rep, "browser after the fix", api.URL, adminSignIn); err != nil {
		return rep, err
	}
	if last := rep.Steps[len(rep.Steps)-1]; last.Name == "browser after the fix" && last.Status == report.Fail {
		fixed = false
	}

	switch {
	case loginReproduced && readyReproduced && checkReproduced && panelReproduced && fixed:
		rep.Finish("the incident reproduced — login answered 500 because refresh_tokens.token_hash was missing while the database claimed its newest migration — and after the pending migration, login, refresh and reuse detection work")
	case !(loginReproduced && readyReproduced && checkReproduced && panelReproduced):
		rep.Finish("the incident did NOT reproduce: see the steps marked FAIL")
	default:
		rep.Finish("the incident reproduced, but the fix did NOT verify: see the steps marked FAIL")
	}
	return rep, nil
}

func postLogin(ctx context.Context, baseURL string) (int, string, error) {
	return postLoginAs(ctx, baseURL, seed.AdminEmail, seed.AdminPassword, seed.DevOTP)
}

// postLoginAs signs in as the incident report's curl did.
func postLoginAs(ctx context.Context, baseURL, email, password, otp string) (int, string, error) {
	body, _ := json.Marshal(map[string]string{"email_or_phone": email, "password": password, "otp": otp})
	req, err := http.NewRequestWithContext(ctx, "POST", baseURL+"/api/v1/auth/login", bytes.NewReader(body))
	if err != nil {
		return 0, "", err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, "", fmt.Errorf("log in: %w", err)
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	return resp.StatusCode, strings.TrimSpace(string(out)), err
}

func get(ctx context.Context, url string) (int, string, error) {
	req, err := http.NewRequestWithContext(ctx, "GET", url, nil)
	if err != nil {
		return 0, "", err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, "", fmt.Errorf("GET %s: %w", url, err)
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	return resp.StatusCode, strings.TrimSpace(string(out)), err
}
