//go:build !linux

package table

import "os"

// fdatasync is f.Sync outside Linux (AccountBot's change, see write.go).
func fdatasync(f *os.File) error { return f.Sync() }
