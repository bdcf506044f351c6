package live_test

import (
	"testing"

	"github.com/appydex/smoke/harness/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }
