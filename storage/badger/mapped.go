package badger

import (
	"context"
	"time"
)

// Badger as published reads its tables through memory maps, and a
// compaction writes each new table through one, so every table the process
// has written or read stays mapped, and counted in its resident set, until
// the kernel needs the memory. The Badger AccountBot builds
// (third_party/badger) reads tables with pread and writes new ones with
// write and fdatasync, never through the mapping, so its tables no longer
// fill the resident set
// (TestTableReadsAndWritesStayOutOfTheResidentSet). The release below
// stays as a guard, for pages of tables mapped by any path the patch does
// not cover; under the ingest bench it now costs ~1% of serve's CPU
// (against ~8% before the patch, with the page faults that followed).

// releaseEvery is how many accounts a whole-book scan reads between
// releases of the table pages it mapped (at 100K accounts, ~1.7 MB of
// tables per 1,000 accounts).
const releaseEvery = 8192

// runReleaseMapped gives the table pages back every interval until ctx
// ends (ReleaseMapped), and sooner, within a tenth of it, once a flush or
// a compaction has written new tables or the process's mapped pages have
// grown past limit. Badger as published writes a table through a mapping,
// so each new one was resident in full, and under ingest the compactions
// write tens of MB a second; tables are not compressed (db.go), so its
// reads mapped their pages too, and the evaluator and the writes of a bulk
// load touched the whole book within seconds (424 MB of mapped pages at
// serve's RSS peak in the bench with a release a second). With the
// patched Badger neither maps pages, and this runs as the guard above. Looking costs far less than a release
// (reading /proc/self/statm, the table list: a few µs), and a page given
// back costs a minor fault when it is read again (the page cache keeps it).
func (s *DB) runReleaseMapped(ctx context.Context, interval time.Duration, limit int64) {
	t := time.NewTicker(interval / 10)
	defer t.Stop()
	var last releaseState
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			newest := s.newestTable()
			if !last.due(now, newest, interval) && mappedResident() <= limit {
				continue
			}
			if _, err := s.ReleaseMapped(); err != nil {
				s.log.Warn("releasing mapped table pages", "err", err)
			}
			last = releaseState{at: now, newest: newest}
		}
	}
}

// StartReleaseMapped runs runReleaseMapped in the background until the
// returned stop, which waits for it to end (serve for its life, a sync for
// its run, the connectors' benchmarks as a sync).
func (s *DB) StartReleaseMapped(ctx context.Context, interval time.Duration, limit int64) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.runReleaseMapped(ctx, interval, limit)
	}()
	return func() {
		cancel()
		<-done
	}
}

// releaseState is when the last release was and the newest table then.
type releaseState struct {
	at     time.Time
	newest uint64
}

// due reports whether a release is due at now: interval has passed since
// the last one, or a table newer than any it saw has been written (table
// ids only grow).
func (r releaseState) due(now time.Time, newest uint64, interval time.Duration) bool {
	return newest > r.newest || now.Sub(r.at) >= interval
}

// newestTable is the highest id of the store's tables (0 with none).
func (s *DB) newestTable() uint64 {
	var id uint64
	for _, t := range s.db.Tables() {
		id = max(id, t.ID)
	}
	return id
}
