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
	// Space is the kernel and PID namespace the PID means something in:
	// the kernel's boot id and the namespace's inode ("" where the OS does
	// not tell). Processes in containers that share a Docker daemon and a
	// host name may each have a PID 1: a PID is only judged in its own
	// space.
	Space string
}

// Current is this process.
func Current() Owner {
	host, _ := os.Hostname()
	return Owner{Host: host, PID: os.Getpid(), Start: processStart(os.Getpid()), Space: space()}
}

// space is this process's kernel boot id and PID namespace, e.g.
// dc05589d-2765-4647-8270-bbcb100adc13:4026531836.
func space() string {
	boot, err := os.ReadFile("/proc/sys/kernel/random/boot_id")
	if err != nil {
		return ""
	}
	ns, err := os.Readlink("/proc/self/ns/pid") // pid:[4026531836]
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(boot)) + ":" + strings.TrimSuffix(strings.TrimPrefix(ns, "pid:["), "]")
}

// String is the form Parse reads back: host/pid/start/space.
func (o Owner) String() string {
	return fmt.Sprintf("%s/%d/%s/%s", o.Host, o.PID, o.Start, o.Space)
}

// Parse reads what String wrote; false when s is not one.
func Parse(s string) (Owner, bool) {
	parts := strings.Split(s, "/")
	if len(parts) != 3 && len(parts) != 4 { // three: written before the space was
		return Owner{}, false
	}
	pid, err := strconv.Atoi(parts[1])
	if err != nil || pid <= 0 {
		return Owner{}, false
	}
	o := Owner{Host: parts[0], PID: pid, Start: parts[2]}
	if len(parts) == 4 {
		o.Space = parts[3]
	}
	return o, true
}

// Gone reports whether the process is known to have exited. A process on
// another host, or in another PID namespace or kernel (a CI job in a
// container of its own, sharing the Docker daemon and the host name), is
// never known to be gone: its PID means nothing here, and its leftovers
// are its own to remove.
func (o Owner) Gone() bool {
	if host, _ := os.Hostname(); o.Host != host {
		return false
	}
	if o.Space != space() {
		// An owner written before the space was (""), by a process of
		// this host, is judged by its PID as it always was.
		if o.Space != "" {
			return false
		}
	}
	if err := syscall.Kill(o.PID, 0); err == syscall.ESRCH {
		return true
	}
	// A process runs with that PID: another one only when its start time
	// is known and differs. One whose start cannot be read (/proc hidden,
	// another user's) is taken for the owner.
	start := processStart(o.PID)
	return o.Start != "" && start != "" && start != o.Start
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
