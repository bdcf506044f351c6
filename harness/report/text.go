package report

import (
	"fmt"
	"io"
	"strings"

	"github.com/appydex/smoke/schema"
)

// WriteText prints the report for people: a line per step, what it found
// beneath it, the verdict last.
func (r *Report) WriteText(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "smoke %s\n", r.Command)
	for _, s := range r.Steps {
		mark := map[Status]string{Pass: "ok  ", Fail: "FAIL", Skip: "skip", Interrupted: "STOP"}[s.Status]
		if mark == "" {
			mark = "??? "
		}
		fmt.Fprintf(&b, "%s %-20s %6.0fms  %s\n", mark, s.Name, s.DurationMS, s.Summary)
		for _, l := range s.Lines {
			fmt.Fprintf(&b, "       %s\n", l)
		}
		for _, a := range s.Attachments {
			fmt.Fprintf(&b, "       attached: %s\n", a)
		}
		for _, l := range strings.Split(strings.TrimRight(schema.Explained(s.Findings), "\n"), "\n") {
			if l != "" {
				fmt.Fprintf(&b, "       %s\n", l)
			}
		}
		if s.Flow != nil {
			for _, l := range strings.Split(strings.TrimRight(s.Flow.Text(), "\n"), "\n") {
				fmt.Fprintf(&b, "       %s\n", l)
			}
		}
	}
	verdict := "PASS"
	switch {
	case r.Interrupted != "":
		verdict = "INTERRUPTED"
	case !r.Passed:
		verdict = "FAIL"
	}
	if c := r.Counts.String(); c != "" {
		verdict += " with " + c
	}
	if r.Strict {
		verdict += " (strict: warnings fail)"
	}
	fmt.Fprintf(&b, "%s: %s\n", verdict, r.Verdict)
	_, err := io.WriteString(w, b.String())
	return err
}
