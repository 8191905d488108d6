//go:build !linux

package control

import (
	"net"
	"os"
)

// peerUID trusts the owner-only directory where the platform offers no
// SO_PEERCRED.
func peerUID(*net.UnixConn) (int, error) { return os.Getuid(), nil }

func samePeer(*net.UnixConn) error { return nil }
