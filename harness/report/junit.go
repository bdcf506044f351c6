package report

import (
	"encoding/xml"
	"fmt"
	"io"
	"strings"

	"github.com/appydex/smoke/schema"
)

// JUnit XML, as CI systems read it: a suite for the command, a test case per
// step, and one per flow step (classname smoke.<command>.flow).
type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Skipped  int          `xml:"skipped,attr"`
	Time     string       `xml:"time,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name       string          `xml:"name,attr"`
	Tests      int             `xml:"tests,attr"`
	Failures   int             `xml:"failures,attr"`
	Errors     int             `xml:"errors,attr"`
	Skipped    int             `xml:"skipped,attr"`
	Time       string          `xml:"time,attr"`
	Properties []junitProperty `xml:"properties>property"`
	Cases      []junitCase     `xml:"testcase"`
}

// junitProperty is one of a suite's properties: here the findings counted
// by severity, and whether warnings failed the verdict.
type junitProperty struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type junitCase struct {
	Classname string `xml:"classname,attr"`
	Name      string `xml:"name,attr"`
	Time      string `xml:"time,attr"`
	// Properties of a case, as Jenkins and Surefire read them: a browser
	// step's problems, each with its severity, class and rule.
	Properties []junitProperty `xml:"properties>property,omitempty"`
	Failure    *junitFailure   `xml:"failure,omitempty"`
	Error      *junitFailure   `xml:"error,omitempty"` // the step did not finish: interrupted
	Skipped    *junitSkipped   `xml:"skipped,omitempty"`
	SystemOut  string          `xml:"system-out,omitempty"`
}

type junitFailure struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",chardata"`
}

type junitSkipped struct {
	Message string `xml:"message,attr"`
}

func seconds(ms float64) string { return fmt.Sprintf("%.3f", ms/1000) }

// WriteJUnit writes the report as JUnit XML.
func (r *Report) WriteJUnit(w io.Writer) error {
	suite := junitSuite{Name: "smoke " + r.Command, Properties: []junitProperty{
		{"smoke.errors", fmt.Sprint(r.Counts.Errors)}, {"smoke.warnings", fmt.Sprint(r.Counts.Warnings)},
		{"smoke.notices", fmt.Sprint(r.Counts.Notices)}, {"smoke.strict", fmt.Sprint(r.Strict)}}}
	total := 0.0
	for _, s := range r.Steps {
		total += s.DurationMS
		c := junitCase{Classname: "smoke." + r.Command, Name: s.Name, Time: seconds(s.DurationMS)}
		details := append(append([]string{}, s.Lines...), strings.Split(strings.TrimRight(schema.Explained(s.Findings), "\n"), "\n")...)
		if s.Browser != nil && len(s.Browser.Problems) > 0 {
			// The admin panel's problems, each with its class, severity and
			// rule (also in the step's lines, marked).
			c.Properties = append(c.Properties, junitProperty{"smoke.panel.worst", string(s.Browser.Worst())})
			for _, p := range s.Browser.Problems {
				c.Properties = append(c.Properties, junitProperty{"smoke.panel." + string(p.Severity), string(p.Class) + " " + p.Rule + ": " + p.What})
			}
		}
		text := strings.TrimSpace(strings.Join(details, "\n"))
		switch s.Status {
		case Fail:
			c.Failure = &junitFailure{Message: s.Summary, Type: "smoke." + s.Name, Text: text}
		case Interrupted:
			c.Error = &junitFailure{Message: s.Summary, Type: "smoke.interrupted", Text: text}
		case Skip:
			c.Skipped = &junitSkipped{Message: s.Summary}
		default:
			c.SystemOut = strings.TrimSpace(s.Summary + "\n" + text)
		}
		// Jenkins' and GitLab's convention: a line [[ATTACHMENT|path]] in the
		// case's output attaches the file to it.
		for _, a := range s.Attachments {
			c.SystemOut = strings.TrimSpace(c.SystemOut + "\n[[ATTACHMENT|" + a + "]]")
		}
		suite.Cases = append(suite.Cases, c)
		if s.Flow != nil {
			for _, fs := range s.Flow.Steps {
				fc := junitCase{Classname: "smoke." + r.Command + ".flow", Name: fs.Name, Time: seconds(float64(fs.Duration.Microseconds()) / 1000)}
				switch {
				case fs.Skipped != "":
					fc.Skipped = &junitSkipped{Message: fs.Skipped}
				case !fs.Passed:
					var failed []string
					for _, ch := range fs.Checks {
						if !ch.OK {
							failed = append(failed, ch.What+": "+ch.Detail)
						}
					}
					fc.Failure = &junitFailure{Message: fmt.Sprintf("%d check(s) failed", len(failed)), Type: "smoke.flow", Text: strings.Join(failed, "\n")}
				}
				suite.Cases = append(suite.Cases, fc)
			}
		}
	}
	for _, c := range suite.Cases {
		suite.Tests++
		if c.Failure != nil {
			suite.Failures++
		}
		if c.Error != nil {
			suite.Errors++
		}
		if c.Skipped != nil {
			suite.Skipped++
		}
	}
	suite.Time = seconds(total)
	doc := junitSuites{Name: suite.Name, Tests: suite.Tests, Failures: suite.Failures, Errors: suite.Errors, Skipped: suite.Skipped, Time: suite.Time,
		Suites: []junitSuite{suite}}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}
