package browser

import (
	"strings"
	"testing"

	"github.com/appydex/smoke/schema"
)

// A secret is found as it is, URL-encoded or JSON-escaped; a one-time
// code only as a whole, never inside a longer run of characters; the
// finding names the place and the kind, never the secret.
func TestSecretsAreFoundWhereverTheyAreWrittenAndNeverShown(t *testing.T) {
	o := SignInOptions{Password: `pa ss"w/rd!`, OTP: "123456"}
	tokens := []issued{{url: "http://api.test/api/v1/auth/login", access: "acc.ess.token", refresh: "ref.resh.token"}}
	for _, c := range []struct {
		name  string
		urls  []string
		said  []string
		store storage
		want  map[string]schema.Severity // rule → severity
	}{
		{name: "a password URL-encoded in a query", urls: []string{"http://panel.test/dashboard?pw=pa+ss%22w%2Frd%21"},
			want: map[string]schema.Severity{"secret.password": schema.Error}},
		{name: "an access token in a fragment", urls: []string{"http://panel.test/#/home?t=acc.ess.token"},
			want: map[string]schema.Severity{"secret.access-token-url": schema.Error}},
		{name: "a code as a whole", urls: []string{"http://panel.test/verify/123456"},
			want: map[string]schema.Severity{"secret.one-time-code-url": schema.Warning}},
		{name: "a code's digits inside a longer run are not it", urls: []string{"http://panel.test/a?color=%231234567&id=91234560"},
			said: []string{"request 0123456789 done"}},
		{name: "a password JSON-escaped in the console", said: []string{`{"password":"pa ss\"w/rd!"}`},
			want: map[string]schema.Severity{"secret.password": schema.Error}},
		{name: "a refresh token in IndexedDB and a script-readable cookie", store: storage{
			IndexedDB: []string{`auth/tokens=[{"refresh":"ref.resh.token"}]`}, Cookies: "theme=dark; rt=ref.resh.token"},
			want: map[string]schema.Severity{"secret.refresh-token": schema.Error}},
		{name: "a refresh token in sessionStorage", store: storage{Session: []string{"rt=ref.resh.token"}},
			want: map[string]schema.Severity{"secret.refresh-token-session-storage": schema.Warning}},
		{name: "a code in localStorage", store: storage{Local: []string{"last_code=123456"}},
			want: map[string]schema.Severity{"secret.one-time-code": schema.Notice}},
	} {
		t.Run(c.name, func(t *testing.T) {
			ps := secretProblems(o, c.urls, c.said, tokens, c.store)
			got := map[string]schema.Severity{}
			for _, p := range ps {
				got[p.Rule] = p.Severity
				for _, secret := range []string{o.Password, "pa+ss", o.OTP, "acc.ess.token", "ref.resh.token"} {
					if strings.Contains(p.What, secret) {
						t.Errorf("the finding shows a secret: %s", p.What)
					}
				}
			}
			if len(got) != len(c.want) {
				t.Fatalf("rules %v, want %v (%v)", got, c.want, ps)
			}
			for rule, sev := range c.want {
				if got[rule] != sev {
					t.Errorf("rule %s: %q, want %q (%v)", rule, got[rule], sev, ps)
				}
			}
		})
	}
}
