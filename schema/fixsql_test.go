package schema

import "testing"

func TestACredentialIsNamedByAWordOfItsName(t *testing.T) {
	for name, want := range map[string]bool{
		"password_hash": true, "token_hash": true, "totp_secret": true, "refreshToken": true, "api_key": true, "PasswordSalt": true,
		"tokens_count": false, "footprint": false, "hashtag": false, "sort_key": false, "email": false, "keyboard": false,
	} {
		if got := holdsCredentials(name); got != want {
			t.Errorf("holdsCredentials(%q) = %t; want %t", name, got, want)
		}
	}
}
