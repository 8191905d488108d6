package badger

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"

	"github.com/dgraph-io/badger/v4"

	"github.com/accountbot/accountbot/domain"
	"github.com/accountbot/accountbot/internal/apijson"
)

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("encoding %T: %v", v, err)) // only plain structs are encoded
	}
	return b
}

func getValue(txn *badger.Txn, k []byte) ([]byte, error) {
	item, err := txn.Get(k)
	if err != nil {
		return nil, err
	}
	return item.ValueCopy(nil)
}

func getRecord(txn *badger.Txn, id string) (*domain.Account, error) {
	item, err := txn.Get(accountKey(id))
	if errors.Is(err, badger.ErrKeyNotFound) {
		return nil, domain.Errorf(domain.ENOTFOUND, "no account with id %q", id)
	} else if err != nil {
		return nil, fmt.Errorf("reading account %s: %w", id, err)
	}
	// apijson: encoding/json's rules on the json v2 engine, the same values
	// in half the CPU (TestBatchDecodingAsEncodingJSON); every answer and
	// the evaluator's batches read records here.
	var a domain.Account
	if err := item.Value(func(b []byte) error { return apijson.Unmarshal(b, &a) }); err != nil {
		return nil, fmt.Errorf("decoding account %s: %w", id, err)
	}
	if err := overlayStamp(txn, id, &a); err != nil {
		return nil, err
	}
	return &a, nil
}

// Account returns the full account: record, usage and signals.
func (s *DB) Account(ctx context.Context, id string) (*domain.Account, error) {
	var a *domain.Account
	err := s.db.View(func(txn *badger.Txn) error {
		var err error
		if a, err = getRecord(txn, id); err != nil {
			return err
		}
		return loadDated(txn, a)
	})
	return a, err
}

// loadDated fills a's usage and signals. Each is read with an iterator
// over the account's own prefix: Badger then opens only the tables whose
// key range holds it (one or two per level), where an iterator without a
// prefix opens every table of the book; at 100K accounts that was a
// fifth of an `account X health` answer.
func loadDated(txn *badger.Txn, a *domain.Account) error {
	a.Usage, a.Signals = a.Usage[:0], a.Signals[:0]
	it := txn.NewIterator(badger.IteratorOptions{Prefix: accountPrefix(prefixUsage, a.ID)})
	it.Rewind()
	err := scanUsage(it, a)
	it.Close()
	if err != nil {
		return err
	}
	it = txn.NewIterator(badger.IteratorOptions{Prefix: accountPrefix(prefixSignal, a.ID)})
	defer it.Close()
	it.Rewind()
	return scanSignals(it, a)
}

// ForEach calls fn with every account, fully loaded, in id order, from one
// consistent snapshot. fn must not keep the account after it returns: the
// same value is reused for the next account to spare allocations.
func (s *DB) ForEach(ctx context.Context, fn func(*domain.Account) error) error {
	var a domain.Account
	return s.scanBook(ctx, true, false, func(row *bookRow) error {
		a = domain.Account{}
		if err := row.rec.Value(func(b []byte) error { return json.Unmarshal(b, &a) }); err != nil {
			return fmt.Errorf("decoding account %s: %w", row.rec.Key(), err)
		}
		if row.stamp != nil {
			if err := putStamp(&a, a.ID, row.stamp); err != nil {
				return err
			}
		}
		a.Usage, a.Signals = row.usage, row.signals
		return fn(&a)
	})
}

// bookRow is one account as scanBook reads it.
type bookRow struct {
	rec     *badger.Item
	stamp   []byte // its ds/ data stamp, when it has one (freshness.go)
	usage   []domain.Snapshot
	signals []domain.Signal
	history [][]byte // its field states' JSON, oldest first (when asked)
}

// scanBook walks every account in id order, handing fn the account's
// record and its usage and signals (and, with history, its field
// history). Accounts, usage, signals and field states are all keyed by id
// first, so this is a merge join of forward scans: no seeks, and no value
// prefetching (usage values are 16 bytes stored inline; Badger's prefetch
// would start a goroutine per item). With reuse, the slices passed to fn
// are reused for the next account.
func (s *DB) scanBook(ctx context.Context, reuse, history bool, fn func(*bookRow) error) error {
	gen := s.known.generation() // before the snapshot: known.go
	var seen []string           // ids the scan saw, for s.known
	defer func() { s.known.add(gen, seen...) }()
	return s.db.View(func(txn *badger.Txn) error {
		accIt := txn.NewIterator(badger.IteratorOptions{Prefix: prefixAccount})
		defer accIt.Close()
		useIt := txn.NewIterator(badger.IteratorOptions{Prefix: prefixUsage})
		defer useIt.Close()
		sigIt := txn.NewIterator(badger.IteratorOptions{Prefix: prefixSignal})
		defer sigIt.Close()
		stampIt := txn.NewIterator(badger.IteratorOptions{Prefix: prefixStamp})
		defer stampIt.Close()
		useIt.Rewind()
		sigIt.Rewind()
		stampIt.Rewind()
		var fieldIt *badger.Iterator
		if history {
			fieldIt = txn.NewIterator(badger.IteratorOptions{Prefix: prefixFields})
			defer fieldIt.Close()
			fieldIt.Rewind()
		}
		var a domain.Account
		var row bookRow
		n := 0
		for accIt.Rewind(); accIt.Valid(); accIt.Next() {
			if n++; n%1024 == 0 {
				if err := ctx.Err(); err != nil {
					return err
				}
			}
			if n%releaseEvery == 0 {
				// A scan maps the whole book (mapped.go); give it back as
				// it goes. The iterators hold the tables being read.
				if _, err := s.ReleaseMapped(); err != nil {
					s.log.Warn("releasing mapped table pages", "err", err)
				}
			}
			a.ID = string(accIt.Item().Key()[len(prefixAccount):])
			seen = append(seen, a.ID)
			if reuse {
				a.Usage, a.Signals = a.Usage[:0], a.Signals[:0]
			} else {
				a.Usage, a.Signals = nil, nil
			}
			if err := scanUsage(useIt, &a); err != nil {
				return err
			}
			if err := scanSignals(sigIt, &a); err != nil {
				return err
			}
			stamp, err := scanStamp(stampIt, a.ID)
			if err != nil {
				return err
			}
			row = bookRow{rec: accIt.Item(), stamp: stamp, usage: a.Usage, signals: a.Signals}
			if history {
				var err error
				if row.history, err = scanFields(fieldIt, a.ID); err != nil {
					return err
				}
			}
			if err := fn(&row); err != nil {
				return err
			}
		}
		return nil
	})
}

// ForEachConcurrent calls fn with every account, in no particular order,
// on `workers` goroutines (fn's first argument says which). The scan is
// one ordered merge join as in ForEach; decoding records and fn run in
// the workers, so evaluating a whole book uses every core. Each account
// passed to fn belongs to fn.
func (s *DB) ForEachConcurrent(ctx context.Context, workers int, fn func(worker int, a *domain.Account) error) error {
	return s.forEachConcurrent(ctx, workers, false, func(w int, a *domain.Account, _ []domain.FieldState) error { return fn(w, a) })
}

// forEachConcurrent is ForEachConcurrent, with each account's field
// history (oldest first) when history is set.
func (s *DB) forEachConcurrent(ctx context.Context, workers int, history bool, fn func(worker int, a *domain.Account, hist []domain.FieldState) error) error {
	type job struct {
		rec     []byte
		stamp   []byte
		usage   []domain.Snapshot
		signals []domain.Signal
		history [][]byte
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	jobs := make(chan job, 512)
	errs := make(chan error, workers+1)
	var wg sync.WaitGroup
	for w := range max(workers, 1) {
		wg.Go(func() {
			for j := range jobs {
				a := &domain.Account{}
				err := json.Unmarshal(j.rec, a)
				if err != nil {
					err = fmt.Errorf("decoding an account: %w", err)
				} else if j.stamp != nil {
					err = putStamp(a, a.ID, j.stamp)
				}
				var hist []domain.FieldState
				if err == nil && history {
					hist, err = decodeFieldHistory(a.ID, j.history)
				}
				if err == nil {
					a.Usage, a.Signals = j.usage, j.signals
					err = fn(w, a, hist)
				}
				if err != nil {
					errs <- err
					cancel()
					return
				}
			}
		})
	}
	scanErr := s.scanBook(ctx, false, history, func(row *bookRow) error {
		b, err := row.rec.ValueCopy(nil)
		if err != nil {
			return err
		}
		select {
		case jobs <- job{b, row.stamp, row.usage, row.signals, row.history}:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	})
	close(jobs)
	wg.Wait()
	close(errs)
	if err, ok := <-errs; ok {
		return err
	}
	return scanErr
}

// advance moves a forward iterator past keys that sort before p and
// reports whether it now stands inside p.
func advance(it *badger.Iterator, p []byte) bool {
	for it.Valid() {
		k := it.Item().Key()
		if bytes.HasPrefix(k, p) {
			return true
		}
		if bytes.Compare(k, p) > 0 {
			return false
		}
		it.Next()
	}
	return false
}

// scanStamp returns account id's ds/ value (a copy; nil without one),
// it standing at or before the key in id order.
func scanStamp(it *badger.Iterator, id string) ([]byte, error) {
	k := stampKey(id)
	for it.Valid() && bytes.Compare(it.Item().Key(), k) < 0 {
		it.Next()
	}
	if !it.Valid() || !bytes.Equal(it.Item().Key(), k) {
		return nil, nil
	}
	return it.Item().ValueCopy(nil)
}

func scanUsage(it *badger.Iterator, a *domain.Account) error {
	p := accountPrefix(prefixUsage, a.ID)
	for ok := advance(it, p); ok && it.ValidForPrefix(p); it.Next() {
		item := it.Item()
		d := dateFrom(item.Key()[len(p):])
		if err := item.Value(func(b []byte) error {
			s, ok := decodeSnapshot(d, b)
			if !ok {
				return fmt.Errorf("bad usage value for %s on %s", a.ID, d)
			}
			a.Usage = append(a.Usage, s)
			return nil
		}); err != nil {
			return err
		}
	}
	return nil
}

func scanSignals(it *badger.Iterator, a *domain.Account) error {
	p := accountPrefix(prefixSignal, a.ID)
	for ok := advance(it, p); ok && it.ValidForPrefix(p); it.Next() {
		item := it.Item()
		d := dateFrom(item.Key()[len(p):])
		var v signalValue
		if err := item.Value(func(b []byte) error { return json.Unmarshal(b, &v) }); err != nil {
			return fmt.Errorf("decoding signal of %s: %w", a.ID, err)
		}
		a.Signals = append(a.Signals, domain.Signal{Date: d, Kind: v.Kind, Note: v.Note})
	}
	return nil
}

// IDsByOwner returns the ids of the accounts owned by the e-mail.
func (s *DB) IDsByOwner(ctx context.Context, owner string) ([]string, error) {
	var ids []string
	p := join(prefixOwnerIdx, []byte(owner), []byte{sep})
	err := s.db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: p})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			ids = append(ids, string(it.Item().Key()[len(p):]))
		}
		return nil
	})
	return ids, err
}

// Owners returns every owner e-mail with its account count, in order.
func (s *DB) Owners(ctx context.Context) ([]domain.OwnerCount, error) {
	var out []domain.OwnerCount
	err := s.db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: prefixOwnerIdx})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			k := it.Item().Key()[len(prefixOwnerIdx):]
			i := bytes.IndexByte(k, sep)
			owner := string(k[:i])
			if n := len(out); n > 0 && out[n-1].Owner == owner {
				out[n-1].Accounts++
			} else {
				out = append(out, domain.OwnerCount{Owner: owner, Accounts: 1})
			}
		}
		return nil
	})
	return out, err
}

// IDsRenewingBetween returns the ids of accounts renewing in [from, to], by date.
func (s *DB) IDsRenewingBetween(ctx context.Context, from, to domain.Date) ([]string, error) {
	var ids []string
	err := s.db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: prefixRenewIdx})
		defer it.Close()
		for it.Seek(join(prefixRenewIdx, dateBytes(from))); it.Valid(); it.Next() {
			k := it.Item().Key()[len(prefixRenewIdx):]
			if dateFrom(k[:4]) > to {
				break
			}
			ids = append(ids, string(k[4:]))
		}
		return nil
	})
	return ids, err
}

// HasAccount reports whether an account with this id exists, reading only
// its key: ingest checks every record's account, and reading the whole
// account (its usage history too) for each cost half of a request.
func (s *DB) HasAccount(ctx context.Context, id string) (bool, error) {
	if s.known.has(id) {
		return true, nil
	}
	gen := s.known.generation()
	var ok bool
	err := s.db.View(func(txn *badger.Txn) error {
		_, err := txn.Get(accountKey(id))
		if errors.Is(err, badger.ErrKeyNotFound) {
			return nil
		}
		ok = err == nil
		return err
	})
	if err != nil {
		return false, fmt.Errorf("looking up account %s: %w", id, err)
	}
	if ok {
		s.known.add(gen, id)
	}
	return ok, nil
}
