package connectortest

import (
	"context"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"
	"time"
)

// How `accountbot sync` runs a sync (cmd/accountbot: defaultMemoryLimit,
// releaseMappedEvery, mappedAllowance; a test there holds these equal), so
// that the connectors' benchmarks measure a sync as it runs.
const (
	SyncMemoryLimit = 236 << 20   // the soft Go memory limit, unless GOMEMLIMIT is set
	ReleaseEvery    = time.Second // mapped table pages given back at least this often…
	MappedAllowance = 64 << 20    // …and sooner once they pass this
)

// MappedReleaser is the embedded store's release of its mapped table
// pages (storage/badger's StartReleaseMapped).
type MappedReleaser interface {
	StartReleaseMapped(ctx context.Context, interval time.Duration, limit int64) (stop func())
}

// AsSyncCommand runs the rest of tb as `accountbot sync` runs: under its
// soft memory limit, with db's mapped table pages given back (nil: a
// store without). Both end with tb.
func AsSyncCommand(tb testing.TB, db MappedReleaser) {
	prev := debug.SetMemoryLimit(SyncMemoryLimit)
	stop := func() {}
	if db != nil {
		stop = db.StartReleaseMapped(context.Background(), ReleaseEvery, MappedAllowance)
	}
	tb.Cleanup(func() {
		stop()
		debug.SetMemoryLimit(prev)
	})
}

// PeakRSSMB is this process's resident high-water mark (VmHWM) in MB, the
// memory figure of the connectors' sync benchmarks; 0 where
// /proc/self/status cannot be read.
func PeakRSSMB() float64 {
	b, _ := os.ReadFile("/proc/self/status")
	for _, l := range strings.Split(string(b), "\n") {
		if f := strings.Fields(l); len(f) >= 2 && f[0] == "VmHWM:" {
			kb, _ := strconv.Atoi(f[1])
			return float64(kb) / 1024
		}
	}
	return 0
}
