package badger

import (
	"context"
	"errors"
	"fmt"

	"github.com/dgraph-io/badger/v4"
)

// EventSeen reports whether FirstSeen recorded platform's event id, without
// recording it: a receiver that must apply an event before remembering it
// (so a failed apply is retried, not dropped) checks with this first.
func (s *DB) EventSeen(ctx context.Context, platform, id string) (bool, error) {
	seen := false
	err := s.db.View(func(txn *badger.Txn) error {
		_, err := txn.Get(eventKey(platform, id))
		if errors.Is(err, badger.ErrKeyNotFound) {
			return nil
		}
		seen = err == nil
		return err
	})
	if err != nil {
		return false, fmt.Errorf("looking up event %s: %w", id, err)
	}
	return seen, nil
}
