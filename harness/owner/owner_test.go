package owner_test

import (
	"os"
	"os/exec"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/appydex/smoke/harness/owner"
)

func TestThisProcessIsNotGoneAndAnExitedOneIs(t *testing.T) {
	me := owner.Current()
	assert.False(t, me.Gone(), "this process runs")
	parsed, ok := owner.Parse(me.String())
	require.True(t, ok, "Parse(%q)", me.String())
	assert.Equal(t, me, parsed)

	cmd := exec.Command("true")
	require.NoError(t, cmd.Run())
	host, _ := os.Hostname()
	assert.True(t, owner.Owner{Host: host, PID: cmd.Process.Pid}.Gone(), "an exited process is gone")

	reused := me
	reused.Start = "1" // the same pid, started at another time: a process that reused the id
	if me.Start != "" {
		assert.True(t, reused.Gone(), "a reused pid does not make the owner live")
	}
	assert.False(t, owner.Owner{Host: "another-host", PID: 1}.Gone(), "a process of another host is never known to be gone")
}

func TestParseRefusesWhatStringDoesNotWrite(t *testing.T) {
	for _, s := range []string{"", "host/1", "host/x/1", "host/0/1", "a/b/c/d"} {
		_, ok := owner.Parse(s)
		assert.False(t, ok, "Parse(%q)", s)
	}
}
