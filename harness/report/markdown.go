package report

import (
	"cmp"
	"fmt"
	"io"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/appydex/smoke/schema"
)

// WriteMarkdown writes the report as a CI job's summary (GitHub's
// $GITHUB_STEP_SUMMARY renders it): the verdict, a table of the steps, and
// under "What failed" each failing step with its lines, each failing
// check of the flow, each finding that fails the verdict with the SQL that
// mends it, and the screenshot's name.
func (r *Report) WriteMarkdown(w io.Writer) error {
	b := &strings.Builder{}
	fmt.Fprintf(b, "## %s smoke %s: %s\n\n", mark(r.outcome()), r.Command, strings.ToUpper(string(r.outcome())))
	fmt.Fprintf(b, "%s\n\n", r.Verdict)
	if total := r.Counts.Total(); total > 0 {
		fmt.Fprintf(b, "Findings: %s%s.\n\n", r.Counts, map[bool]string{true: " (strict: warnings fail)"}[r.Strict])
	}
	b.WriteString("| | step | time | what it showed |\n|---|---|---:|---|\n")
	for _, s := range r.Steps {
		fmt.Fprintf(b, "| %s | %s | %s | %s |\n", mark(s.Status), cell(s.Name), duration(s.DurationMS), cell(s.Summary))
	}
	failed := false
	for _, s := range r.Steps {
		if s.Status != Fail && s.Status != Interrupted {
			continue
		}
		if !failed {
			b.WriteString("\n### What failed\n")
			failed = true
		}
		r.markdownStep(b, s)
	}
	// A browser step that passed may still have said something: a
	// warning or a notice of the admin panel's (docs/panel.md).
	said := false
	for _, s := range r.Steps {
		if s.Browser == nil || s.Status == Fail || s.Status == Interrupted || len(s.Browser.Problems) == 0 {
			continue
		}
		if !said {
			b.WriteString("\n### Said of the admin panel, not failing\n\n")
			said = true
		}
		browserProblems(b, s, func(schema.Severity) bool { return true })
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// markdownStep is one failing step under "What failed".
func (r *Report) markdownStep(b *strings.Builder, s *Step) {
	fmt.Fprintf(b, "\n#### %s %s: %s\n\n", mark(s.Status), s.Name, s.Summary)
	if len(s.Lines) > 0 {
		lines := s.Lines
		const most = 40
		if len(lines) > most {
			lines = append(lines[:most:most], fmt.Sprintf("… %d more lines in the report", len(s.Lines)-most))
		}
		fence(b, "text", strings.Join(lines, "\n"))
	}
	if s.Flow != nil {
		for _, fs := range s.Flow.Steps {
			for _, c := range fs.Checks {
				if !c.OK {
					fmt.Fprintf(b, "- flow **%s**: %s\n", fs.Name, c.Line())
				}
			}
			if fs.Skipped != "" {
				fmt.Fprintf(b, "- flow **%s** skipped: %s\n", fs.Name, fs.Skipped)
			}
		}
	}
	gate := r.Gate()
	for _, f := range s.Findings {
		if s.Reproduced || !gate.Fails(f.Severity) {
			continue
		}
		fmt.Fprintf(b, "- **%s** %s `%s`: %s\n", f.Severity, f.ObjectType, f.Object, f.What())
		if f.Reason != "" {
			fmt.Fprintf(b, "  %s\n", f.Reason)
		}
		if f.Fix != "" {
			b.WriteString("\n")
			fence(b, "sql", f.Fix)
		}
	}
	browserProblems(b, s, func(schema.Severity) bool { return true })
	for _, a := range s.Attachments {
		fmt.Fprintf(b, "- screenshot: `%s` (in the job's artifacts)\n", filepath.Base(a))
	}
}

// browserProblems lists the problems of a browser step that which
// selects, each with its severity, class and rule.
func browserProblems(b *strings.Builder, s *Step, which func(schema.Severity) bool) {
	if s.Browser == nil {
		return
	}
	for _, p := range s.Browser.Problems {
		if which(p.Severity) {
			fmt.Fprintf(b, "- **%s** panel `%s` (%s): %s\n", p.Severity, p.Class, p.Rule, p.What)
		}
	}
}

// outcome is the report's status: pass, fail, or interrupted.
func (r *Report) outcome() Status {
	switch {
	case r.Interrupted != "":
		return Interrupted
	case r.Passed:
		return Pass
	}
	return Fail
}

func mark(s Status) string {
	switch s {
	case Pass:
		return "✅"
	case Fail:
		return "❌"
	case Skip:
		return "⏭️"
	case Interrupted:
		return "⛔"
	}
	return "…"
}

func duration(ms float64) string {
	if ms < 1000 {
		return fmt.Sprintf("%.0f ms", ms)
	}
	return fmt.Sprintf("%.1f s", ms/1000)
}

// cell is text for a table's cell: one line, its pipes escaped.
func cell(s string) string {
	return strings.NewReplacer("|", `\|`, "\n", " ", "\r", "").Replace(s)
}

// fence writes text in a fenced code block whose fence no line of it
// closes.
func fence(b *strings.Builder, lang, text string) {
	f := "```"
	for strings.Contains(text, f) {
		f += "`"
	}
	fmt.Fprintf(b, "%s%s\n%s\n%s\n", f, lang, strings.TrimRight(text, "\n"), f)
}

// WriteAnnotations writes GitHub Actions workflow commands for what failed
// — "::error title=…::…", one per failing step, flow check and finding
// that fails the verdict; "::warning" for a warning that does not — each
// naming the migration file and line its text names, where it names one.
func (r *Report) WriteAnnotations(w io.Writer) error {
	b := &strings.Builder{}
	gate := r.Gate()
	title := "smoke " + r.Command
	for _, s := range r.Steps {
		if s.Status == Fail || s.Status == Interrupted {
			annotate(b, "error", title+": "+s.Name, s.Summary, append([]string{s.Summary}, s.Lines...))
		}
		if s.Flow != nil {
			for _, fs := range s.Flow.Steps {
				for _, c := range fs.Checks {
					if !c.OK {
						annotate(b, "error", title+": flow "+fs.Name, c.Line(), nil)
					}
				}
			}
		}
		if s.Reproduced {
			continue
		}
		if s.Browser != nil && s.Status != Fail && s.Status != Interrupted {
			for _, p := range s.Browser.Problems {
				if p.Severity == schema.Warning {
					annotate(b, "warning", fmt.Sprintf("%s: %s panel %s", title, p.Severity, p.Class), p.What+" ("+p.Rule+")", nil)
				}
			}
		}
		for _, f := range s.Findings {
			level := "error"
			switch {
			case gate.Fails(f.Severity):
			case f.Severity == schema.Warning:
				level = "warning"
			default:
				continue
			}
			text := f.What()
			if f.Reason != "" {
				text += ": " + f.Reason
			}
			if f.Fix != "" {
				text += "\nfix: " + f.Fix
			}
			annotate(b, level, fmt.Sprintf("%s: %s %s %s", title, f.Severity, f.ObjectType, f.Object), text, []string{text, f.Detail})
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// sqlFile is a migration file named in a message, with its line when the
// message gives one: "migrations/000004_x.up.sql:12:5".
var sqlFile = regexp.MustCompile(`([\w./-]+\.sql)(?::(\d+))?`)

// annotate writes one workflow command; where is searched for a migration
// file to attach it to: the first named with a line (an error's position),
// else the first named at all.
func annotate(b *strings.Builder, level, title, message string, where []string) {
	props := "title=" + escapeProperty(title)
	var file []string
	for _, text := range where {
		for _, m := range sqlFile.FindAllStringSubmatch(text, -1) {
			if file == nil || file[2] == "" && m[2] != "" {
				file = m
			}
		}
	}
	if file != nil {
		props += ",file=" + escapeProperty(file[1])
		if file[2] != "" {
			props += ",line=" + file[2]
		}
	}
	fmt.Fprintf(b, "::%s %s::%s\n", level, props, escapeData(cmp.Or(message, title)))
}

// escapeData and escapeProperty escape a workflow command's message and
// its properties as the runner reads them back.
func escapeData(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A").Replace(s)
}

func escapeProperty(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A", ":", "%3A", ",", "%2C").Replace(s)
}
