package main

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/appydex/smoke/app/tables"
	"github.com/appydex/smoke/harness/drift"
	"github.com/appydex/smoke/harness/flow"
	"github.com/appydex/smoke/harness/report"
	"github.com/appydex/smoke/migrations"
	"github.com/appydex/smoke/redact"
)

// verifyCommand is `smoke verify`: the pre-deploy gate. It reads the
// deployment's database over a read-only session (every transaction
// read-only from the first statement), compares it with the model and with
// what the migrations produce — in a throwaway PostgreSQL of the harness's
// own — and runs the login flow against the deployment's API when given one.
func verifyCommand(ctx context.Context, o *options) (*report.Report, error) {
	rep := report.New("verify")
	step := rep.Start("database")
	live, err := drift.ConnectLive(ctx, o.databaseURL)
	if err != nil {
		step.Fail("no answer from %s", redact.URL(o.databaseURL))
		return rep, err
	}
	defer live.Close(context.WithoutCancel(ctx))
	var version string
	if err := live.QueryRow(ctx, "SHOW server_version").Scan(&version); err != nil {
		step.Fail("%s does not answer queries", redact.URL(o.databaseURL))
		return rep, fmt.Errorf("%s: %w", redact.URL(o.databaseURL), err)
	}
	step.Pass("PostgreSQL %s at %s, read-only session", majorMinor(version), redact.URL(o.databaseURL))

	srv, err := startPostgres(ctx, o, rep, "scratch postgres")
	if err != nil {
		return rep, err
	}
	defer srv.Close(context.WithoutCancel(ctx))
	if _, err := schemaStep(ctx, rep, "schema check", drift.Options{Server: srv, Model: tables.Schema, Migrations: migrations.FS, Dir: "migrations", Live: live}); err != nil {
		return rep, err
	}

	if o.apiURL != "" {
		res, err := flowStep(ctx, rep, flow.Config{BaseURL: o.apiURL, DatabaseURL: o.databaseURL,
			Email: o.email, Password: o.password, OTP: o.otp})
		if err != nil {
			return rep, err
		}
		if err := unreachable(res); err != nil {
			return rep, fmt.Errorf("API %s: %w", o.apiURL, err)
		}
		if code := loginRejection(res); code != "" {
			rep.Steps[len(rep.Steps)-1].Line("login rejected: %s", code)
		}
	}
	rep.Finish("the deployment's database matches the model and the migrations" + map[bool]string{true: ", and the login flow passes against its API", false: ""}[o.apiURL != ""])
	if !rep.Passed {
		rep.Verdict = "do not deploy: see the steps marked FAIL"
	}
	return rep, nil
}

// unreachable is an error when the flow could not reach the API at all.
func unreachable(res *flow.Result) error {
	if len(res.Steps) == 0 {
		return nil
	}
	for _, c := range res.Steps[0].Checks {
		if !c.OK && strings.HasSuffix(c.What, " answers") {
			return errors.New("does not answer: " + c.Detail)
		}
	}
	return nil
}

// loginRejection is the error code the flow's login got, when it was refused.
func loginRejection(res *flow.Result) string {
	for _, s := range res.Steps {
		if s.Name != "login" || s.Passed() {
			continue
		}
		for _, c := range s.Checks {
			if !c.OK && strings.Contains(c.Detail, `"code":"`) {
				code := c.Detail[strings.Index(c.Detail, `"code":"`)+8:]
				return code[:strings.IndexByte(code, '"')]
			}
		}
	}
	return ""
}
