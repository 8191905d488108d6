package badger

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/dgraph-io/badger/v4"

	"github.com/accountbot/accountbot/domain"
)

// ledgerTTL keeps ledger entries far beyond any catch-up window.
const ledgerTTL = 120 * 24 * time.Hour

func ledgerKey(key string) []byte { return join([]byte("l/"), []byte(key)) }

// LedgerGet returns the ledger entry for a dedupe key.
func (s *DB) LedgerGet(ctx context.Context, key string) (domain.LedgerEntry, bool, error) {
	var e domain.LedgerEntry
	found, err := s.getJSON(ledgerKey(key), &e)
	if err != nil {
		return e, false, fmt.Errorf("reading ledger %s: %w", key, err)
	}
	return e, found, nil
}

// LedgerPut records a ledger entry and syncs it to disk before returning:
// the ledger is what stops a nudge from going out twice, so it must
// survive a power loss, not just a crash.
func (s *DB) LedgerPut(ctx context.Context, e domain.LedgerEntry) error {
	err := s.db.Update(func(txn *badger.Txn) error {
		return txn.SetEntry(badger.NewEntry(ledgerKey(e.Key), mustJSON(e)).WithTTL(ledgerTTL))
	})
	if err != nil {
		return fmt.Errorf("writing ledger %s: %w", e.Key, err)
	}
	return s.Sync()
}

// LedgerSince returns the entries updated at or after since, newest first.
func (s *DB) LedgerSince(ctx context.Context, since time.Time) ([]domain.LedgerEntry, error) {
	var out []domain.LedgerEntry
	err := s.db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: []byte("l/"), PrefetchValues: true})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			var e domain.LedgerEntry
			if err := it.Item().Value(func(b []byte) error { return json.Unmarshal(b, &e) }); err != nil {
				return fmt.Errorf("decoding ledger entry: %w", err)
			}
			if !e.UpdatedAt.Before(since) {
				out = append(out, e)
			}
		}
		return nil
	})
	slices.SortStableFunc(out, func(a, b domain.LedgerEntry) int { return b.UpdatedAt.Compare(a.UpdatedAt) })
	return out, err
}

// getJSON decodes the value at key into v, reporting whether it exists.
func (s *DB) getJSON(key []byte, v any) (bool, error) {
	found := false
	err := s.db.View(func(txn *badger.Txn) error {
		item, err := txn.Get(key)
		if errors.Is(err, badger.ErrKeyNotFound) {
			return nil
		} else if err != nil {
			return err
		}
		found = true
		return item.Value(func(b []byte) error { return json.Unmarshal(b, v) })
	})
	return found, err
}

func settingsKey(user string) []byte {
	return join([]byte("p/"), []byte(user), []byte{sep}, []byte("settings"))
}

// Settings returns a user's nudge settings (zero value when none are set).
func (s *DB) Settings(ctx context.Context, user string) (domain.UserSettings, error) {
	var u domain.UserSettings
	if _, err := s.getJSON(settingsKey(user), &u); err != nil {
		return u, fmt.Errorf("reading settings of %s: %w", user, err)
	}
	return u, nil
}

// SetSettings stores a user's nudge settings.
func (s *DB) SetSettings(ctx context.Context, user string, u domain.UserSettings) error {
	if err := checkKeyPart("user", user); err != nil {
		return err
	}
	if err := s.db.Update(func(txn *badger.Txn) error { return txn.Set(settingsKey(user), mustJSON(u)) }); err != nil {
		return fmt.Errorf("saving settings of %s: %w", user, err)
	}
	return s.Sync()
}
