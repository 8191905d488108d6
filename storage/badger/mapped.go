package badger

import (
	"context"
	"time"
)

// Badger reads its tables through memory maps, and a compaction writes each
// new table through one, so every table the process has written or read
// stays mapped, and counted in its resident set, until the kernel needs the
// memory: after the start-up check and a compaction of the 100K book that
// was most of the database (~240 MB of serve's RSS, all of it clean page
// cache). With Snappy, every block read copies out of the mapping (into the
// block cache), so giving the pages back costs only a minor fault on the
// next read: the page cache keeps them.

// releaseEvery is how many accounts a whole-book scan reads between
// releases of the table pages it mapped (at 100K accounts, ~1.7 MB of
// tables per 1,000 accounts).
const releaseEvery = 8192

// RunReleaseMapped gives the table pages back every interval until ctx
// ends (ReleaseMapped), and at once, within a fiftieth of it, when the
// process's mapped file pages (its binary's included) have grown past
// limit. Badger writes a table through a mapping, so each new one is
// resident in full; a compaction reads its input tables through theirs;
// tables are not compressed (db.go), so reads map their pages too. Under
// the bench's bulk ingest that is a hundred MB or more within a tenth of
// a second. Looking costs far less than a release (reading
// /proc/self/statm: a few µs), and a page given back costs a minor fault
// when it is read again (the page cache keeps it).
func (s *DB) RunReleaseMapped(ctx context.Context, interval time.Duration, limit int64) {
	t := time.NewTicker(interval / 50)
	defer t.Stop()
	var last releaseState
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			if !last.due(now, mappedResident(), limit, interval) {
				continue
			}
			if _, err := s.ReleaseMapped(); err != nil {
				s.log.Warn("releasing mapped table pages", "err", err)
			}
			last = releaseState{at: now}
		}
	}
}

// releaseState is when the last release was.
type releaseState struct {
	at time.Time
}

// due reports whether a release is due at now, with resident bytes of
// mapped pages: over limit, or interval has passed since the last one.
func (r releaseState) due(now time.Time, resident, limit int64, interval time.Duration) bool {
	return resident > limit || now.Sub(r.at) >= interval
}

