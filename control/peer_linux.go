package control

import (
	"fmt"
	"net"
	"os"
	"syscall"
)

// peerUID is the user id of the process at the other end of conn.
func peerUID(conn *net.UnixConn) (int, error) {
	raw, err := conn.SyscallConn()
	if err != nil {
		return 0, err
	}
	var cred *syscall.Ucred
	var cerr error
	if err := raw.Control(func(fd uintptr) {
		cred, cerr = syscall.GetsockoptUcred(int(fd), syscall.SOL_SOCKET, syscall.SO_PEERCRED)
	}); err != nil {
		return 0, err
	}
	if cerr != nil {
		return 0, cerr
	}
	return int(cred.Uid), nil
}

// samePeer refuses a server that runs as another user.
func samePeer(conn *net.UnixConn) error {
	uid, err := peerUID(conn)
	if err != nil {
		return fmt.Errorf("checking the control socket's server: %w", err)
	}
	if uid != os.Getuid() {
		return fmt.Errorf("refusing the control socket: its server runs as user %d, not as you", uid)
	}
	return nil
}
