package browser_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/appydex/smoke/harness/browser"
	"github.com/appydex/smoke/harness/browser/browsertest"
)

// panelAnswering serves a sign-in page that posts to its own origin's
// login, which answers status in the error envelope, and then shows
// message (nothing when it is "").
func panelAnswering(t *testing.T, status int, message string) string {
	t.Helper()
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/v1/auth/login", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		code := map[int]string{401: "INVALID_CREDENTIALS", 429: "RATE_LIMITED", 500: "INTERNAL_ERROR"}[status]
		_, _ = w.Write([]byte(`{"code":"` + code + `","message":"…","details":{}}`))
	})
	mux.HandleFunc("GET /", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		_, _ = w.Write([]byte(credentialsPage(`fetch("/api/v1/auth/login", {method: "POST", body: "{}"}).then(r => {
			if (r.ok) { location = "/dashboard"; } else { e.textContent = `+"`"+message+"`"+`; } });`) + `<p role=alert id=e></p>`))
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv.URL + "/"
}

// A failed sign-in's message is judged against the API's answer: a
// server error shown as the person's mistake or the network's, a refusal
// shown as the server's fault, and no message at all are [panel]
// problems that say both sides; a truthful message is none. Panels in
// another language bring their own phrases.
func TestTheMessageIsJudgedAgainstTheAnswer(t *testing.T) {
	b := browsertest.Shared(t)
	for _, c := range []struct {
		name    string
		status  int
		message string
		phrases browser.Phrases
		want    string // the panel problem's start; "" for none
	}{
		{"a 500 shown as wrong credentials", 500, "Invalid email or password", browser.Phrases{},
			`the page said the credentials were wrong ("Invalid email or password"); the API answered: POST `},
		{"the incident: a 500 shown as the network's fault", 500, "Cannot connect to server", browser.Phrases{}, "the page blamed the connection"},
		{"a 500 shown with no message", 500, "", browser.Phrases{}, "the page showed no message at all; the API answered: POST "},
		{"wrong credentials shown as the server's fault", 401, "Something went wrong, please try again later", browser.Phrases{},
			"the page said the server failed"},
		{"wrong credentials shown as the network's fault", 401, "Network error", browser.Phrases{}, "the page blamed the connection"},
		{"wrong credentials, said so", 401, "Invalid email or password", browser.Phrases{}, ""},
		{"a 500, said so", 500, "Something went wrong (INTERNAL_ERROR, HTTP 500)", browser.Phrases{}, ""},
		{"rate-limited, said in its own words", 429, "Too many attempts: wait a minute", browser.Phrases{}, ""},
		{"a 500 shown as wrong credentials, in French", 500, "Identifiants incorrects", browser.Phrases{Credentials: []string{`identifiants incorrects`}},
			`the page said the credentials were wrong ("Identifiants incorrects")`},
		{"the same without the French phrases: a generic message", 500, "Identifiants incorrects", browser.Phrases{}, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			res, err := b.SignIn(t.Context(), browser.SignInOptions{PanelURL: panelAnswering(t, c.status, c.message), Login: "admin@appydex.local",
				Password: "admin123!@#", Timeout: 5 * time.Second, Phrases: c.phrases})
			if err != nil {
				t.Fatal(err)
			}
			var panel []string
			for _, p := range res.Problems {
				if p.Class == browser.ClassBlame {
					panel = append(panel, p.What)
				}
			}
			switch {
			case c.want == "" && len(panel) > 0:
				t.Errorf("a truthful message judged misleading: %v", panel)
			case c.want != "" && (len(panel) != 1 || !strings.HasPrefix(panel[0], c.want)):
				t.Errorf("want one [panel] problem starting %q; got %q (all problems %v)", c.want, panel, res.Problems)
			case c.want != "" && !strings.Contains(panel[0], "/api/v1/auth/login → "):
				t.Errorf("the problem does not name the answer: %q", panel[0])
			}
		})
	}
}

// Each phrase must be a regular expression: one that is not is named.
func TestAPhraseThatIsNoRegularExpression(t *testing.T) {
	_, err := browser.DefaultPhrases.With(browser.Phrases{Server: []string{"erreur (serveur"}}).Compile()
	if err == nil || !strings.Contains(err.Error(), `the server phrase "erreur (serveur"`) {
		t.Errorf("err = %v", err)
	}
}
