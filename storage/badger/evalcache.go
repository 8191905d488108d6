package badger

import (
	"slices"
	"sync"

	lru "github.com/hashicorp/golang-lru/v2"

	"github.com/accountbot/accountbot/domain"
)

// evalCacheSize is how many decoded evaluations are kept: every owner's
// first page of `portfolio top` (400 owners × 5 at 100K accounts) and
// the whole book's, with room to spare, in about 4 MB.
const evalCacheSize = 4096

// evalCache keeps decoded evaluation records by id with the Badger
// version they were decoded from. A read still gets the record's item
// (its version is the commit that wrote it), and decodes only when the
// version differs: decoding the JSON was over half of reading a card,
// and `portfolio top` reads the same few cards again and again. A
// version is a commit timestamp, never reused for a key within one
// store, so a hit is the stored record; nothing needs invalidating.
//
// It is a 2Q cache: the evaluator reads each changed account's previous
// record once, and those one-off reads stay in the recent queue without
// pushing out the cards that are read repeatedly.
type evalCache struct {
	once sync.Once
	c    *lru.TwoQueueCache[string, cachedEval]
}

type cachedEval struct {
	version uint64
	rec     domain.EvalRecord
}

func (c *evalCache) cache() *lru.TwoQueueCache[string, cachedEval] {
	c.once.Do(func() {
		var err error
		if c.c, err = lru.New2Q[string, cachedEval](evalCacheSize); err != nil {
			panic(err) // only for a size ≤ 0
		}
	})
	return c.c
}

// get returns the record decoded from version, if it is kept. The
// record's slices are the caller's own.
func (c *evalCache) get(id string, version uint64) (domain.EvalRecord, bool) {
	ce, ok := c.cache().Get(id)
	if !ok || ce.version != version {
		return domain.EvalRecord{}, false
	}
	r := ce.rec
	r.Triggers, r.Alerts = slices.Clone(r.Triggers), slices.Clone(r.Alerts)
	return r, true
}

// put keeps r as decoded from version (r must not be changed afterwards).
func (c *evalCache) put(id string, version uint64, r domain.EvalRecord) {
	r.Triggers, r.Alerts = slices.Clone(r.Triggers), slices.Clone(r.Alerts)
	c.cache().Add(id, cachedEval{version: version, rec: r})
}
