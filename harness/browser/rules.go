package browser

// The rules that give each problem of a sign-in its severity, by its
// effect, in the terms of the drift table (docs/panel.md lists them).

import "github.com/appydex/smoke/schema"

var (
	ruleSignIn = schema.NewRule("panel.sign-in-failed", schema.Error,
		"the sign-in did not land on a signed-in page, or the page it landed on shows an error",
		"the person cannot get in: the incident's first sign")
	ruleBlame = schema.NewRule("panel.misleading-message", schema.Error,
		"a failed sign-in's message misleads about the API's answer: a server error shown as wrong credentials or the connection's fault, a refusal shown as the server's or the connection's, or no message at all",
		"people look in the wrong place: the incident's \"Cannot connect to server\" sent the team to the network while the database lacked a column")
	ruleCORS = schema.NewRule("panel.answer-withheld", schema.Error,
		"an API answer the browser withheld from the page (no CORS header for its origin), or a request it did not send (a refused preflight)",
		"the page cannot read what the API said: it can only guess, and guesses \"Cannot connect to server\"")
	ruleNoForm = schema.NewRule("panel.no-form", schema.Error,
		"no sign-in form a person could fill: no box for the email, the password or the one-time code, or a form that does not take what is typed",
		"nobody can sign in through the page")
	rulePanelDown = schema.NewRule("panel.unreachable", schema.Error,
		"the panel's page does not load",
		"nobody can sign in through the page")
	ruleSignedInCall = schema.NewRule("panel.signed-in-call-failed", schema.Error,
		"after the sign-in, a call the signed-in page makes is answered 4xx or 5xx, not at all, or withheld by the browser",
		"the person is in and the page does not work: it shows nothing they came for (a dashboard whose GET /auth/me is refused)")
	ruleSignedInEmpty = schema.NewRule("panel.signed-in-empty", schema.Error,
		"the signed-in page shows nothing beyond its navigation, its controls and its notices",
		"the person is in and sees nothing: whatever the page should have loaded did not show")
	ruleSessionLive = schema.NewRule("panel.session-live", schema.Error,
		"after the page's sign-out, the refresh token the API issued to the page still refreshes (or the API's answer to it is not a refusal)",
		"the session outlives the sign-out: whoever holds the token (a shared computer's next user, a script that read it) keeps the account for the token's lifetime")
)

// The secrets' rules: by the secret's lifetime first — a password lasts
// until it is changed, a refresh token days, an access token minutes, a
// one-time code one use — then by who can read the place it is in.
var (
	rulePassword = schema.NewRule("secret.password", schema.Error,
		"the password outside its box: in a URL, in storage or a cookie a script can read, or in the console",
		"whoever reads that place (browser history, access and proxy logs, a Referer, any script of the origin, an error-reporting tool) can sign in as the person until the password changes")
	ruleRefresh = schema.NewRule("secret.refresh-token", schema.Error,
		"the refresh token in a URL, in localStorage or IndexedDB, in a cookie a script can read, or in the console",
		"whoever reads it keeps the account for the token's lifetime (days): URLs reach history, logs and other sites' Referer; localStorage and IndexedDB stay on disk after the tab closes; the console reaches error-reporting tools")
	ruleRefreshSession = schema.NewRule("secret.refresh-token-session-storage", schema.Warning,
		"the refresh token in sessionStorage",
		"any script of the panel's origin can read it while the tab is open, as it could read the page's memory; it is gone when the tab closes")
	ruleAccessURL = schema.NewRule("secret.access-token-url", schema.Error,
		"the access token in a URL",
		"a URL is sent on at once — as the Referer to other sites, into access and proxy logs — so the token reaches others within its lifetime")
	ruleAccess = schema.NewRule("secret.access-token", schema.Warning,
		"the access token in storage or a cookie a script can read, or in the console",
		"a script of the origin, or an error-reporting tool, can act as the person until the token expires (minutes)")
	ruleCodeURL = schema.NewRule("secret.one-time-code-url", schema.Warning,
		"the one-time code in a URL",
		"it reaches history and logs beside the email: a replay within its window, where the API does not spend a code once used")
	ruleCode = schema.NewRule("secret.one-time-code", schema.Notice,
		"the one-time code in storage, a cookie or the console",
		"it is spent once and lasts 30 seconds: by the time anyone reads it there, it opens nothing")
)

// classRules are the rules of the classes of problem that have one rule.
var classRules = map[Class]schema.Rule{
	ClassSignIn: ruleSignIn, ClassBlame: ruleBlame, ClassCORS: ruleCORS, ClassNoForm: ruleNoForm, ClassPanelDown: rulePanelDown,
	ClassSignedIn: ruleSignedInCall, ClassSession: ruleSessionLive,
}

// newProblem is a problem of class c, judged by the class's rule.
func newProblem(c Class, what string) Problem {
	return ruled(c, classRules[c], what)
}

// ruled is a problem of class c, judged by rule.
func ruled(c Class, rule schema.Rule, what string) Problem {
	return Problem{Class: c, What: what, Severity: rule.Severity, Rule: rule.ID}
}
