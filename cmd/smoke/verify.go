package main

import (
	"context"
	"fmt"
	"net"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/appydex/smoke/app/tables"
	"github.com/appydex/smoke/harness/browser"
	"github.com/appydex/smoke/harness/drift"
	"github.com/appydex/smoke/harness/flow"
	"github.com/appydex/smoke/harness/live"
	"github.com/appydex/smoke/harness/pgenv"
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
	rep := o.newReport("verify")
	if o.adminURL == "" {
		o.noBrowser = true // the only browser step is the deployment's panel
	} else {
		o.requireBrowser = true // asked for by name: a missing browser is a failure
	}
	br := startBrowser(ctx, o)
	defer br.close()
	codes := flow.NewCodes(o.otp, o.totp)
	step := rep.Start("database")
	live, err := live.Connect(ctx, o.databaseURL)
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

	if o.backend != nil {
		if err := backendVerify(ctx, o, live, rep); err != nil {
			return rep, err
		}
	} else {
		srv, err := startPostgres(ctx, o, rep, "scratch postgres")
		if err != nil {
			return rep, err
		}
		if addr, same := sameServer(o.pg.URL, o.databaseURL); same {
			rep.Steps[len(rep.Steps)-1].Line("note: this is the deployment's own server (%s): verify makes and drops its smoke_* databases there; "+
				"give --pg-url ($%s) a server of its own, or none (a container or local binaries)", addr, pgenv.EnvURL)
		}
		defer srv.Close(context.WithoutCancel(ctx))
		if _, err := schemaStep(ctx, rep, "schema check", drift.Options{Server: srv, Model: tables.Schema, Migrations: migrations.FS, Dir: "migrations", Live: live,
			AppRoles: o.appRoles}); err != nil {
			return rep, err
		}
	}

	if o.apiURL != "" {
		cfg := flow.Config{BaseURL: o.apiURL, DatabaseURL: o.databaseURL,
			Email: o.email, Password: o.password, OTP: o.otp, TOTPSecret: o.totp,
			InactiveEmail: o.inactiveEmail, InactivePassword: o.inactivePassword, RefreshTTL: o.refreshTTL, Codes: codes}
		if o.backend != nil {
			cfg.Paths = o.backend.Flow("", "").Paths
		}
		res, err := flowStep(ctx, rep, cfg)
		if err != nil {
			return rep, err
		}
		if c := res.FirstUnreachable(); c != nil {
			return rep, fmt.Errorf("API %s does not answer: %s: %s", o.apiURL, c.What, c.Detail)
		}
		if login := res.Step(flow.StepLogin); login != nil && !login.Passed && login.ErrorCode != "" {
			rep.Steps[len(rep.Steps)-1].Line("login rejected: %s", login.ErrorCode)
		}
	}
	if o.adminURL != "" {
		code, err := codes.Next(ctx)
		if err != nil {
			return rep, err
		}
		step, res, err := br.signInStep(ctx, rep, "admin panel", browser.SignIn{PanelURL: o.adminURL, Login: o.email, Password: o.password, OTP: code,
			Landing: o.adminLanding})
		if err != nil {
			return rep, err
		}
		landed(step, res)
	}
	verdict := "the deployment's database matches the model and the migrations"
	if o.apiURL != "" {
		verdict += ", and the login flow passes against its API"
	}
	if o.adminURL != "" {
		verdict += ", and its admin panel signs in to the dashboard"
	}
	rep.Finish(verdict)
	if !rep.Passed {
		rep.Verdict = "do not deploy: see the steps marked FAIL"
	}
	return rep, nil
}

// sameServer reports whether two connection strings (URL or keyword form)
// name one server, host and port as pgx reads them, and which.
func sameServer(a, b string) (string, bool) {
	if a == "" || b == "" {
		return "", false
	}
	ca, errA := pgx.ParseConfig(a)
	cb, errB := pgx.ParseConfig(b)
	if errA != nil || errB != nil {
		return "", false
	}
	return net.JoinHostPort(ca.Host, fmt.Sprint(ca.Port)), strings.EqualFold(ca.Host, cb.Host) && ca.Port == cb.Port
}
