package badger

import (
	"context"
	"errors"
	"fmt"
	"github.com/accountbot/accountbot/storage"
	"time"

	"github.com/dgraph-io/badger/v4"

	"github.com/accountbot/accountbot/domain"
)

func writeIDKey(id string) []byte { return join([]byte("w/"), []byte(id)) }

// once runs write and records id in one transaction, unless id is already
// recorded: then nothing is written and seen is true. Concurrent
// deliveries of the same id conflict on the id's key; the loser looks
// again and finds it. An empty id runs write unguarded.
func (s *DB) once(ctx context.Context, id string, write func(txn *badger.Txn) error) (seen bool, err error) {
	for range 5 {
		if err := ctx.Err(); err != nil {
			return false, err
		}
		seen = false
		err = s.db.Update(func(txn *badger.Txn) error {
			if id != "" {
				_, err := txn.Get(writeIDKey(id))
				if err == nil {
					seen = true
					return nil
				}
				if !errors.Is(err, badger.ErrKeyNotFound) {
					return err
				}
			}
			if err := write(txn); err != nil {
				return err
			}
			if id == "" {
				return nil
			}
			return txn.SetEntry(badger.NewEntry(writeIDKey(id), []byte{1}).WithTTL(storage.WriteIDTTL))
		})
		if errors.Is(err, badger.ErrConflict) {
			continue
		}
		if err != nil || seen {
			return seen, err
		}
		return false, s.Sync()
	}
	return false, fmt.Errorf("write %s: too many concurrent attempts", id)
}

// ApplyOnce is Apply for a user's write (a note, a signal, a form) that
// carries an id: the patches and the id are written in one transaction,
// and a second call with the same id changes nothing and reports seen.
// Chat writes are small; a batch too big for one transaction is refused.
func (s *DB) ApplyOnce(ctx context.Context, id string, patches []domain.Patch) (domain.ApplyStats, bool, error) {
	var st domain.ApplyStats
	s.applyMu.Lock() // it writes usage: see usageReader (applyusage.go)
	defer s.applyMu.Unlock()
	seen, err := s.once(ctx, id, func(txn *badger.Txn) error {
		st = domain.ApplyStats{}
		for i := range patches {
			ops, err := s.plan(txn, nil, &patches[i], &st)
			if err != nil {
				return err
			}
			if err := setAll(txn, ops); err != nil {
				return fmt.Errorf("writing account %s: %w", patches[i].ID, err)
			}
		}
		return nil
	})
	if seen {
		return domain.ApplyStats{}, true, err
	}
	return st, false, err
}

// AddOutcomeOnce is AddOutcome guarded by a write id: a replayed form or
// a double click on Save logs the outcome once.
func (s *DB) AddOutcomeOnce(ctx context.Context, id string, o domain.Outcome) (bool, error) {
	return s.once(ctx, id, func(txn *badger.Txn) error {
		if _, err := txn.Get(accountKey(o.AccountID)); errors.Is(err, badger.ErrKeyNotFound) {
			return domain.Errorf(domain.ENOTFOUND, "no account with id %q", o.AccountID)
		}
		return txn.Set(outcomeKey(o, uint64(time.Now().UnixNano())), mustJSON(o))
	})
}

// WriteSeen reports whether a write id is recorded (for a reply such as
// "already recorded" before any work is done).
func (s *DB) WriteSeen(ctx context.Context, id string) (bool, error) {
	seen := false
	err := s.db.View(func(txn *badger.Txn) error {
		_, err := txn.Get(writeIDKey(id))
		if err == nil {
			seen = true
			return nil
		}
		if errors.Is(err, badger.ErrKeyNotFound) {
			return nil
		}
		return err
	})
	if err != nil {
		return false, fmt.Errorf("reading write id %s: %w", id, err)
	}
	return seen, nil
}
