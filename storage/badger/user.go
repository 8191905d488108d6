package badger

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/dgraph-io/badger/v4"

	"github.com/accountbot/accountbot/domain"
)

func snoozeKey(user, id string) []byte {
	return join([]byte("p/"), []byte(user), []byte{sep}, []byte("snooze"), []byte{sep}, []byte(id))
}

// SetSnooze silences an account for a user until the given date (inclusive).
func (s *DB) SetSnooze(ctx context.Context, user, id string, until domain.Date) error {
	if err := errors.Join(checkKeyPart("user", user), checkKeyPart("account id", id)); err != nil {
		return err
	}
	err := s.db.Update(func(txn *badger.Txn) error {
		return txn.Set(snoozeKey(user, id), dateBytes(until))
	})
	if err != nil {
		return fmt.Errorf("saving snooze: %w", err)
	}
	return s.Sync()
}

// Snoozes returns a user's snoozed accounts with their end dates.
func (s *DB) Snoozes(ctx context.Context, user string) (map[string]domain.Date, error) {
	out := map[string]domain.Date{}
	p := join([]byte("p/"), []byte(user), []byte{sep}, []byte("snooze"), []byte{sep})
	err := s.db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: p, PrefetchValues: true})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			v, err := it.Item().ValueCopy(nil)
			if err != nil || len(v) != 4 {
				return fmt.Errorf("reading snooze: %v", err)
			}
			out[string(it.Item().Key()[len(p):])] = dateFrom(v)
		}
		return nil
	})
	return out, err
}

func outcomeKey(o domain.Outcome, seq uint64) []byte {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], seq)
	return join(accountPrefix([]byte("o/"), o.AccountID), dateBytes(o.Date), b[:])
}

// AddOutcome records an outcome; the key's sequence is the write time, so
// two outcomes logged the same day are both kept.
func (s *DB) AddOutcome(ctx context.Context, o domain.Outcome) error {
	err := s.db.Update(func(txn *badger.Txn) error {
		if _, err := txn.Get(accountKey(o.AccountID)); errors.Is(err, badger.ErrKeyNotFound) {
			return domain.Errorf(domain.ENOTFOUND, "no account with id %q", o.AccountID)
		}
		return txn.Set(outcomeKey(o, uint64(time.Now().UnixNano())), mustJSON(o))
	})
	if err != nil {
		return err
	}
	return s.Sync()
}

// Outcomes returns every outcome dated in [from, to], by account and date.
func (s *DB) Outcomes(ctx context.Context, from, to domain.Date) ([]domain.Outcome, error) {
	var out []domain.Outcome
	err := s.db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: []byte("o/"), PrefetchValues: true})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			var o domain.Outcome
			if err := it.Item().Value(func(b []byte) error { return json.Unmarshal(b, &o) }); err != nil {
				return fmt.Errorf("decoding outcome: %w", err)
			}
			if o.Date >= from && o.Date <= to {
				out = append(out, o)
			}
		}
		return nil
	})
	return out, err
}

func eventKey(platform, id string) []byte {
	return join([]byte("x/"), []byte(platform), []byte{sep}, []byte(id))
}

// FirstSeen records an inbound event id and reports whether this is its
// first delivery. The record lives for ttl (at least the platform's retry
// window), on disk, so a restart does not repeat an action.
func (s *DB) FirstSeen(ctx context.Context, platform, id string, ttl time.Duration) (bool, error) {
	first := false
	for range 5 {
		err := s.db.Update(func(txn *badger.Txn) error {
			_, err := txn.Get(eventKey(platform, id))
			if err == nil {
				first = false
				return nil
			}
			if !errors.Is(err, badger.ErrKeyNotFound) {
				return err
			}
			first = true
			return txn.SetEntry(badger.NewEntry(eventKey(platform, id), []byte{1}).WithTTL(ttl))
		})
		if errors.Is(err, badger.ErrConflict) {
			continue // a concurrent delivery of the same id: look again
		}
		if err != nil {
			return false, fmt.Errorf("recording event %s: %w", id, err)
		}
		return first, nil
	}
	return false, nil
}

func refKey(platform, key string) []byte {
	return join([]byte("c/"), []byte(platform), []byte{sep}, []byte(key))
}

// PutRef stores a platform's conversation reference (opaque JSON) under a
// key such as "email:ana@example.com" or "channel:renewals", synced, so
// proactive messages still reach people after a restart.
func (s *DB) PutRef(ctx context.Context, platform, key string, v []byte) error {
	if err := errors.Join(checkKeyPart("platform", platform), checkKeyPart("conversation key", key)); err != nil {
		return err
	}
	if err := s.db.Update(func(txn *badger.Txn) error { return txn.Set(refKey(platform, key), v) }); err != nil {
		return fmt.Errorf("saving conversation reference %s: %w", key, err)
	}
	return s.Sync()
}

// Ref returns a stored conversation reference.
func (s *DB) Ref(ctx context.Context, platform, key string) ([]byte, bool, error) {
	var v []byte
	err := s.db.View(func(txn *badger.Txn) error {
		item, err := txn.Get(refKey(platform, key))
		if errors.Is(err, badger.ErrKeyNotFound) {
			return nil
		} else if err != nil {
			return err
		}
		v, err = item.ValueCopy(nil)
		return err
	})
	if err != nil {
		return nil, false, fmt.Errorf("reading conversation reference %s: %w", key, err)
	}
	return v, v != nil, nil
}
