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

// RunReleaseMapped gives the table pages back every interval until ctx ends
// (ReleaseMapped).
func (s *DB) RunReleaseMapped(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if _, err := s.ReleaseMapped(); err != nil {
				s.log.Warn("releasing mapped table pages", "err", err)
			}
		}
	}
}
