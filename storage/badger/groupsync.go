package badger

import (
	"sync"
	"sync/atomic"
)

// groupSync shares one disk flush among concurrent callers: a caller is
// done when a flush that began after it called has finished, so writes it
// committed before calling are on disk. Callers that arrive while a flush
// runs wait for it and then run one more together, instead of one each
// (an fsync costs milliseconds; ingest clients post at the same time).
type groupSync struct {
	fsync func() error

	mu      sync.Mutex    // held while a flush runs
	begun   atomic.Uint64 // flushes started
	done    uint64        // the last finished flush (guarded by mu)
	lastErr error         // its result (guarded by mu)
}

func (g *groupSync) do() error {
	arrived := g.begun.Load() // flushes up to this one may have begun before our writes
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.done > arrived {
		return g.lastErr // a flush that began after we arrived has finished
	}
	n := g.begun.Add(1)
	g.lastErr = g.fsync()
	g.done = n
	return g.lastErr
}
