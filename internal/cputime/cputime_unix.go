//go:build unix

package cputime

import (
	"syscall"
	"time"
)

// Self is the process's user+system CPU time so far, all threads included
// (garbage collection and background compactions too); 0 if it cannot be
// read.
func Self() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
