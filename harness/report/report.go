// Package report is what the smoke command prints: a step-by-step report as
// text for people, JSON (a stable schema: report.schema.json) and JUnit XML
// for CI.
package report

import (
	"fmt"
	"time"

	"github.com/appydex/smoke/harness/browser"
	"github.com/appydex/smoke/harness/flow"
	"github.com/appydex/smoke/schema"
)

// Status is a step's outcome.
type Status string

// The statuses.
const (
	Pass Status = "pass"
	Fail Status = "fail"
	Skip Status = "skip"
	// Interrupted: the run was stopped (Ctrl-C, SIGTERM) while the step ran.
	Interrupted Status = "interrupted"
)

// Report is one run of a smoke command.
type Report struct {
	Command string `json:"command"` // "run", "repro", "verify"
	Passed  bool   `json:"passed"`
	Verdict string `json:"verdict"` // one sentence: what the run showed
	// Strict: warnings fail the verdict, as errors do (--strict).
	Strict bool `json:"strict"`
	// Counts are how many findings of each severity the steps hold (but
	// those a step reproduced on purpose).
	Counts schema.Counts `json:"counts"`
	// Interrupted names the signal that stopped the run ("interrupt",
	// "terminated"); "" when it ran to its end.
	Interrupted string  `json:"interrupted,omitempty"`
	Steps       []*Step `json:"steps"`
}

// Step is one step of a run.
type Step struct {
	Name       string           `json:"name"`
	Status     Status           `json:"status"`
	DurationMS float64          `json:"duration_ms"`
	Summary    string           `json:"summary"`
	Lines      []string         `json:"lines,omitempty"`    // shown beneath the step: a response, a log line
	Findings   []schema.Finding `json:"findings,omitempty"` // of a schema or migration-state step
	Flow       *flow.Result     `json:"flow,omitempty"`     // of the flow step
	Browser    *browser.Result  `json:"browser,omitempty"`  // of a browser step
	// Attachments are files the step left: a failing browser step's
	// screenshot.
	Attachments []string `json:"attachments,omitempty"`
	// Reproduced: the step's findings are what the run set out to show (the
	// incident, reproduced), not problems: the verdict does not count them.
	Reproduced bool `json:"reproduced,omitempty"`
	started    time.Time
	ended      time.Time
}

// New starts a report for command.
func New(command string) *Report { return &Report{Command: command, Steps: []*Step{}} }

// Start begins a step; finish it with Pass, Fail or Skip.
func (r *Report) Start(name string) *Step {
	s := &Step{Name: name, started: time.Now()}
	r.Steps = append(r.Steps, s)
	return s
}

// Record adds a step for work that ran from start to end — alongside other
// steps — to be finished with Pass, Fail or Skip.
func (r *Report) Record(name string, start, end time.Time) *Step {
	s := &Step{Name: name, started: start, ended: end}
	r.Steps = append(r.Steps, s)
	return s
}

func (s *Step) end(status Status, format string, args []any) {
	if s.ended.IsZero() {
		s.ended = time.Now()
	}
	s.Status = status
	s.Summary = fmt.Sprintf(format, args...)
	s.DurationMS = float64(s.ended.Sub(s.started).Microseconds()) / 1000
}

// Pass ends the step as passed.
func (s *Step) Pass(format string, args ...any) { s.end(Pass, format, args) }

// Fail ends the step as failed.
func (s *Step) Fail(format string, args ...any) { s.end(Fail, format, args) }

// Skip ends the step as not run.
func (s *Step) Skip(format string, args ...any) { s.end(Skip, format, args) }

// Line adds a line shown beneath the step.
func (s *Step) Line(format string, args ...any) {
	s.Lines = append(s.Lines, fmt.Sprintf(format, args...))
}

// Gate is what fails the report's verdict: errors, and warnings when it is
// strict.
func (r *Report) Gate() schema.Gate { return schema.Gate{Strict: r.Strict} }

// Finish sets the verdict; the report passes when every step did. It
// counts the steps' findings by severity.
func (r *Report) Finish(verdict string) {
	r.Passed = true
	for _, s := range r.Steps {
		if s.Status == Fail || s.Status == "" {
			r.Passed = false
		}
	}
	r.Verdict = verdict
	r.count()
}

func (r *Report) count() {
	r.Counts = schema.Counts{}
	for _, s := range r.Steps {
		if !s.Reproduced {
			r.Counts = r.Counts.Plus(schema.Count(s.Findings))
		}
	}
}

// Interrupt records that the run was stopped by signal at the moment at:
// the step that was running then is marked Interrupted, and what steps
// began after it — failures of the cancellation itself, not findings — are
// dropped. cleanup is what went wrong removing what the run started (nil
// when all of it went): the verdict says only what is true. It returns the
// name of the interrupted step ("" when none ran).
func (r *Report) Interrupt(signal string, at time.Time, cleanup error) string {
	r.Passed = false
	r.Interrupted = signal
	running := -1
	for i, s := range r.Steps {
		if !s.started.After(at) {
			running = i
		}
	}
	r.Steps = r.Steps[:running+1]
	step := ""
	if running >= 0 {
		s := r.Steps[running]
		if s.Status == "" || s.Status == Fail || !s.ended.Before(at) {
			s.Status = Interrupted
			s.Summary = "interrupted (" + signal + ") while this step ran"
			if s.ended.IsZero() {
				s.DurationMS = float64(at.Sub(s.started).Microseconds()) / 1000
			}
		}
		step = s.Name
	}
	where := "before any step began"
	if step != "" {
		where = fmt.Sprintf("during step %q", step)
	}
	r.count()
	removed := "the servers, databases and containers it started have been removed"
	if cleanup != nil {
		removed = "not all it started could be removed (" + cleanup.Error() + "): the next run sweeps what a finished run left"
	}
	r.Verdict = fmt.Sprintf("interrupted (%s) %s: the run did not finish, so it judged nothing; %s "+
		"(a session an API opened whose answer never arrived lasts until it expires)", signal, where, removed)
	return step
}
