//go:build !linux

package pgenv

import "syscall"

// serverProcAttr runs the postmaster in its own process group. Outside Linux
// there is no parent-death signal: a server whose test process was killed is
// stopped by the next run's sweep.
func serverProcAttr(cred *syscall.Credential) *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Credential: cred, Setpgid: true}
}
