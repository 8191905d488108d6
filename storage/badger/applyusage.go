package badger

import (
	"errors"
	"fmt"

	"github.com/dgraph-io/badger/v4"

	"github.com/accountbot/accountbot/domain"
)

// usageReader reads an account's stored usage for an Apply with one seek
// of an iterator instead of a Get per date in the patch: a year of weekly
// usage is 52 Gets, nearly all of them misses that look through every
// memtable and level, and they were 40% of an import's planning.
//
// It reads a snapshot taken at the Apply's first lookup, not the Apply's
// transaction, and that is exact only because nothing else can change an
// account's usage meanwhile: every writer of usage keys (Apply, ApplyOnce,
// ApplySegment) holds applyMu while it writes, and an account the Apply
// has already read (and so may have written) is read in its transaction
// as before. A Get in the transaction also made its commit fail when
// another writer changed the key meanwhile; an iterator records no read of
// a key it did not find, so without the lock a Segment event committed
// during the Apply could be overwritten unseen, or lost to a rollback that
// restores what the snapshot saw.
type usageReader struct {
	db   *badger.DB
	read *badger.Txn // opened on the first lookup
	it   *badger.Iterator
	done map[string]bool // accounts this Apply has read (and so may have written)
}

func newUsageReader(db *badger.DB) *usageReader {
	return &usageReader{db: db, done: map[string]bool{}}
}

// close ends the snapshot; a nil usageReader is fine.
func (r *usageReader) close() {
	if r != nil && r.read != nil {
		r.it.Close()
		r.read.Discard()
		r.read = nil
	}
}

// seekFrom is how many dates a patch needs before its account's usage is
// read with a seek: reading every stored date of an account (a year of
// weekly rows) costs more than a few Gets, which Badger's bloom filters
// answer without reading a table when the date is new, and an ingested
// event carries one date.
const seekFrom = 8

// usage returns account id's stored usage values by date, ok false when
// the caller must read them in its transaction instead (no reader, an
// account read before in this Apply, or a patch of fewer than seekFrom
// dates).
func (r *usageReader) usage(id string, dates int) (map[domain.Date][]byte, bool, error) {
	if r == nil || r.done[id] {
		return nil, false, nil
	}
	r.done[id] = true // read now, either way: later patches of id read in the transaction
	if dates < seekFrom {
		return nil, false, nil
	}
	if r.read == nil {
		r.read = r.db.NewTransaction(false)
		r.it = r.read.NewIterator(badger.IteratorOptions{Prefix: prefixUsage})
	}
	p := accountPrefix(prefixUsage, id)
	var out map[domain.Date][]byte
	for r.it.Seek(p); r.it.ValidForPrefix(p); r.it.Next() {
		k := r.it.Item().Key()
		if len(k) != len(p)+4 {
			continue // not a usage key of id's (keys.go: date bytes after the prefix)
		}
		v, err := r.it.Item().ValueCopy(nil)
		if err != nil {
			return nil, false, err
		}
		if out == nil {
			out = map[domain.Date][]byte{}
		}
		out[dateFrom(k[len(p):])] = v
	}
	return out, true, nil
}

// readActivity reads the stored usage on p's dates (also as stored, for
// the journal) and which of p's signals are stored.
func readActivity(txn *badger.Txn, ur *usageReader, p *domain.Patch) (domain.Stored, map[domain.Date][]byte, error) {
	var cur domain.Stored
	if len(p.Usage) > 0 {
		if stored, ok, err := ur.usage(p.ID, len(p.Usage)); err != nil {
			return cur, nil, fmt.Errorf("reading usage of %s: %w", p.ID, err)
		} else if ok {
			prevUsage := map[domain.Date][]byte{}
			for _, u := range p.Usage {
				if v, ok := stored[u.Date]; ok {
					prevUsage[u.Date] = v
				}
			}
			return readSignals(txn, p, cur, prevUsage)
		}
	}
	prevUsage := make(map[domain.Date][]byte, len(p.Usage))
	for _, u := range p.Usage {
		v, err := getValue(txn, usageKey(p.ID, u.Date))
		if errors.Is(err, badger.ErrKeyNotFound) {
			continue
		} else if err != nil {
			return cur, nil, fmt.Errorf("reading usage of %s: %w", p.ID, err)
		}
		prevUsage[u.Date] = v
	}
	return readSignals(txn, p, cur, prevUsage)
}

// readSignals completes readActivity: the stored usage decoded, and which
// of p's signals are stored.
func readSignals(txn *badger.Txn, p *domain.Patch, cur domain.Stored, prevUsage map[domain.Date][]byte) (domain.Stored, map[domain.Date][]byte, error) {
	for _, u := range p.Usage {
		if v, ok := prevUsage[u.Date]; ok {
			if sn, ok := decodeSnapshot(u.Date, v); ok {
				cur.Usage = append(cur.Usage, sn)
			}
		}
	}
	for _, sg := range p.Signals {
		if _, err := txn.Get(signalKey(p.ID, sg)); err == nil {
			cur.Signals = append(cur.Signals, sg)
		} else if !errors.Is(err, badger.ErrKeyNotFound) {
			return cur, nil, fmt.Errorf("reading signals of %s: %w", p.ID, err)
		}
	}
	return cur, prevUsage, nil
}

// activityOps returns the usage and signal writes of a merge.
func activityOps(id string, m domain.Merged, prevUsage map[domain.Date][]byte) []op {
	var ops []op
	for _, u := range m.Usage {
		prev, had := prevUsage[u.Date]
		ops = append(ops, op{key: usageKey(id, u.Date), val: encodeSnapshot(u), known: true, had: had, prev: prev})
	}
	for _, sg := range m.Signals {
		ops = append(ops, op{key: signalKey(id, sg), val: mustJSON(signalValue{Kind: sg.Kind, Note: sg.Note}), known: true})
	}
	return ops
}

type signalValue struct {
	Kind domain.SignalKind `json:"kind"`
	Note string            `json:"note,omitempty"`
}
