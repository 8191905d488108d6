package main

import (
	"context"
	"testing"
	"time"

	"github.com/accountbot/accountbot/connector/connectortest"
)

// serve's soft limit is its memory budget less the store's mappings outside
// the Go heap, and stays well above the Go memory the 100K book's store
// holds at rest (~110 MB: memtables, caches, pooled table builders), so
// that the GC is paced by garbage, not by memory it cannot free.
func TestServeMemoryLimitIsTheBudgetLessMappedTables(t *testing.T) {
	if got, want := defaultMemoryLimit, memoryBudget-mappedAllowance; got != want {
		t.Errorf("defaultMemoryLimit = %d MB; want the budget less the mapped tables, %d MB", got>>20, want>>20)
	}
	if memoryBudget > 300<<20 {
		t.Errorf("memory budget %d MB; issue 16 allows 300 MB", memoryBudget>>20)
	}
	if defaultMemoryLimit < 2*110<<20 {
		t.Errorf("defaultMemoryLimit = %d MB: under twice the store's resting heap, the GC would run on the limit", defaultMemoryLimit>>20)
	}
}

// The connectors' benchmarks run a sync as `accountbot sync` does
// (connectortest.AsSyncCommand): the same soft limit and page release.
func TestSyncBenchmarksRunAsSyncDoes(t *testing.T) {
	if connectortest.SyncMemoryLimit != defaultMemoryLimit || connectortest.ReleaseEvery != releaseMappedEvery ||
		connectortest.MappedAllowance != mappedAllowance {
		t.Errorf("connectortest runs syncs with limit %d MB, release every %s over %d MB; sync runs with %d MB, %s, %d MB",
			connectortest.SyncMemoryLimit>>20, connectortest.ReleaseEvery, connectortest.MappedAllowance>>20,
			defaultMemoryLimit>>20, releaseMappedEvery, mappedAllowance>>20)
	}
}

// fakeReleaser records the release it was asked to start.
type fakeReleaser struct {
	interval time.Duration
	limit    int64
	stopped  bool
}

func (f *fakeReleaser) StartReleaseMapped(ctx context.Context, interval time.Duration, limit int64) func() {
	f.interval, f.limit = interval, limit
	return func() { f.stopped = true }
}

// A sync gives the store's mapped pages back while it runs, with serve's
// interval and allowance, until stop (storage/badger's StartReleaseMapped,
// whose stop waits for the release to end); a store without mapped tables
// gets a stop that does nothing.
func TestReleaseMappedRunsUntilStop(t *testing.T) {
	f := &fakeReleaser{}
	stop := releaseMapped(context.Background(), f)
	if f.interval != releaseMappedEvery || f.limit != mappedAllowance {
		t.Errorf("release every %s over %d bytes; want %s, %d", f.interval, f.limit, releaseMappedEvery, mappedAllowance)
	}
	if f.stopped {
		t.Fatal("the release stopped before stop")
	}
	stop()
	if !f.stopped {
		t.Fatal("stop did not stop the store's release")
	}
	releaseMapped(context.Background(), struct{}{})() // no release, no hang
}
