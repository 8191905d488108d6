package badger

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/accountbot/accountbot/domain"
)

// Every caller's write is covered by a flush that began after it, and
// callers arriving together share flushes.
func TestGroupSyncCoversEveryCallerWithFewerFlushes(t *testing.T) {
	var written, durable, flushes atomic.Int64
	g := &groupSync{fsync: func() error {
		flushes.Add(1)
		upTo := written.Load() // what this flush puts on disk
		time.Sleep(5 * time.Millisecond)
		for {
			d := durable.Load()
			if upTo <= d || durable.CompareAndSwap(d, upTo) {
				return nil
			}
		}
	}}
	const callers = 32
	var wg sync.WaitGroup
	for range callers {
		wg.Go(func() {
			mine := written.Add(1)
			if err := g.do(); err != nil {
				t.Error(err)
			}
			if d := durable.Load(); d < mine {
				t.Errorf("returned with write %d not flushed (durable up to %d)", mine, d)
			}
		})
	}
	wg.Wait()
	if n := flushes.Load(); n >= callers {
		t.Errorf("%d flushes for %d concurrent callers, want them shared", n, callers)
	}
}

func TestGroupSyncReportsTheFlushError(t *testing.T) {
	boom := errors.New("disk full")
	g := &groupSync{fsync: func() error { return boom }}
	if err := g.do(); !errors.Is(err, boom) {
		t.Errorf("do = %v, want %v", err, boom)
	}
	g.fsync = func() error { return nil }
	if err := g.do(); err != nil {
		t.Errorf("after the disk recovered: %v", err)
	}
}

// Concurrent Applies (ingest clients posting at once) share the flush
// instead of each waiting for the others' in turn under the apply lock.
func TestConcurrentAppliesShareTheFlush(t *testing.T) {
	db, _ := openTemp(t)
	withAccount(t, db, "acme", "ana@example.com")
	var flushes atomic.Int64
	real := db.sync.fsync
	db.sync.fsync = func() error { flushes.Add(1); time.Sleep(20 * time.Millisecond); return real() }
	const n = 8
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			p := domain.Patch{ID: "acme", Usage: []domain.Snapshot{{Date: day.AddDays(-i), Usage: int64(i + 1)}}}
			if _, err := db.Apply(context.Background(), []domain.Patch{p}); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if f := flushes.Load(); f >= n {
		t.Errorf("%d flushes for %d concurrent applies, want them shared", f, n)
	}
	if a, err := db.Account(context.Background(), "acme"); err != nil || len(a.Usage) != n {
		t.Fatalf("acme has %d snapshots, %v", len(a.Usage), err)
	}
}
