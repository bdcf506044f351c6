package main

import (
	"context"
	"fmt"

	"github.com/appydex/smoke/harness/flow"
	"github.com/appydex/smoke/harness/report"
)

// flowStep runs the login flow and reports it as the step "flow".
func flowStep(ctx context.Context, rep *report.Report, cfg flow.Config) (*flow.Result, *report.Step, error) {
	step := rep.Start("flow")
	res, err := flow.Run(ctx, cfg)
	if err != nil {
		step.Fail("could not run")
		return nil, step, err
	}
	step.Flow = res
	checks, failed := res.Checks()
	ran, skipped := res.Ran()
	skips := ""
	if skipped > 0 {
		skips = fmt.Sprintf(" (%d skipped)", skipped)
	}
	if failed > 0 {
		step.Fail("%d of %d checks failed in %d steps%s", failed, checks, ran, skips)
	} else {
		step.Pass("%d checks passed in %d steps%s: login, refresh, reuse, logout", checks, ran, skips)
	}
	return res, step, nil
}
