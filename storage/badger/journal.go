package badger

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/dgraph-io/badger/v4"
)

// An Apply too big for one Badger transaction commits in several, so it
// keeps an undo journal in the store itself:
//
//	m/import                 → RFC 3339 start time: an Apply is in progress
//	m/undo/<seq:8 BE>        → what one account's writes replaced: 0, then for each key
//	                           uvarint shared | uvarint len | key suffix | 0 (absent) or
//	                           1 | uvarint len | old value
//
// where shared is how many leading bytes the key has in common with the
// entry's previous key (an account's keys share most of theirs: a year of
// usage is 52 keys that differ in their last bytes). Entries that older
// versions wrote have no leading 0 (a key is never empty) and no sharing:
// for each key, uvarint len | key | 0 or 1 | uvarint len | old value. Open
// reads both.
//
// The marker is written and synced before the first batch commits; each
// account's undo entry is written in the same transaction as its data.
// Deleting the marker is the commit point. Open rolls back an Apply whose
// marker it finds: newest entry first (so an account patched twice ends
// as it was before both), each entry's restores and its deletion in one
// transaction (redoing a half-committed one is harmless), the marker last.
// Entries a finished Apply could not clear are removed at the next Open.
var (
	keyImport  = []byte("m/import")
	prefixUndo = []byte("m/undo/")
)

// undoBatch bounds the journal entries read per rollback or cleanup step.
const undoBatch = 2000

// journal is one Apply's undo journal.
type journal struct {
	db   *DB
	open bool
	seq  uint64
	// afterCommit, for tests, is called after each of the Apply's commits
	// (n from 1) while the journal is open; an error stops the Apply there
	// as a crash would.
	afterCommit func(n int) error
	commits     int
}

// committed counts a commit of the Apply's data and gives tests their
// cut.
func (j *journal) committed() error {
	if !j.open || j.afterCommit == nil {
		return nil
	}
	j.commits++
	return j.afterCommit(j.commits)
}

// begin clears stale entries, then writes and syncs the marker.
func (j *journal) begin() error {
	if err := j.db.clearUndo(); err != nil {
		return err
	}
	if err := j.db.db.Update(func(txn *badger.Txn) error {
		return txn.Set(keyImport, []byte(time.Now().UTC().Format(time.RFC3339)))
	}); err != nil {
		return fmt.Errorf("starting the import journal: %w", err)
	}
	j.open = true
	return j.db.Sync()
}

// withUndo puts ahead of one account's ops the undo entry that reverses
// them, reading in txn what the ops' makers did not record.
func (j *journal) withUndo(txn *badger.Txn, ops []op) ([]op, error) {
	b := []byte{undoCompact}
	var last []byte
	for _, o := range ops {
		if !o.known {
			v, err := getValue(txn, o.key)
			if err != nil && !errors.Is(err, badger.ErrKeyNotFound) {
				return nil, fmt.Errorf("journaling %q: %w", o.key, err)
			}
			o.had, o.prev = err == nil, v
		}
		shared := sharedPrefix(last, o.key)
		b = binary.AppendUvarint(b, uint64(shared))
		b = binary.AppendUvarint(b, uint64(len(o.key)-shared))
		b = append(b, o.key[shared:]...)
		last = o.key
		if !o.had {
			b = append(b, 0)
			continue
		}
		b = append(b, 1)
		b = binary.AppendUvarint(b, uint64(len(o.prev)))
		b = append(b, o.prev...)
	}
	j.seq++
	// First, so that a batch cut anywhere inside the account's writes
	// commits the entry that undoes them.
	return append([]op{{key: binary.BigEndian.AppendUint64(join(prefixUndo), j.seq), val: b}}, ops...), nil
}

// undoCompact starts an undo entry whose keys share prefixes.
const undoCompact = 0

func sharedPrefix(a, b []byte) int {
	n := min(len(a), len(b))
	for i := range n {
		if a[i] != b[i] {
			return i
		}
	}
	return n
}

// decodeUndo calls fn for each key of an undo entry in order, with
// whether the key existed and its value then (nil when it did not), in
// either form (see the layout above). Keys and values are fn's to keep.
func decodeUndo(v []byte, fn func(k []byte, had bool, prev []byte) error) error {
	compact := len(v) > 0 && v[0] == undoCompact
	if compact {
		v = v[1:]
	}
	next := func() ([]byte, bool) { // a uvarint-prefixed run
		n, l := binary.Uvarint(v)
		if l <= 0 || uint64(len(v)-l) < n {
			return nil, false
		}
		out := v[l : l+int(n)]
		v = v[l+int(n):]
		return out, true
	}
	var last []byte
	for len(v) > 0 {
		shared := uint64(0)
		if compact {
			var l int
			if shared, l = binary.Uvarint(v); l <= 0 || shared > uint64(len(last)) {
				return errUndoDamaged
			}
			v = v[l:]
		}
		suffix, ok := next()
		if !ok || len(v) == 0 || v[0] > 1 {
			return errUndoDamaged
		}
		k := append(append(make([]byte, 0, int(shared)+len(suffix)), last[:shared]...), suffix...)
		last = k
		had := v[0] == 1
		v = v[1:]
		var prev []byte
		if had {
			if prev, ok = next(); !ok {
				return errUndoDamaged
			}
		}
		if err := fn(k, had, prev); err != nil {
			return err
		}
	}
	return nil
}

var errUndoDamaged = errors.New("damaged")

// commit makes the Apply final, then clears its entries.
func (j *journal) commit() error {
	if err := j.db.db.Update(func(txn *badger.Txn) error { return txn.Delete(keyImport) }); err != nil {
		return fmt.Errorf("finishing the import journal: %w", err)
	}
	j.open = false
	if err := j.db.Sync(); err != nil {
		return err
	}
	if err := j.db.clearUndo(); err != nil {
		j.db.log.Warn("clearing the import journal (the next start retries)", "err", err)
	}
	return nil
}

// recoverImport rolls back an Apply a crash interrupted, or clears the
// journal of one that finished.
func (s *DB) recoverImport(ctx context.Context) error {
	err := s.db.View(func(txn *badger.Txn) error {
		_, err := txn.Get(keyImport)
		return err
	})
	switch {
	case errors.Is(err, badger.ErrKeyNotFound):
		return s.clearUndo()
	case err != nil:
		return fmt.Errorf("reading the import marker: %w", err)
	}
	s.log.Warn("rolling back an import that did not finish (the process stopped during it)")
	return s.rollback()
}

// rollback undoes every journaled account, newest first, then removes the
// marker.
func (s *DB) rollback() error {
	defer s.known.forget() // it may delete accounts, seen meanwhile too
	err := s.eachUndo(true, func(txn *badger.Txn, uk, v []byte) error {
		err := decodeUndo(v, func(k []byte, had bool, prev []byte) error {
			if had {
				return txn.Set(k, prev)
			}
			return txn.Delete(k)
		})
		if errors.Is(err, errUndoDamaged) {
			return fmt.Errorf("undo entry %x is damaged", uk)
		} else if err != nil {
			return err
		}
		return txn.Delete(uk) // after the restores: a partial commit redoes them
	})
	if err != nil {
		return fmt.Errorf("rolling back an unfinished import: %w", err)
	}
	if err := s.db.Update(func(txn *badger.Txn) error { return txn.Delete(keyImport) }); err != nil {
		return fmt.Errorf("rolling back an unfinished import: %w", err)
	}
	return s.Sync()
}

// clearUndo deletes undo entries that no unfinished Apply owns.
func (s *DB) clearUndo() error {
	err := s.eachUndo(false, func(txn *badger.Txn, uk, _ []byte) error { return txn.Delete(uk) })
	if err != nil {
		return fmt.Errorf("clearing the import journal: %w", err)
	}
	return nil
}

// eachUndo reads undo entries newest first, a batch at a time, and calls
// fn for each inside write transactions, committing early when one grows
// too big. fn must delete the entry it is given. Without values, fn is
// given nil ones (clearing needs only the keys).
func (s *DB) eachUndo(values bool, fn func(txn *badger.Txn, uk, v []byte) error) error {
	from := append(join(prefixUndo), 0xff)
	for {
		var keys, vals [][]byte
		err := s.db.View(func(txn *badger.Txn) error {
			it := txn.NewIterator(badger.IteratorOptions{Prefix: prefixUndo, Reverse: true, PrefetchValues: values, PrefetchSize: 100})
			defer it.Close()
			// Seek past the batches done: rewinding would step over their
			// tombstones again each time, quadratic in the journal's size.
			for it.Seek(from); it.Valid() && len(keys) < undoBatch; it.Next() {
				var v []byte
				if values {
					var err error
					if v, err = it.Item().ValueCopy(nil); err != nil {
						return err
					}
				}
				keys, vals = append(keys, it.Item().KeyCopy(nil)), append(vals, v)
			}
			return nil
		})
		if err != nil || len(keys) == 0 {
			return err
		}
		from = keys[len(keys)-1]
		txn := s.db.NewTransaction(true)
		for i := range keys {
			err := fn(txn, keys[i], vals[i])
			if errors.Is(err, badger.ErrTxnTooBig) {
				if err = txn.Commit(); err == nil {
					txn = s.db.NewTransaction(true)
					err = fn(txn, keys[i], vals[i])
				}
			}
			if err != nil {
				txn.Discard()
				return err
			}
		}
		if err := txn.Commit(); err != nil {
			return err
		}
	}
}
