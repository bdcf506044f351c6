package pgenv

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// owner identifies the process that started a container or a cluster, so a
// later run can tell leftovers of a dead process (to sweep) from the live
// work of a concurrent one (go test ./... runs packages in parallel).
type owner struct {
	Host  string
	PID   int
	Start string // the process's start time, where the OS tells it: guards against PID reuse
}

func currentOwner() owner {
	host, _ := os.Hostname()
	return owner{Host: host, PID: os.Getpid(), Start: processStart(os.Getpid())}
}

func (o owner) String() string { return fmt.Sprintf("%s/%d/%s", o.Host, o.PID, o.Start) }

func parseOwner(s string) (owner, bool) {
	parts := strings.Split(s, "/")
	if len(parts) != 3 {
		return owner{}, false
	}
	pid, err := strconv.Atoi(parts[1])
	if err != nil || pid <= 0 {
		return owner{}, false
	}
	return owner{Host: parts[0], PID: pid, Start: parts[2]}, true
}

// gone reports whether o is known to have exited. A process on another host
// is never known to be gone: its leftovers are its own to remove.
func (o owner) gone() bool {
	if host, _ := os.Hostname(); o.Host != host {
		return false
	}
	if err := syscall.Kill(o.PID, 0); err == syscall.ESRCH {
		return true
	}
	return o.Start != "" && processStart(o.PID) != o.Start
}

// processStart returns the start time of process pid in clock ticks since
// boot (field 22 of /proc/<pid>/stat), or "" where /proc does not tell.
func processStart(pid int) string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return ""
	}
	// The command name (field 2) is in parentheses and may hold spaces.
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return ""
	}
	fields := strings.Fields(s[i+1:])
	const startField = 22 - 3 // fields after ")" begin at field 3
	if len(fields) <= startField {
		return ""
	}
	return fields[startField]
}
