package browser

// Secrets where they leak from. The harness knows four secrets during a
// sign-in: the password and the one-time code it typed, and the access
// and refresh tokens the API gave the page. None of them may be found in
// a URL the page visited or asked for, in what a script of the page's
// origin can read back later (localStorage, sessionStorage, IndexedDB, a
// cookie that is not HttpOnly), or in the console. A finding names the
// place and the secret's kind, never the secret; its severity is its
// rule's (rules.go, docs/panel.md).

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/chromedp/chromedp"

	"github.com/appydex/smoke/redact"
	"github.com/appydex/smoke/schema"
)

// The secrets' kinds, as findings name them.
const (
	secretPassword = "password"
	secretCode     = "one-time code"
	secretAccess   = "access token"
	secretRefresh  = "refresh token"
)

// The places a secret leaks from, as findings name them.
const (
	placeURL       = "a URL the page visited or asked for"
	placeLocal     = "localStorage"
	placeSession   = "sessionStorage"
	placeIndexedDB = "IndexedDB"
	placeCookie    = "a cookie scripts can read (not HttpOnly)"
	placeConsole   = "the console"
)

// secretRule is the rule for kind found in place.
func secretRule(kind, place string) schema.Rule {
	switch kind {
	case secretPassword:
		return rulePassword
	case secretRefresh:
		if place == placeSession {
			return ruleRefreshSession
		}
		return ruleRefresh
	case secretAccess:
		if place == placeURL {
			return ruleAccessURL
		}
		return ruleAccess
	}
	if place == placeURL {
		return ruleCodeURL
	}
	return ruleCode
}

// storage is what storageJS read.
type storage struct {
	Local     []string `json:"local"`
	Session   []string `json:"session"`
	Cookies   string   `json:"cookies"`
	IndexedDB []string `json:"indexeddb"`
}

// readStorage reads what scripts of the page's origin can read back; a
// page that cannot be read (gone, or navigating) has nothing to add.
func readStorage(tab context.Context) storage {
	st, _ := chromedp.Run(tab, chromedp.Evaluate[storage](storageJS, chromedp.EvalAwaitPromise))
	return st
}

// secret is one value to look for, and its kind.
type secret struct{ kind, value string }

// found is a secret seen in a place; where says in which part of it
// (a key, a cookie, a URL without the secret).
type found struct{ kind, place, where string }

// secretProblems looks for the secrets in what the page kept: the URLs
// it visited and asked for, its storage as read at each of stores, and
// what it said in the console. tokens are the pairs the API issued.
func secretProblems(o SignInOptions, urls, said []string, tokens []issued, stores ...storage) []Problem {
	secrets := knownSecrets(o, tokens)
	if len(secrets) == 0 {
		return nil
	}
	var seen []found
	add := func(f found) {
		if !slices.ContainsFunc(seen, func(g found) bool { return g.kind == f.kind && g.place == f.place }) {
			seen = append(seen, f)
		}
	}
	for _, u := range urls {
		for _, s := range secrets {
			if part := urlPart(u, s); part != "" {
				add(found{s.kind, placeURL, part})
			}
		}
	}
	entries := func(place string, list []string) {
		for _, e := range list {
			name, _, _ := strings.Cut(e, "=")
			for _, s := range secrets {
				if holds(e, s) {
					add(found{s.kind, place, "under " + strconv.Quote(name)})
				}
			}
		}
	}
	for _, st := range stores {
		entries(placeLocal, st.Local)
		entries(placeSession, st.Session)
		entries(placeIndexedDB, st.IndexedDB)
		entries(placeCookie, strings.Split(st.Cookies, "; "))
	}
	for _, line := range said {
		for _, s := range secrets {
			if holds(line, s) {
				add(found{s.kind, placeConsole, "written by a console call"})
			}
		}
	}
	var ps []Problem
	for _, f := range seen {
		where := redact.Secrets(f.where, values(secrets)...)
		ps = append(ps, ruled(ClassSecret, secretRule(f.kind, f.place), fmt.Sprintf("the %s is in %s (%s)", f.kind, f.place, where)))
	}
	slices.SortStableFunc(ps, func(a, b Problem) int { return severityRank(b.Severity) - severityRank(a.Severity) })
	return ps
}

// knownSecrets are the secrets of a sign-in: the password and the code
// (each long enough not to be met by chance: minSecretLength), and every
// token issued.
func knownSecrets(o SignInOptions, tokens []issued) []secret {
	var out []secret
	add := func(kind, v string) {
		if len(v) >= minSecretLength && !slices.ContainsFunc(out, func(s secret) bool { return s.value == v }) {
			out = append(out, secret{kind, v})
		}
	}
	add(secretPassword, o.Password)
	add(secretCode, o.OTP)
	for _, t := range tokens {
		add(secretRefresh, t.refresh)
		add(secretAccess, t.access)
	}
	return out
}

// minSecretLength is the shortest secret looked for: a shorter one (a
// four-digit code) would be met by chance in any page.
const minSecretLength = 6

func values(secrets []secret) []string {
	out := make([]string, len(secrets))
	for i, s := range secrets {
		out[i] = s.value
	}
	return out
}

// holds: text has the secret, as it is or as JSON or a URL writes it. A
// one-time code counts only as a whole: not digits within a longer run
// ("#000000" is a colour).
func holds(text string, s secret) bool {
	forms := []string{s.value, url.QueryEscape(s.value), url.PathEscape(s.value)}
	if q := strconv.Quote(s.value); len(q) > 2 {
		forms = append(forms, q[1:len(q)-1])
	}
	for _, f := range forms {
		for i := 0; ; {
			j := strings.Index(text[i:], f)
			if j < 0 {
				break
			}
			start, end := i+j, i+j+len(f)
			if s.kind != secretCode || (!alnumAt(text, start-1) && !alnumAt(text, end)) {
				return true
			}
			i = start + 1
		}
	}
	return false
}

func alnumAt(s string, i int) bool {
	if i < 0 || i >= len(s) {
		return false
	}
	c := s[i]
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// urlPart says where in raw the secret is — "its path", "its query",
// "its fragment" — with the URL it is in, without them; "" when it is not
// there.
func urlPart(raw string, s secret) string {
	u, err := url.Parse(raw)
	if err != nil {
		if holds(raw, s) {
			return "a URL that does not parse"
		}
		return ""
	}
	var parts []string
	for _, p := range []struct{ name, text string }{{"path", u.EscapedPath()}, {"query", u.RawQuery}, {"fragment", u.EscapedFragment()}} {
		if holds(p.text, s) || holds(unescape(p.text), s) {
			parts = append(parts, p.name)
		}
	}
	if len(parts) == 0 {
		return ""
	}
	bare := u.Scheme + "://" + u.Host
	if !slices.Contains(parts, "path") {
		bare += u.EscapedPath()
	}
	return bare + ", in its " + strings.Join(parts, " and ")
}

func unescape(s string) string {
	if v, err := url.QueryUnescape(s); err == nil {
		return v
	}
	return s
}

func severityRank(s schema.Severity) int {
	return map[schema.Severity]int{schema.Notice: 1, schema.Warning: 2, schema.Error: 3}[s]
}
