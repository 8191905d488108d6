package badger

import (
	"bytes"
	"context"
	"fmt"
	"slices"

	"github.com/dgraph-io/badger/v4"

	"github.com/accountbot/accountbot/domain"
)

// The evaluator's batch path (evaluator.batchStore): a batch of changed
// accounts is read from one snapshot and its evaluations written in shared
// transactions. Per account, a read transaction and a fresh whole-store
// iterator for its usage and signals, another transaction for its stored
// evaluation, and a second read of that evaluation to replace its index
// entries were most of what re-evaluating an ingested event cost.

// EvalInputs calls fn, in id order, with each of ids' account, fully
// loaded (nil when it no longer exists), and its stored evaluation (found
// false when it has none), all read from one snapshot. fn must not keep
// the account after it returns.
func (s *DB) EvalInputs(ctx context.Context, ids []string, fn func(id string, a *domain.Account, prev domain.EvalRecord, found bool) error) error {
	ids = slices.Clone(ids)
	slices.Sort(ids)
	ids = slices.Compact(ids)
	return s.db.View(func(txn *badger.Txn) error {
		// One iterator per table for the batch, seeking forward only (the
		// ids are sorted), instead of one over the whole store per account.
		useIt := txn.NewIterator(badger.IteratorOptions{Prefix: prefixUsage})
		defer useIt.Close()
		sigIt := txn.NewIterator(badger.IteratorOptions{Prefix: prefixSignal})
		defer sigIt.Close()
		var usage []domain.Snapshot // reused from account to account: fn keeps none
		var signals []domain.Signal
		for _, id := range ids {
			if err := ctx.Err(); err != nil {
				return err
			}
			prev, found, err := readEval(txn, id)
			if err != nil {
				return err
			}
			a, err := getRecord(txn, id)
			if domain.ErrorCode(err) == domain.ENOTFOUND {
				if err := fn(id, nil, prev, found); err != nil {
					return err
				}
				continue
			} else if err != nil {
				return err
			}
			a.Usage, a.Signals = usage[:0], signals[:0]
			seekForward(useIt, accountPrefix(prefixUsage, id))
			if err := scanUsage(useIt, a); err != nil {
				return err
			}
			seekForward(sigIt, accountPrefix(prefixSignal, id))
			if err := scanSignals(sigIt, a); err != nil {
				return err
			}
			usage, signals = a.Usage, a.Signals
			if len(a.Usage) == 0 { // as Account gives them
				a.Usage = nil
			}
			if len(a.Signals) == 0 {
				a.Signals = nil
			}
			if err := fn(id, a, prev, found); err != nil {
				return err
			}
		}
		return nil
	})
}

// seekForward moves it to the first key at or after p, which is at or
// after where it stands: it stays put when it is there already (an
// account without signals after one with none, or the next id's keys
// right after the last's), and seeks otherwise.
func seekForward(it *badger.Iterator, p []byte) {
	if it.Valid() && bytes.Compare(it.Item().Key(), p) >= 0 {
		return
	}
	it.Seek(p)
}

// ReplaceEvaluations stores recs and their score snapshots, each record
// replacing prevs[i] (its stored evaluation as EvalInputs read it; zero
// ID: none) and its index entries, evalBatch records to a transaction. The
// evaluator is the only writer of evaluations, so what it read is what is
// stored, and the old index keys are known without reading the record
// again.
func (s *DB) ReplaceEvaluations(ctx context.Context, prevs, recs []domain.EvalRecord, scores []domain.Scored) error {
	if len(prevs) != len(recs) || len(scores) != len(recs) {
		return fmt.Errorf("storing evaluations: %d records, %d previous, %d scores", len(recs), len(prevs), len(scores))
	}
	for from := 0; from < len(recs); from += evalBatch {
		to := min(from+evalBatch, len(recs))
		err := s.db.Update(func(txn *badger.Txn) error {
			for i := from; i < to; i++ {
				if err := replaceEval(txn, prevs[i], recs[i]); err != nil {
					return err
				}
				sc := scores[i]
				if err := txn.Set(historyKey(sc.ID, sc.Snapshot.Date), mustJSON(sc.Snapshot)); err != nil {
					return fmt.Errorf("writing score of %s: %w", sc.ID, err)
				}
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("storing evaluations: %w", err)
		}
	}
	return nil
}

// replaceEval is putEval with the previous record known: index entries
// that do not move are left alone.
func replaceEval(txn *badger.Txn, prev, r domain.EvalRecord) error {
	if err := checkKeyPart("owner", r.Owner); err != nil {
		return err
	}
	newKeys := [][]byte{evalOwnerKey(r), evalBookKey(r)}
	if prev.ID != "" {
		for i, k := range [][]byte{evalOwnerKey(prev), evalBookKey(prev)} {
			if string(k) == string(newKeys[i]) {
				newKeys[i] = nil // already there
				continue
			}
			if err := txn.Delete(k); err != nil {
				return err
			}
		}
	}
	for _, k := range newKeys {
		if k == nil {
			continue
		}
		if err := txn.Set(k, nil); err != nil {
			return err
		}
	}
	return txn.Set(evalKey(r.ID), mustJSON(r))
}
