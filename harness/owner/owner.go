// Package owner names the process that started something — a container, a
// network, a local PostgreSQL cluster — so that a later run can tell what a
// dead process left behind (and remove it) from the live work of a
// concurrent one: go test ./... runs its packages as parallel processes.
package owner

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// Owner is a process: its host, its id, and its start time, which guards
// against a later process that reuses the id.
type Owner struct {
	Host  string
	PID   int
	Start string // clock ticks since boot, where the OS tells it; "" elsewhere
}

// Current is this process.
func Current() Owner {
	host, _ := os.Hostname()
	return Owner{Host: host, PID: os.Getpid(), Start: processStart(os.Getpid())}
}

// String is the form Parse reads back: host/pid/start.
func (o Owner) String() string { return fmt.Sprintf("%s/%d/%s", o.Host, o.PID, o.Start) }

// Parse reads what String wrote; false when s is not one.
func Parse(s string) (Owner, bool) {
	parts := strings.Split(s, "/")
	if len(parts) != 3 {
		return Owner{}, false
	}
	pid, err := strconv.Atoi(parts[1])
	if err != nil || pid <= 0 {
		return Owner{}, false
	}
	return Owner{Host: parts[0], PID: pid, Start: parts[2]}, true
}

// Gone reports whether the process is known to have exited. A process on
// another host is never known to be gone: its leftovers are its own to remove.
func (o Owner) Gone() bool {
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
