package connectortest

import (
	"context"
	"runtime/debug"
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
// pages (storage/badger's RunReleaseMapped).
type MappedReleaser interface {
	RunReleaseMapped(ctx context.Context, interval time.Duration, limit int64)
}

// AsSyncCommand runs the rest of tb as `accountbot sync` runs: under its
// soft memory limit, with db's mapped table pages given back (nil: a
// store without). Both end with tb.
func AsSyncCommand(tb testing.TB, db MappedReleaser) {
	prev := debug.SetMemoryLimit(SyncMemoryLimit)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		if db != nil {
			db.RunReleaseMapped(ctx, ReleaseEvery, MappedAllowance)
		}
	}()
	tb.Cleanup(func() {
		cancel()
		<-done
		debug.SetMemoryLimit(prev)
	})
}
