package browser_test

import (
	"testing"

	"github.com/appydex/smoke/harness/browser/browsertest"
)

// The package's tests share one browser; each sign-in has a browser
// context of its own.
func TestMain(m *testing.M) { browsertest.Main(m) }
