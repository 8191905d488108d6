package badger

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/dgraph-io/badger/v4"

	"github.com/accountbot/accountbot/domain"
)

// PutScores records score snapshots (one per account per day; a second
// write for the same day replaces the first).
func (s *DB) PutScores(ctx context.Context, scores []domain.Scored) error {
	wb := s.db.NewWriteBatch()
	defer wb.Cancel()
	for _, sc := range scores {
		if err := wb.Set(historyKey(sc.ID, sc.Snapshot.Date), mustJSON(sc.Snapshot)); err != nil {
			return fmt.Errorf("writing score of %s: %w", sc.ID, err)
		}
	}
	if err := wb.Flush(); err != nil {
		return fmt.Errorf("writing scores: %w", err)
	}
	return nil
}

// ScoreHistory returns an account's score snapshots dated in [from, to], oldest first.
func (s *DB) ScoreHistory(ctx context.Context, id string, from, to domain.Date) ([]domain.ScoreSnapshot, error) {
	var out []domain.ScoreSnapshot
	p := accountPrefix(prefixHistory, id)
	err := s.db.View(func(txn *badger.Txn) error {
		// No prefetch: Badger's starts a goroutine for each of up to 64
		// items ahead, for small values stored inline (an answer's read).
		it := txn.NewIterator(badger.IteratorOptions{Prefix: p})
		defer it.Close()
		for it.Seek(join(p, dateBytes(from))); it.ValidForPrefix(p); it.Next() {
			if dateFrom(it.Item().Key()[len(p):]) > to {
				break
			}
			var snap domain.ScoreSnapshot
			if err := it.Item().Value(func(b []byte) error { return json.Unmarshal(b, &snap) }); err != nil {
				return fmt.Errorf("decoding score of %s: %w", id, err)
			}
			out = append(out, snap)
		}
		return nil
	})
	return out, err
}
