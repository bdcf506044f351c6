package main

import (
	"context"
	"fmt"
	"net"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/appydex/smoke/harness/browser"
	"github.com/appydex/smoke/harness/flow"
	"github.com/appydex/smoke/harness/live"
	"github.com/appydex/smoke/harness/pgenv"
	"github.com/appydex/smoke/harness/report"
	"github.com/appydex/smoke/harness/target"
	"github.com/appydex/smoke/redact"
)

// verifyCommand is `smoke verify`: the pre-deploy gate. It reads the
// deployment's database over a read-only session (every transaction
// read-only from the first statement), compares it with the model and with
// what the migrations produce — in a throwaway PostgreSQL of the harness's
// own — and runs the login flow against the deployment's API, and the
// sign-in of its admin panel, when given them.
func verifyCommand(ctx context.Context, o *options) (*report.Report, error) {
	rep := o.newReport("verify")
	if o.adminURL == "" {
		o.noBrowser = true // the only browser step is the deployment's panel
	} else {
		o.requireBrowser = true // asked for by name: a missing browser is a failure
	}
	br := startBrowser(ctx, o)
	defer br.close()
	conn, err := databaseStep(ctx, rep, o.databaseURL)
	if err != nil {
		return rep, err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	t := target.New(o.backend, o.targetEnv(nil)) // the deployment serves its own panel
	defer o.release(ctx, t)
	step, err := t.Up(ctx, rep, "scratch postgres")
	if err != nil {
		return rep, err
	}
	if addr, same := sameServer(o.pg.URL, o.databaseURL); same {
		step.Line("note: this is the deployment's own server (%s): verify makes and drops its smoke_* databases there; "+
			"give --pg-url ($%s) a server of its own, or none (a container or local binaries)", addr, pgenv.EnvURL)
	}
	if _, err := t.Check(ctx, rep, "schema check", target.Newest, target.LiveDB{Conn: conn, AppRoles: o.appRoles}); err != nil {
		return rep, err
	}
	codes := flow.NewCodes(o.otp, o.totp)
	if err := deploymentFlowStep(ctx, rep, o, t.Paths(), codes); err != nil {
		return rep, err
	}
	if err := deploymentPanelStep(ctx, rep, o, br, codes); err != nil {
		return rep, err
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

// databaseStep connects to the deployment's database, read-only.
func databaseStep(ctx context.Context, rep *report.Report, databaseURL string) (*pgx.Conn, error) {
	step := rep.Start("database")
	conn, err := live.Connect(ctx, databaseURL)
	if err != nil {
		step.Fail("%s: %s", redact.Conn(databaseURL), live.Failure(err))
		return nil, err
	}
	var version string
	if err := conn.QueryRow(ctx, "SHOW server_version").Scan(&version); err != nil {
		conn.Close(context.WithoutCancel(ctx))
		step.Fail("%s does not answer queries", redact.Conn(databaseURL))
		return nil, fmt.Errorf("%s: %w", redact.Conn(databaseURL), redact.Error(err, databaseURL))
	}
	step.Pass("PostgreSQL %s at %s, read-only session", pgenv.MajorMinor(version), redact.Conn(databaseURL))
	return conn, nil
}

// deploymentFlowStep runs the login flow against --api-url, when given, as
// --email; its rows are read over a read-only session of --database-url.
func deploymentFlowStep(ctx context.Context, rep *report.Report, o *options, paths flow.Paths, codes *flow.Codes) error {
	if o.apiURL == "" {
		return nil
	}
	cfg := flow.Config{BaseURL: o.apiURL, DatabaseURL: o.databaseURL, Paths: paths,
		Email: o.email, Password: o.password, OTP: o.otp, TOTPSecret: o.totp,
		InactiveEmail: o.inactiveEmail, InactivePassword: o.inactivePassword, RefreshTTL: o.refreshTTL, AccessTTL: o.accessTTL, TokenHash: o.tokenHash, Codes: codes}
	if cfg.TokenHash == "" && o.backend != nil {
		cfg.TokenHash = flow.TokenHash(o.backend.TokenHash) // "" stays the default, sha256
	}
	res, step, err := flowStep(ctx, rep, cfg)
	if err != nil {
		return err
	}
	if c := res.FirstUnreachable(); c != nil {
		return fmt.Errorf("API %s does not answer: %s: %s", o.apiURL, c.What, c.Detail)
	}
	if login := res.Step(flow.StepLogin); login != nil && !login.Passed && login.ErrorCode != "" {
		step.Line("login rejected: %s", login.ErrorCode)
	}
	return nil
}

// deploymentPanelStep signs in to --admin-url in a browser, when given.
func deploymentPanelStep(ctx context.Context, rep *report.Report, o *options, br *browserRun, codes *flow.Codes) error {
	if o.adminURL == "" {
		return nil
	}
	code, err := codes.Next(ctx)
	if err != nil {
		return err
	}
	step, res, err := br.signInStep(ctx, rep, "admin panel", browser.SignInOptions{PanelURL: o.adminURL, Login: o.email, Password: o.password, OTP: code,
		Landing: o.adminLanding})
	if err != nil {
		return err
	}
	landed(step, res, rep.Gate())
	return nil
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
