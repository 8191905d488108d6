package storage

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/dgraph-io/badger/v4"

	"github.com/accountbot/accountbot/domain"
)

// op is one write of an Apply, with what the key held before it (for the
// undo journal).
type op struct {
	key, val []byte
	del      bool
	had      bool   // the key existed before
	prev     []byte // its value then
}

// Apply writes patches, all or nothing: each account's record, usage,
// signals and index entries are written together, and a crash or an error
// at any point leaves the store as before the call or fully after it.
// Patches that fit in one Badger transaction are one commit; when they
// outgrow it, Apply switches to several commits with an undo journal (see
// journal.go) that Open replays if the process dies before the end. The
// store is synced to disk before Apply returns, so a caller that reports
// success never loses the write to a crash. Applies run one at a time.
func (s *DB) Apply(ctx context.Context, patches []domain.Patch) (domain.ApplyStats, error) {
	s.applyMu.Lock()
	defer s.applyMu.Unlock()
	j := &journal{db: s}
	st, err := s.apply(ctx, patches, j)
	if err == nil && j.open {
		if err = j.commit(); err == nil {
			return st, nil // synced at its commit point
		}
	}
	if err != nil {
		if j.open {
			if rerr := s.rollback(); rerr != nil {
				return st, fmt.Errorf("%w (and rolling back failed: %v; the next start rolls it back)", err, rerr)
			}
		}
		return st, err
	}
	return st, s.Sync()
}

// apply is Apply's batch loop: as many accounts per transaction as fit,
// the journal opened when the first transaction overflows.
func (s *DB) apply(ctx context.Context, patches []domain.Patch, j *journal) (domain.ApplyStats, error) {
	var st domain.ApplyStats
	txn := s.db.NewTransaction(true)
	defer func() { txn.Discard() }()
	var pending [][]op // ops of the accounts in txn, to replay if it grows too big
	for i := range patches {
		if err := ctx.Err(); err != nil {
			return st, err
		}
		ops, err := s.planCounted(txn, &patches[i], &st)
		if err != nil {
			return st, err
		}
		if j.open {
			ops = j.withUndo(ops)
		}
		if err := setAll(txn, ops); errors.Is(err, badger.ErrTxnTooBig) {
			txn.Discard()
			if !j.open {
				// Nothing is committed yet: journal what was pending too.
				if err := j.begin(); err != nil {
					return st, err
				}
				for k := range pending {
					pending[k] = j.withUndo(pending[k])
				}
				ops = j.withUndo(ops)
			}
			// Commit the accounts that fit, then go on with this one.
			var err error
			if txn, err = s.replay(pending); err != nil {
				return st, err
			}
			pending = pending[:0]
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

// replay writes the pending accounts of a discarded transaction, which
// now carry undo entries and may need more than one commit, and returns a
// fresh transaction.
func (s *DB) replay(pending [][]op) (*badger.Txn, error) {
	txn := s.db.NewTransaction(true)
	for _, p := range pending {
		err := setAll(txn, p)
		if errors.Is(err, badger.ErrTxnTooBig) {
			// A cut inside an account is safe: its undo entry comes first.
			if err = txn.Commit(); err == nil {
				txn = s.db.NewTransaction(true)
				err = setAll(txn, p)
			}
		}
		if err != nil {
			txn.Discard()
			return nil, fmt.Errorf("replaying batch: %w", err)
		}
	}
	if err := txn.Commit(); err != nil {
		return nil, fmt.Errorf("committing batch: %w", err)
	}
	return s.db.NewTransaction(true), nil
}

// planCounted plans one patch and counts it in st.
func (s *DB) planCounted(txn *badger.Txn, p *domain.Patch, st *domain.ApplyStats) ([]op, error) {
	ops, kind, err := s.plan(txn, p, st)
	if err != nil {
		return nil, err
	}
	switch kind {
	case 'c':
		st.Created++
	case 'u':
		st.Updated++
	default:
		st.Unchanged++
	}
	return ops, nil
}

func setAll(txn *badger.Txn, ops []op) error {
	for _, o := range ops {
		var err error
		if o.del {
			err = txn.Delete(o.key)
		} else {
			err = txn.Set(o.key, o.val)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// plan reads what is stored for p's account and returns the writes that
// apply p, with 'c' (created), 'u' (updated) or 0 (no change).
func (s *DB) plan(txn *badger.Txn, p *domain.Patch, st *domain.ApplyStats) ([]op, byte, error) {
	old, oldRaw, err := getRecordRaw(txn, p.ID)
	if err != nil && domain.ErrorCode(err) != domain.ENOTFOUND {
		return nil, 0, err
	}
	if old == nil && p.Core == nil {
		return nil, 0, domain.Errorf(domain.ENOTFOUND, "no account with id %q", p.ID)
	}
	next := old
	if p.Core != nil {
		c := *p.Core
		c.Usage, c.Signals = nil, nil
		if old != nil && !p.ReplaceStakeholders && c.Stakeholders == nil {
			c.Stakeholders = old.Stakeholders
		}
		next = &c
	} else {
		c := *old
		next = &c
	}
	if p.ReplaceStakeholders {
		next.Stakeholders = p.Stakeholders
	}
	next.Normalize()
	if errs := next.Validate(); errs != nil {
		return nil, 0, domain.ValidationError("account "+p.ID, errs)
	}
	var ops []op
	kind := byte(0)
	oldJSON, newJSON := []byte(nil), mustJSON(next)
	if old != nil {
		oldJSON = mustJSON(old)
	}
	if !bytes.Equal(oldJSON, newJSON) {
		kind = 'u'
		if old == nil {
			kind = 'c'
		}
		ops = append(ops, op{key: accountKey(p.ID), val: newJSON, had: old != nil, prev: oldRaw})
		ops = append(ops, indexOps(old, next)...)
		ext, err := externalOps(txn, old, next)
		if err != nil {
			return nil, 0, err
		}
		ops = append(ops, ext...)
	}
	for _, u := range p.Usage {
		k, v := usageKey(p.ID, u.Date), encodeSnapshot(u)
		cur, err := getValue(txn, k)
		if err != nil && !errors.Is(err, badger.ErrKeyNotFound) {
			return nil, 0, fmt.Errorf("reading usage of %s: %w", p.ID, err)
		}
		if err == nil && bytes.Equal(cur, v) {
			continue
		}
		ops = append(ops, op{key: k, val: v, had: err == nil, prev: cur})
		st.Snapshots++
	}
	for _, sg := range p.Signals {
		k := signalKey(p.ID, sg)
		if _, err := txn.Get(k); err == nil {
			continue
		} else if !errors.Is(err, badger.ErrKeyNotFound) {
			return nil, 0, fmt.Errorf("reading signals of %s: %w", p.ID, err)
		}
		ops = append(ops, op{key: k, val: mustJSON(signalValue{Kind: sg.Kind, Note: sg.Note})})
		st.Signals++
	}
	if kind == 0 && len(ops) > 0 {
		kind = 'u'
	}
	return ops, kind, nil
}

type signalValue struct {
	Kind domain.SignalKind `json:"kind"`
	Note string            `json:"note,omitempty"`
}

// indexOps returns the index deletions and insertions that move an account
// from its old record to the new one.
func indexOps(old, next *domain.Account) []op {
	keys := func(a *domain.Account) [][]byte {
		if a == nil {
			return nil
		}
		var out [][]byte
		if a.Owner != "" {
			out = append(out, ownerIdxKey(a.Owner, a.ID))
		}
		if !a.RenewalDate.IsZero() {
			out = append(out, renewalIdxKey(a.RenewalDate, a.ID))
		}
		seen := map[string]bool{}
		for _, n := range append([]string{a.Name}, a.Aliases...) {
			if norm := domain.NormalizeName(n); norm != "" && !seen[norm] {
				seen[norm] = true
				out = append(out, nameIdxKey(norm, a.ID))
			}
		}
		return out
	}
	oldKeys, newKeys := keys(old), keys(next)
	var ops []op
	for _, k := range oldKeys {
		if !slices.ContainsFunc(newKeys, func(n []byte) bool { return bytes.Equal(n, k) }) {
			ops = append(ops, op{key: k, del: true, had: true, prev: []byte{}})
		}
	}
	for _, k := range newKeys {
		if !slices.ContainsFunc(oldKeys, func(o []byte) bool { return bytes.Equal(o, k) }) {
			ops = append(ops, op{key: k, val: []byte{}})
		}
	}
	return ops
}

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
	var a domain.Account
	if err := item.Value(func(b []byte) error { return json.Unmarshal(b, &a) }); err != nil {
		return nil, fmt.Errorf("decoding account %s: %w", id, err)
	}
	return &a, nil
}

// getRecordRaw returns the account record decoded and as stored.
func getRecordRaw(txn *badger.Txn, id string) (*domain.Account, []byte, error) {
	item, err := txn.Get(accountKey(id))
	if errors.Is(err, badger.ErrKeyNotFound) {
		return nil, nil, domain.Errorf(domain.ENOTFOUND, "no account with id %q", id)
	} else if err != nil {
		return nil, nil, fmt.Errorf("reading account %s: %w", id, err)
	}
	raw, err := item.ValueCopy(nil)
	if err != nil {
		return nil, nil, fmt.Errorf("reading account %s: %w", id, err)
	}
	var a domain.Account
	if err := json.Unmarshal(raw, &a); err != nil {
		return nil, nil, fmt.Errorf("decoding account %s: %w", id, err)
	}
	return &a, raw, nil
}

// Account returns the full account: record, usage and signals.
func (s *DB) Account(ctx context.Context, id string) (*domain.Account, error) {
	var a *domain.Account
	err := s.db.View(func(txn *badger.Txn) error {
		var err error
		if a, err = getRecord(txn, id); err != nil {
			return err
		}
		it := txn.NewIterator(badger.IteratorOptions{})
		defer it.Close()
		return loadDated(it, a)
	})
	return a, err
}

// loadDated fills a's usage and signals from the iterator (any position).
func loadDated(it *badger.Iterator, a *domain.Account) error {
	a.Usage, a.Signals = a.Usage[:0], a.Signals[:0]
	it.Seek(accountPrefix(prefixUsage, a.ID))
	if err := scanUsage(it, a); err != nil {
		return err
	}
	it.Seek(accountPrefix(prefixSignal, a.ID))
	return scanSignals(it, a)
}

// ForEach calls fn with every account, fully loaded, in id order, from one
// consistent snapshot. fn must not keep the account after it returns: the
// same value is reused for the next account to spare allocations.
func (s *DB) ForEach(ctx context.Context, fn func(*domain.Account) error) error {
	var a domain.Account
	var usage []domain.Snapshot
	var sigs []domain.Signal
	return s.scanBook(ctx, true, func(rec *badger.Item, u []domain.Snapshot, sg []domain.Signal) error {
		usage, sigs = u, sg
		a = domain.Account{}
		if err := rec.Value(func(b []byte) error { return json.Unmarshal(b, &a) }); err != nil {
			return fmt.Errorf("decoding account %s: %w", rec.Key(), err)
		}
		a.Usage, a.Signals = usage, sigs
		return fn(&a)
	})
}

// scanBook walks every account in id order, handing fn the account's
// record and its usage and signals. Accounts, usage and signals are all
// keyed by id first, so this is a merge join of three forward scans: no
// seeks, and no value prefetching (usage values are 16 bytes stored inline;
// Badger's prefetch would start a goroutine per item). With reuse, the
// slices passed to fn are reused for the next account.
func (s *DB) scanBook(ctx context.Context, reuse bool, fn func(rec *badger.Item, usage []domain.Snapshot, sigs []domain.Signal) error) error {
	return s.db.View(func(txn *badger.Txn) error {
		accIt := txn.NewIterator(badger.IteratorOptions{Prefix: prefixAccount})
		defer accIt.Close()
		useIt := txn.NewIterator(badger.IteratorOptions{Prefix: prefixUsage})
		defer useIt.Close()
		sigIt := txn.NewIterator(badger.IteratorOptions{Prefix: prefixSignal})
		defer sigIt.Close()
		useIt.Rewind()
		sigIt.Rewind()
		var a domain.Account
		n := 0
		for accIt.Rewind(); accIt.Valid(); accIt.Next() {
			if n++; n%1024 == 0 {
				if err := ctx.Err(); err != nil {
					return err
				}
			}
			a.ID = string(accIt.Item().Key()[len(prefixAccount):])
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
			if err := fn(accIt.Item(), a.Usage, a.Signals); err != nil {
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
	type job struct {
		rec     []byte
		usage   []domain.Snapshot
		signals []domain.Signal
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
				if err := json.Unmarshal(j.rec, a); err != nil {
					errs <- fmt.Errorf("decoding an account: %w", err)
					cancel()
					return
				}
				a.Usage, a.Signals = j.usage, j.signals
				if err := fn(w, a); err != nil {
					errs <- err
					cancel()
					return
				}
			}
		})
	}
	scanErr := s.scanBook(ctx, false, func(rec *badger.Item, usage []domain.Snapshot, sigs []domain.Signal) error {
		b, err := rec.ValueCopy(nil)
		if err != nil {
			return err
		}
		select {
		case jobs <- job{b, usage, sigs}:
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
