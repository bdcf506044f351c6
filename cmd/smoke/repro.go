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
	"time"

	"github.com/appydex/smoke/harness/pgenv"
	"github.com/appydex/smoke/harness/report"
	"github.com/appydex/smoke/harness/target"
)

// incidentBody is the 500 the incident's login answered, byte for byte.
const incidentBody = `{"code":"INTERNAL_ERROR","message":"Something went wrong","details":{}}`

// reproCommand is `smoke repro`: the incident from nothing — a database
// its migrations made as the incident's deployment had it, a login that
// fails as users saw it, the evidence, the root cause — then its fix, the
// report's Option 1: the newest migrations, and the whole flow.
func reproCommand(ctx context.Context, o *options) (*report.Report, error) {
	rep := o.newReport("repro")
	var br *browserRun // started once there is an incident to reproduce
	t := target.New(o.backend, o.targetEnv(func() (string, error) { return br.panelOrigin() }))
	defer o.release(ctx, t)
	logLine, err := t.Incident()
	if errors.Is(err, target.ErrNoIncident) {
		return rep, usageError{err.Error()}
	} else if err != nil {
		return rep, err
	}
	br = startBrowser(ctx, o)
	defer br.close()
	if _, err := t.Up(ctx, rep, "postgres"); err != nil {
		return rep, err
	}
	db, err := t.Database(ctx)
	if err != nil {
		return rep, err
	}
	if ok, err := t.Migrate(ctx, rep, "incident database", target.AtIncident, db); err != nil || !ok {
		rep.Finish("the incident did NOT reproduce: its migrations do not apply")
		return rep, err
	}
	svc, err := t.Start(ctx, target.AtIncident, db).Report(rep, "incident api")
	if err != nil || svc == nil {
		rep.Finish("the incident did NOT reproduce: the incident's API did not start")
		return rep, err
	}
	why, err := reproduce(ctx, rep, t, br, svc, db, logLine)
	if err := errors.Join(err, svc.Stop(context.WithoutCancel(ctx))); err != nil {
		return rep, err
	}
	// The fix runs whether or not the incident reproduced: what it shows
	// is worth knowing either way.
	fixed, err := fix(ctx, rep, t, br, db)
	switch {
	case err != nil:
		return rep, err
	case why == "":
		rep.Finish("the incident did NOT reproduce: see the steps marked FAIL")
	case fixed:
		rep.Finish(fmt.Sprintf("the incident reproduced in %s — %s — and after the newest migrations, login, refresh and reuse detection work", t.Name(), why))
	default:
		rep.Finish("the incident reproduced, but the fix did NOT verify: see the steps marked FAIL")
	}
	return rep, nil
}

// reproduce shows the incident on the API svc, whose database db is as
// the incident's was: the login's 500 and the log line behind it, what
// the admin panel showed, the target's own evidence, the root cause. It
// returns how it reproduced, or "" when it did not.
func reproduce(ctx context.Context, rep *report.Report, t target.Target, br *browserRun, svc target.Service, db *pgenv.Database, logLine []string) (string, error) {
	login, err := loginFailsStep(ctx, rep, svc, logLine)
	if err != nil {
		return "", err
	}
	panel, err := incidentStep(ctx, br, rep, "browser at the incident", svc)
	if err != nil {
		return "", err
	}
	evidence, err := t.Evidence(ctx, rep, svc, db)
	if err != nil {
		return "", err
	}
	check, err := target.CheckOwn(ctx, rep, t, "incident schema check", target.AtIncident, db)
	if err != nil {
		return "", err
	}
	// The check's findings are what the incident is: the step shows them,
	// and the verdict does not count them.
	check.Step.Reproduced = true
	if check.RootCause() {
		check.Step.Pass("the root cause: the database claims the newest migration, and the model has %s, which no migration creates",
			strings.Join(check.Unmigrated, ", "))
	} else {
		check.Step.Fail("the check did not find the incident's root cause: a database at the newest migration, with a model ahead of every migration")
	}
	if !(login && panel && evidence && check.RootCause()) {
		return "", nil
	}
	return fmt.Sprintf("login answered 500 because %s was missing while the database claimed its newest migration",
		strings.Join(check.Unmigrated, ", ")), nil
}

// fix is the report's Option 1 on db: the newest migrations, the schema
// checked again, the API restarted from the newest code, the whole flow
// and the admin panel. True when all of it passed.
func fix(ctx context.Context, rep *report.Report, t target.Target, br *browserRun, db *pgenv.Database) (bool, error) {
	if ok, err := t.Migrate(ctx, rep, "fix", target.Newest, db); err != nil || !ok {
		return false, err
	}
	check, err := target.CheckOwn(ctx, rep, t, "schema after the fix", target.Newest, db)
	if err != nil {
		return false, err
	}
	svc, err := t.Start(ctx, target.Newest, db).Report(rep, "fixed api")
	if err != nil || svc == nil {
		return false, err
	}
	defer svc.Stop(context.WithoutCancel(ctx))
	res, _, err := flowStep(ctx, rep, svc.Flow(db.URL))
	if err != nil {
		return false, err
	}
	panel, err := panelStep(ctx, br, rep, "browser after the fix", svc)
	return check.Passed && res.Passed && panel, err
}

// loginFailsStep signs in as the incident report's curl did: reproduced
// when the API answers the incident's 500 and its log holds the line that
// names the cause.
func loginFailsStep(ctx context.Context, rep *report.Report, svc target.Service, logLine []string) (bool, error) {
	step := rep.Start("login fails")
	cfg := svc.Flow("")
	loginPath := cfg.Endpoints().Login
	status, body, err := postLogin(ctx, svc.URL()+loginPath, cfg.Email, cfg.Password, cfg.OTP)
	if err != nil {
		return false, err
	}
	step.Line("$ curl -X POST %s%s -d '{\"email_or_phone\":\"%s\",\"password\":\"…\",\"otp\":\"%s\"}'", svc.URL(), loginPath, cfg.Email, cfg.OTP)
	step.Line("HTTP/1.1 %d %s", status, http.StatusText(status))
	step.Line("%s", body)
	// A 500's log line is written beside the answer, not before it: it is
	// read until it comes, for a moment.
	lines := logLines(svc.Log(ctx), logLine)
	for deadline := time.Now().Add(logWait); status == http.StatusInternalServerError && len(lines) == 0 && len(logLine) > 0 &&
		time.Now().Before(deadline) && sleep(ctx, 100*time.Millisecond); {
		lines = logLines(svc.Log(ctx), logLine)
	}
	for _, l := range lines {
		step.Line("log: %s", l)
	}
	if status == http.StatusInternalServerError && body == incidentBody && len(lines) > 0 {
		step.Pass("500 INTERNAL_ERROR, and the log names the cause")
		return true, nil
	}
	step.Fail("login answered %d, not the incident's 500 with %q in the log", status, strings.Join(logLine, " … "))
	return false, nil
}

// logWait is how long the log line that names the incident's cause may
// come after the answer.
const logWait = 3 * time.Second

// sleep waits d, or until ctx ends: false then.
func sleep(ctx context.Context, d time.Duration) bool {
	select {
	case <-ctx.Done():
		return false
	case <-time.After(d):
		return true
	}
}

// postLogin signs in at loginURL as the incident report's curl did.
func postLogin(ctx context.Context, loginURL, email, password, otp string) (int, string, error) {
	body, _ := json.Marshal(map[string]string{"email_or_phone": email, "password": password, "otp": otp})
	req, err := http.NewRequestWithContext(ctx, "POST", loginURL, bytes.NewReader(body))
	if err != nil {
		return 0, "", err
	}
	req.Header.Set("Content-Type", "application/json")
	return do(req)
}

// do sends req and returns the answer's status and its body, trimmed.
func do(req *http.Request) (int, string, error) {
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, "", fmt.Errorf("%s %s: %w", req.Method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	return resp.StatusCode, strings.TrimSpace(string(out)), err
}

// logLines are the lines of logs that hold every part of want.
func logLines(logs string, want []string) []string {
	var out []string
	if len(want) == 0 {
		return nil
	}
	for _, l := range strings.Split(logs, "\n") {
		all := true
		for _, w := range want {
			all = all && strings.Contains(l, w)
		}
		if all {
			out = append(out, strings.TrimSpace(l))
		}
	}
	return out
}
