package badger

import (
	"context"
	"errors"
	"fmt"

	"github.com/dgraph-io/badger/v4"

	"github.com/accountbot/accountbot/domain"
	"github.com/accountbot/accountbot/internal/apijson"
)

// ScoresOn returns the score snapshots recorded for the given accounts on
// day d, by id; an account without one that day is left out. Each is one
// point lookup (a missing key is mostly answered by the tables' bloom
// filters), all in one transaction: the weekly review compares every
// account of an owner on two days, and an iterator per account
// (ScoreHistory) with the full account read beside it made the Monday
// reviews a whole-book read competing with the answers.
func (s *DB) ScoresOn(ctx context.Context, ids []string, d domain.Date) (map[string]domain.ScoreSnapshot, error) {
	out := make(map[string]domain.ScoreSnapshot, len(ids))
	err := s.db.View(func(txn *badger.Txn) error {
		for i, id := range ids {
			if i%256 == 0 {
				if err := ctx.Err(); err != nil {
					return err
				}
			}
			item, err := txn.Get(historyKey(id, d))
			if errors.Is(err, badger.ErrKeyNotFound) {
				continue
			} else if err != nil {
				return fmt.Errorf("reading the score of %s on %s: %w", id, d, err)
			}
			var snap domain.ScoreSnapshot
			if err := item.Value(func(b []byte) error { return apijson.Unmarshal(b, &snap) }); err != nil {
				return fmt.Errorf("decoding the score of %s on %s: %w", id, d, err)
			}
			out[id] = snap
		}
		return nil
	})
	return out, err
}

// RenewingTiers lists the accounts renewing in [from, to], by date and
// then id as IDsRenewingBetween, each with its renewal date and, from its
// stored evaluation, its owner and tier (Tier 0: none stored). It reads
// the renewal index and one stored record each, in one transaction, and
// no account: renewal reminders are planned every minute, and reading
// every candidate account in full to recompute its tier was over a second
// of CPU a minute on a 100K book. The records are decoded in part and
// not through the cards' cache, which they would flush.
func (s *DB) RenewingTiers(ctx context.Context, from, to domain.Date) ([]domain.RenewingTier, error) {
	var out []domain.RenewingTier
	err := s.db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: prefixRenewIdx})
		defer it.Close()
		for it.Seek(join(prefixRenewIdx, dateBytes(from))); it.Valid(); it.Next() {
			k := it.Item().Key()[len(prefixRenewIdx):]
			d := dateFrom(k[:4])
			if d > to {
				break
			}
			out = append(out, domain.RenewingTier{ID: string(k[4:]), RenewalDate: d})
		}
		for i := range out {
			if i%256 == 0 {
				if err := ctx.Err(); err != nil {
					return err
				}
			}
			item, found, err := evalItem(txn, out[i].ID)
			if err != nil {
				return err
			}
			if !found {
				continue
			}
			var x struct {
				Owner string `json:"owner"`
				Tier  int    `json:"tier"`
			}
			if err := item.Value(func(b []byte) error { return apijson.Unmarshal(b, &x) }); err != nil {
				return fmt.Errorf("decoding the evaluation of %s: %w", out[i].ID, err)
			}
			out[i].Owner, out[i].Tier = x.Owner, x.Tier
		}
		return nil
	})
	return out, err
}
