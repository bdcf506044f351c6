package owner_test

import (
	"bufio"
	"os"
	"os/exec"
	"strings"
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
	for _, s := range []string{"", "host/1", "host/x/1", "host/0/1", "a/b/c/d/e"} {
		_, ok := owner.Parse(s)
		assert.False(t, ok, "Parse(%q)", s)
	}
}

// Containers that share a Docker daemon and a host name but not a PID
// namespace (CI jobs on one machine) each have their own PID 1: a process
// of another namespace is never judged gone by a PID that means nothing
// here, so neighbours never sweep each other's work.
func TestAProcessOfAnotherPIDNamespaceIsNeverJudgedGone(t *testing.T) {
	me := owner.Current()
	if me.Space == "" {
		t.Skip("this OS does not tell a process's PID namespace")
	}
	foreign := me
	foreign.PID, foreign.Start = 999999, "1" // no such process in this namespace
	foreign.Space = me.Space + "0"
	assert.False(t, foreign.Gone(), "a PID of another namespace says nothing here")
	local := foreign
	local.Space = me.Space
	assert.True(t, local.Gone(), "the same PID in this namespace is known to be gone")

	// A real neighbour: this test's binary in a PID namespace of its own,
	// where it is PID 1, reports its owner and stays alive until told.
	cmd := exec.Command("unshare", "--pid", "--fork", "--mount-proc", os.Args[0], "-test.run=^TestChildReportsItsOwner$")
	cmd.Env = append(os.Environ(), "OWNER_CHILD=1")
	stdin, err := cmd.StdinPipe()
	require.NoError(t, err)
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	if err := cmd.Start(); err != nil {
		t.Skipf("unshare: %v", err)
	}
	defer func() { stdin.Close(); cmd.Wait() }()
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Skipf("no PID namespace of its own here (unshare needs privileges): %v", err)
	}
	neighbour, ok := owner.Parse(strings.TrimSpace(strings.TrimPrefix(line, "OWNER ")))
	require.True(t, ok, "the child said %q", line)
	assert.Equal(t, 1, neighbour.PID, "the neighbour is PID 1 of its namespace")
	assert.NotEqual(t, me.Space, neighbour.Space)
	assert.False(t, neighbour.Gone(), "a live neighbour in another namespace is not gone")
}

// TestChildReportsItsOwner is the child of the test above.
func TestChildReportsItsOwner(t *testing.T) {
	if os.Getenv("OWNER_CHILD") != "1" {
		t.Skip("runs only as the child of TestAProcessOfAnotherPIDNamespaceIsNeverJudgedGone")
	}
	os.Stdout.WriteString("OWNER " + owner.Current().String() + "\n")
	bufio.NewReader(os.Stdin).ReadString('\n')
}
