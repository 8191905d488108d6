package badger

import (
	"strings"
	"sync"
)

// knownCap bounds knownAccounts: about 13 MB of ids. An account past it
// is checked with a read of its key, as before the set.
const knownCap = 1 << 18

// knownAccounts holds ids of accounts the store is known to hold, so that
// a usage or signal event's "does the account exist" check (planActivity,
// HasAccount) needs no read. The read was a point Get of the account's
// key, which for a book that has long since left the memtables is a walk
// of every level's bloom filter and a block read from the deepest: 13% of
// serve's CPU under the ingest load of issue 16.
//
// It only ever says "stored" for an id that a committed write or a
// snapshot read showed stored. Accounts are never deleted, except by an
// Apply's journal rolling back (rollback), which forgets the whole set
// and moves to a new generation; an id read from a snapshot taken before
// that is added only if the generation it was read in is still current.
// A restore replaces the store, and with it the DB and its set.
type knownAccounts struct {
	mu  sync.RWMutex
	gen uint64
	ids map[string]struct{}
}

// has reports whether id is known to be stored.
func (k *knownAccounts) has(id string) bool {
	k.mu.RLock()
	defer k.mu.RUnlock()
	_, ok := k.ids[id]
	return ok
}

// generation is what a reader passes to add for ids it then reads.
func (k *knownAccounts) generation() uint64 {
	k.mu.RLock()
	defer k.mu.RUnlock()
	return k.gen
}

// add records ids as stored, unless the set was forgotten since gen.
func (k *knownAccounts) add(gen uint64, ids ...string) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if gen != k.gen {
		return
	}
	if k.ids == nil {
		k.ids = make(map[string]struct{}, len(ids))
	}
	for _, id := range ids {
		if len(k.ids) >= knownCap {
			return
		}
		if _, ok := k.ids[id]; !ok {
			// The caller's string may share memory with a request body.
			k.ids[strings.Clone(id)] = struct{}{}
		}
	}
}

// forget drops every id, for a rollback that may delete accounts.
func (k *knownAccounts) forget() {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.gen++
	k.ids = nil
}
