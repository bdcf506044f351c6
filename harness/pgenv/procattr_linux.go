package pgenv

import "syscall"

// serverProcAttr runs the postmaster in its own process group (a Ctrl-C at the
// terminal reaches us, and we stop it in order) and asks the kernel to stop
// it if this process dies without doing so: no orphaned servers.
func serverProcAttr(cred *syscall.Credential) *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Credential: cred, Setpgid: true, Pdeathsig: syscall.SIGINT}
}
