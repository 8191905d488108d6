package table

import (
	"os"

	"golang.org/x/sys/unix"
)

// fdatasync syncs f's data and size, not its times (AccountBot's change,
// see write.go).
func fdatasync(f *os.File) error { return unix.Fdatasync(int(f.Fd())) }
