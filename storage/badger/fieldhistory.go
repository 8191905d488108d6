package badger

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/dgraph-io/badger/v4"

	"github.com/accountbot/accountbot/domain"
)

// The point-in-time history of the scored fields (see the layout in
// keys.go): f/<id> 00 <date:4> → JSON of domain.FieldState, the fields as
// they were from that date on. plan writes one whenever a write changes
// any of them, in the same transaction as the record, so imports, the
// ingest API, chat writes and connectors all keep it.

var prefixFields = []byte("f/")

func fieldKey(id string, d domain.Date) []byte {
	return join(accountPrefix(prefixFields, id), dateBytes(d))
}

// SetClock sets the clock that dates field changes (tests and a faked
// clock; the default is the wall clock). Call it before any write.
func (s *DB) SetClock(now func() time.Time) { s.clock = now }

// today is the date a change made now takes effect, in UTC.
func (s *DB) today() domain.Date {
	if s.clock != nil {
		return domain.DateOf(s.clock().UTC())
	}
	return domain.DateOf(time.Now().UTC())
}

// fieldHistoryOps returns the write that records next's scored fields as
// of today when they differ from old's (or old is new). A second change
// the same day replaces the first: the history keeps the day's last value.
func (s *DB) fieldHistoryOps(old, next *domain.Account) []op {
	cur := domain.StateOf(next, s.today())
	if old != nil && domain.StateOf(old, 0).SameFields(cur) {
		return nil
	}
	return []op{{key: fieldKey(next.ID, cur.Date), val: mustJSON(cur)}}
}

// FieldHistory returns an account's recorded field states, oldest first.
func (s *DB) FieldHistory(ctx context.Context, id string) ([]domain.FieldState, error) {
	var out []domain.FieldState
	err := s.db.View(func(txn *badger.Txn) error {
		var err error
		out, err = readFieldHistory(txn, id)
		return err
	})
	return out, err
}

func readFieldHistory(txn *badger.Txn, id string) ([]domain.FieldState, error) {
	it := txn.NewIterator(badger.IteratorOptions{Prefix: accountPrefix(prefixFields, id)})
	defer it.Close()
	it.Rewind()
	raw, err := scanFields(it, id)
	if err != nil {
		return nil, err
	}
	return decodeFieldHistory(id, raw)
}

// scanFields returns the values of account id's field states (oldest
// first) from a forward iterator over field states standing at or before
// them, and leaves it past them.
func scanFields(it *badger.Iterator, id string) ([][]byte, error) {
	var out [][]byte
	p := accountPrefix(prefixFields, id)
	for ok := advance(it, p); ok && it.ValidForPrefix(p); it.Next() {
		b, err := it.Item().ValueCopy(nil)
		if err != nil {
			return nil, fmt.Errorf("reading the field history of %s: %w", id, err)
		}
		out = append(out, b)
	}
	return out, nil
}

func decodeFieldHistory(id string, raw [][]byte) ([]domain.FieldState, error) {
	var out []domain.FieldState
	if len(raw) > 0 {
		out = make([]domain.FieldState, len(raw))
	}
	for i, b := range raw {
		if err := json.Unmarshal(b, &out[i]); err != nil {
			return nil, fmt.Errorf("decoding field history of %s: %w", id, err)
		}
	}
	return out, nil
}

// ForEachWithHistory is ForEachConcurrent handing fn each account's field
// history too (oldest first), read in the same scan: a replay reads every
// account's history, and a lookup per account costs more than the scan.
func (s *DB) ForEachWithHistory(ctx context.Context, workers int, fn func(worker int, a *domain.Account, hist []domain.FieldState) error) error {
	return s.forEachConcurrent(ctx, workers, true, fn)
}

// PutFieldHistory records past field states of existing accounts, for a
// backfill from a system that kept them (and the demo book). A state
// for a date that already has one replaces it.
func (s *DB) PutFieldHistory(ctx context.Context, states map[string][]domain.FieldState) error {
	wb := s.db.NewWriteBatch()
	defer wb.Cancel()
	for id, list := range states {
		if err := ctx.Err(); err != nil {
			return err
		}
		if !domain.ValidID(id) {
			return domain.Errorf(domain.EINVALID, "%q is not an account id", id)
		}
		for _, st := range list {
			if st.Date.IsZero() {
				return domain.Errorf(domain.EINVALID, "a field state of %s has no date", id)
			}
			if err := wb.Set(fieldKey(id, st.Date), mustJSON(st)); err != nil {
				return fmt.Errorf("writing field history of %s: %w", id, err)
			}
		}
	}
	if err := wb.Flush(); err != nil {
		return fmt.Errorf("writing field history: %w", err)
	}
	return s.Sync()
}

// PutOutcomes records past outcomes in one batch (the demo book's; a
// backfill), each as AddOutcome would.
func (s *DB) PutOutcomes(ctx context.Context, outs []domain.Outcome) error {
	wb := s.db.NewWriteBatch()
	defer wb.Cancel()
	seq := uint64(time.Now().UnixNano())
	for i, o := range outs {
		if !domain.ValidID(o.AccountID) || o.Date.IsZero() {
			return domain.Errorf(domain.EINVALID, "an outcome needs an account id and a date")
		}
		if err := wb.Set(outcomeKey(o, seq+uint64(i)), mustJSON(o)); err != nil {
			return fmt.Errorf("writing outcome of %s: %w", o.AccountID, err)
		}
	}
	if err := wb.Flush(); err != nil {
		return fmt.Errorf("writing outcomes: %w", err)
	}
	return s.Sync()
}
