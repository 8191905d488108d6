//go:build !unix

package cputime

import "time"

// Self returns 0 outside Unix: getrusage is a Unix call, and the benchmarks
// that report CPU are run on Linux. It lets their packages still build (and
// be vetted) for other systems.
func Self() time.Duration { return 0 }
