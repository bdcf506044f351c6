package browser

// Judging a sign-in as its users and a security reviewer would.

import (
	"fmt"
	"strings"
)

// judge names what is wrong with a finished sign-in.
func judge(res *Result, o SignInOptions) []Problem {
	var ps []Problem
	failing := res.Failing()
	switch {
	case res.Page == "":
		// Nothing was sent: the page did not load, or had no form to
		// fill, as a problem of its own says.
	case !res.Landed && res.Shown != "":
		what := fmt.Sprintf("the sign-in stayed on %s; the page showed %q", res.Page, res.Shown)
		if failing != nil {
			what += "; behind it: " + failing.String()
		}
		ps = append(ps, newProblem(ClassSignIn, what))
	case !res.Landed:
		what := fmt.Sprintf("the sign-in did not reach %s within %s; the page (%s) showed no error: %q",
			strings.Join(o.Landing, " or "), o.Timeout, res.Page, res.Text)
		if failing != nil {
			what += "; behind it: " + failing.String()
		}
		ps = append(ps, newProblem(ClassSignIn, what))
	case res.Shown != "":
		ps = append(ps, newProblem(ClassSignIn, fmt.Sprintf("signed in to %s, but the page shows %q", res.Page, res.Shown)))
	}
	// What the page said of a failed sign-in, against what the API
	// answered (message.go): a server error shown as the person's mistake
	// or the network's, a refusal shown as the server's, no message at all.
	if failing != nil && !res.Landed && res.Page != "" {
		classify, err := DefaultPhrases.With(o.Phrases).Compile()
		if err != nil {
			classify, _ = DefaultPhrases.Compile()
		}
		a, m := classifyAnswer(failing), classify(res.Shown)
		if why := misleads(a, m); why != "" {
			said := ""
			if res.Shown != "" {
				said = fmt.Sprintf(" (%q)", res.Shown)
			}
			ps = append(ps, newProblem(ClassBlame, fmt.Sprintf("%s%s; the API answered: %s (%s)", why, said, failing, a)))
		}
	}
	for _, q := range res.Requests {
		switch {
		case q.preflightRefused():
			ps = append(ps, newProblem(ClassCORS, fmt.Sprintf("the browser did not send %s %s: the API allows no request from the panel's origin (%s): "+
				"add the panel's origin to the API's allowed origins", q.Method, q.URL, q.Failure)))
		case q.Withheld:
			status := "of a status the browser did not say"
			if q.Status != 0 {
				status = fmt.Sprintf("HTTP %d", q.Status)
			}
			ps = append(ps, newProblem(ClassCORS, fmt.Sprintf("the API's answer to %s %s (%s) carried no CORS header for the panel's origin, "+
				"so the browser withheld it from the page (%s): set the header on every answer, errors included", q.Method, q.URL, status, q.Failure)))
		}
	}
	return ps
}

// landedAt: the page is on a signed-in path, or routes to one in its
// address's fragment (/#/dashboard).
func (o SignInOptions) landedAt(st pageState) bool {
	return o.landed(st.Path) || (st.Route != "" && o.landed(st.Route))
}

func (o SignInOptions) landed(path string) bool {
	for _, p := range o.Landing {
		if path == p || strings.HasPrefix(path, strings.TrimRight(p, "/")+"/") {
			return true
		}
	}
	return false
}
