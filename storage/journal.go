package storage

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/dgraph-io/badger/v4"

	"github.com/accountbot/accountbot/domain"
)

// An Apply too big for one Badger transaction commits in several, so it
// keeps an undo journal in the store itself:
//
//	m/import            → RFC 3339 start time: an Apply is in progress
//	m/undo/<key>        → 0 (key was absent) or 1 followed by its value before the Apply
//
// The marker is written (and synced) before the first batch; every batch
// writes, in the same transaction as its data, the old value of each key
// it is the first to touch. Removing the marker is the commit point. Open
// rolls back an Apply whose marker it finds (restoring every journaled key,
// each restore idempotent, the marker last) and clears undo entries left
// by a finished one.
var (
	keyImport  = []byte("m/import")
	prefixUndo = []byte("m/undo/")
)

// undoBatch bounds the journal entries read per rollback or cleanup step.
const undoBatch = 5000

// applyJournaled writes patches in as many transactions as they need,
// journaled so that a crash leaves the store as before or after the whole
// set; on an error it rolls back what it wrote.
func (s *DB) applyJournaled(ctx context.Context, patches []domain.Patch) (domain.ApplyStats, error) {
	if err := s.clearUndo(); err != nil {
		return domain.ApplyStats{}, err
	}
	if err := s.db.Update(func(txn *badger.Txn) error {
		return txn.Set(keyImport, []byte(time.Now().UTC().Format(time.RFC3339)))
	}); err != nil {
		return domain.ApplyStats{}, fmt.Errorf("starting the import journal: %w", err)
	}
	if err := s.Sync(); err != nil {
		return domain.ApplyStats{}, err
	}
	st, err := s.writeJournaled(ctx, patches)
	if err == nil {
		err = s.db.Update(func(txn *badger.Txn) error { return txn.Delete(keyImport) })
		if err == nil {
			err = s.Sync()
		}
	}
	if err != nil {
		if rerr := s.rollback(); rerr != nil {
			return st, fmt.Errorf("%w (and rolling back failed: %v; the next start will roll it back)", err, rerr)
		}
		return st, err
	}
	// Committed. Leftover entries are harmless: Open and the next journaled
	// Apply clear them.
	if err := s.clearUndo(); err != nil {
		s.log.Warn("clearing the import journal", "err", err)
	}
	return st, nil
}

// writeJournaled is Apply's batch loop with the undo entries added.
func (s *DB) writeJournaled(ctx context.Context, patches []domain.Patch) (domain.ApplyStats, error) {
	var st domain.ApplyStats
	txn := s.db.NewTransaction(true)
	defer func() { txn.Discard() }()
	var pending [][]op // ops of the accounts in txn, to replay if it grows too big
	for i := range patches {
		if err := ctx.Err(); err != nil {
			return st, err
		}
		ops, err := s.planCounted(txn, &patches[i], &st)
		if err == nil {
			ops, err = withUndo(txn, ops)
		}
		if err != nil {
			return st, err
		}
		if err := setAll(txn, ops); errors.Is(err, badger.ErrTxnTooBig) {
			// Start over with the accounts that fit, commit them, then this one.
			txn.Discard()
			txn = s.db.NewTransaction(true)
			for _, p := range pending {
				if err := setAll(txn, p); err != nil {
					return st, fmt.Errorf("replaying batch: %w", err)
				}
			}
			if err := txn.Commit(); err != nil {
				return st, fmt.Errorf("committing batch: %w", err)
			}
			pending = pending[:0]
			txn = s.db.NewTransaction(true)
			if err := setAll(txn, ops); err != nil {
				return st, fmt.Errorf("writing account %s: %w", patches[i].ID, err)
			}
		} else if err != nil {
			return st, fmt.Errorf("writing account %s: %w", patches[i].ID, err)
		}
		pending = append(pending, ops)
	}
	if err := txn.Commit(); err != nil {
		return st, fmt.Errorf("committing batch: %w", err)
	}
	return st, nil
}

// withUndo puts, ahead of ops, the undo entry of every key they write that
// this Apply has not journaled yet. Every write of the Apply journals
// first, so an unjournaled key still holds its value from before.
func withUndo(txn *badger.Txn, ops []op) ([]op, error) {
	out := make([]op, 0, 2*len(ops))
	for _, o := range ops {
		uk := join(prefixUndo, o.key)
		if _, err := txn.Get(uk); err == nil {
			continue
		} else if !errors.Is(err, badger.ErrKeyNotFound) {
			return nil, fmt.Errorf("reading the import journal: %w", err)
		}
		v, err := getValue(txn, o.key)
		switch {
		case errors.Is(err, badger.ErrKeyNotFound):
			out = append(out, op{key: uk, val: []byte{0}})
		case err != nil:
			return nil, fmt.Errorf("journaling %q: %w", o.key, err)
		default:
			out = append(out, op{key: uk, val: append([]byte{1}, v...)})
		}
	}
	return append(out, ops...), nil
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

// rollback restores every journaled key, then removes the marker.
func (s *DB) rollback() error {
	err := s.eachUndoBatch(func(txn *badger.Txn, uk, v []byte) error {
		k := uk[len(prefixUndo):]
		var err error
		if len(v) > 0 && v[0] == 1 {
			err = txn.Set(k, v[1:])
		} else {
			err = txn.Delete(k)
		}
		if err != nil {
			return err
		}
		return txn.Delete(uk) // after the restore: a partial commit redoes it
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
	err := s.eachUndoBatch(func(txn *badger.Txn, uk, _ []byte) error { return txn.Delete(uk) })
	if err != nil {
		return fmt.Errorf("clearing the import journal: %w", err)
	}
	return nil
}

// eachUndoBatch reads undo entries a batch at a time and calls fn for each
// inside write transactions, committing early when one grows too big, until
// fn has deleted them all.
func (s *DB) eachUndoBatch(fn func(txn *badger.Txn, uk, v []byte) error) error {
	for {
		var keys, vals [][]byte
		err := s.db.View(func(txn *badger.Txn) error {
			it := txn.NewIterator(badger.IteratorOptions{Prefix: prefixUndo, PrefetchValues: true, PrefetchSize: 100})
			defer it.Close()
			for it.Rewind(); it.Valid() && len(keys) < undoBatch; it.Next() {
				v, err := it.Item().ValueCopy(nil)
				if err != nil {
					return err
				}
				keys, vals = append(keys, it.Item().KeyCopy(nil)), append(vals, v)
			}
			return nil
		})
		if err != nil || len(keys) == 0 {
			return err
		}
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
