package badger

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/dgraph-io/badger/v4/pb"

	"github.com/accountbot/accountbot/domain"
	"github.com/accountbot/accountbot/internal/apijson"
)

// Stored evaluations (keys documented in keys.go): the record under ev/,
// and two indexes by rank key, per owner (eo/) and for the whole book
// (eb/), written and deleted in the record's transaction.
var (
	prefixEval      = []byte("ev/")
	prefixEvalOwner = []byte("eo/")
	prefixEvalBook  = []byte("eb/")
	// What the evaluator watches: keys that are a prefix and an account id
	// (a/, ds/), and keys where the id is followed by the separator (u/, s/).
	watchIDKeys       = [][]byte{prefixAccount, prefixStamp}
	watchIDSepKeys    = [][]byte{prefixUsage, prefixSignal}
	evalWatchPrefixes = slices.Concat(watchIDKeys, watchIDSepKeys)
)

func evalKey(id string) []byte { return join(prefixEval, []byte(id)) }

func evalOwnerKey(r domain.EvalRecord) []byte {
	return join(prefixEvalOwner, []byte(r.Owner), []byte{sep}, r.RankKey(), []byte(r.ID))
}

func evalBookKey(r domain.EvalRecord) []byte { return join(prefixEvalBook, r.RankKey(), []byte(r.ID)) }

// Evaluation returns an account's stored evaluation, if any.
func (s *DB) Evaluation(ctx context.Context, id string) (domain.EvalRecord, bool, error) {
	var r domain.EvalRecord
	var found bool
	err := s.db.View(func(txn *badger.Txn) error {
		var err error
		r, found, err = s.getEvalCached(txn, id)
		return err
	})
	return r, found, err
}

// getEvalCached reads an account's stored evaluation through the cache of
// decoded records (evalcache.go).
func (s *DB) getEvalCached(txn *badger.Txn, id string) (domain.EvalRecord, bool, error) {
	item, found, err := evalItem(txn, id)
	if !found || err != nil {
		return domain.EvalRecord{}, false, err
	}
	if r, ok := s.evals.get(id, item.Version()); ok {
		return r, true, nil
	}
	r, err := decodeEval(item, id)
	if err != nil {
		return r, false, err
	}
	s.evals.put(id, item.Version(), r)
	return r, true, nil
}

// readEval is getEvalCached without the cache (a batch reads each record
// once).
func readEval(txn *badger.Txn, id string) (domain.EvalRecord, bool, error) {
	item, found, err := evalItem(txn, id)
	if !found || err != nil {
		return domain.EvalRecord{}, false, err
	}
	r, err := decodeEval(item, id)
	return r, err == nil, err
}

// evalItem is an account's stored evaluation, undecoded (found false when
// it has none).
func evalItem(txn *badger.Txn, id string) (*badger.Item, bool, error) {
	item, err := txn.Get(evalKey(id))
	if errors.Is(err, badger.ErrKeyNotFound) {
		return nil, false, nil
	} else if err != nil {
		return nil, false, fmt.Errorf("reading the evaluation of %s: %w", id, err)
	}
	return item, true, nil
}

// decodeEval decodes a stored evaluation with apijson, as getRecord
// decodes an account record.
func decodeEval(item *badger.Item, id string) (domain.EvalRecord, error) {
	var r domain.EvalRecord
	if err := item.Value(func(b []byte) error { return apijson.Unmarshal(b, &r) }); err != nil {
		return r, fmt.Errorf("decoding the evaluation of %s: %w", id, err)
	}
	return r, nil
}

// PutEvaluations stores records, replacing each account's previous record
// and its index entries: a record and its index entries are always in one
// transaction (evalBatch records to a transaction, well inside Badger's
// limits).
func (s *DB) PutEvaluations(ctx context.Context, recs []domain.EvalRecord) error {
	for len(recs) > 0 {
		chunk := recs[:min(len(recs), evalBatch)]
		recs = recs[len(chunk):]
		err := s.db.Update(func(txn *badger.Txn) error {
			for _, r := range chunk {
				if err := putEval(txn, r); err != nil {
					return err
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

const evalBatch = 256

func putEval(txn *badger.Txn, r domain.EvalRecord) error {
	if err := checkKeyPart("owner", r.Owner); err != nil {
		return err
	}
	if err := deleteEval(txn, r.ID); err != nil {
		return err
	}
	for _, k := range [][]byte{evalOwnerKey(r), evalBookKey(r)} {
		if err := txn.Set(k, nil); err != nil {
			return err
		}
	}
	return txn.Set(evalKey(r.ID), mustJSON(r))
}

// evalIndexed is the part of a stored record its index keys are made of
// (evalOwnerKey, RankKey): replacing a record decodes only these, not the
// card's text.
type evalIndexed struct {
	Owner    string          `json:"owner"`
	Override bool            `json:"override"`
	Impact   int64           `json:"impact_minor"`
	Priority domain.Priority `json:"priority"`
	ARR      int64           `json:"arr_minor"`
	Renewal  int             `json:"renewal"`
}

// deleteEval removes a record and its index entries (none: nothing).
func deleteEval(txn *badger.Txn, id string) error {
	item, err := txn.Get(evalKey(id))
	if errors.Is(err, badger.ErrKeyNotFound) {
		return nil
	} else if err != nil {
		return fmt.Errorf("reading the evaluation of %s: %w", id, err)
	}
	var x evalIndexed
	if err := item.Value(func(b []byte) error { return json.Unmarshal(b, &x) }); err != nil {
		return fmt.Errorf("decoding the evaluation of %s: %w", id, err)
	}
	old := domain.EvalRecord{ID: id, Owner: x.Owner, Override: x.Override, Impact: x.Impact, Priority: x.Priority, ARR: x.ARR, Renewal: x.Renewal}
	for _, k := range [][]byte{evalOwnerKey(old), evalBookKey(old), evalKey(id)} {
		if err := txn.Delete(k); err != nil {
			return err
		}
	}
	return nil
}

// DeleteEvaluation removes an account's stored evaluation (a deleted account).
func (s *DB) DeleteEvaluation(ctx context.Context, id string) error {
	if err := s.db.Update(func(txn *badger.Txn) error { return deleteEval(txn, id) }); err != nil {
		return fmt.Errorf("deleting the evaluation of %s: %w", id, err)
	}
	return nil
}

// ForEachEvaluation calls fn with every stored evaluation, in id order.
func (s *DB) ForEachEvaluation(ctx context.Context, fn func(domain.EvalRecord) error) error {
	return s.db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: prefixEval, PrefetchValues: true, PrefetchSize: 256})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			if err := ctx.Err(); err != nil {
				return err
			}
			var r domain.EvalRecord
			if err := it.Item().Value(func(b []byte) error { return json.Unmarshal(b, &r) }); err != nil {
				return fmt.Errorf("decoding the evaluation of %s: %w", it.Item().Key()[len(prefixEval):], err)
			}
			if err := fn(r); err != nil {
				return err
			}
		}
		return nil
	})
}

// Ranked calls fn with account ids in rank order (most in need first), of
// one owner's accounts or, when book is true, of the whole book, until fn
// returns false. It reads the index only: the cost is the ids read.
func (s *DB) Ranked(ctx context.Context, owner string, book bool, fn func(id string) bool) error {
	p := join(prefixEvalOwner, []byte(owner), []byte{sep})
	if book {
		p = prefixEvalBook
	}
	return s.db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: p})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			if !fn(string(it.Item().Key()[len(p)+domain.RankKeyLen:])) {
				return nil
			}
		}
		return nil
	})
}

// WatchAccounts calls fn with the ids of accounts whose record, usage or
// signals were written, by anyone, soon after each commit, until ctx ends.
// fn runs on one goroutine and should hand the ids on quickly. ready
// (optional) is called once every commit from then on is reported: Badger
// registers a subscription inside its blocking Subscribe, so a probe key
// (prefixWatchProbe) is written until the subscription sees it.
func (s *DB) WatchAccounts(ctx context.Context, fn func(ids []string), ready func()) error {
	matches := make([]pb.Match, 0, len(evalWatchPrefixes)+1)
	for _, p := range evalWatchPrefixes {
		matches = append(matches, pb.Match{Prefix: p})
	}
	probe := append(slices.Clip(prefixWatchProbe), strconv.FormatInt(time.Now().UnixNano(), 36)...)
	matches = append(matches, pb.Match{Prefix: probe})
	live := make(chan struct{})
	var once sync.Once
	go s.probeWatch(ctx, probe, live)
	err := s.db.Subscribe(ctx, func(kvs *badger.KVList) error {
		seen := map[string]bool{}
		var ids []string
		for _, kv := range kvs.Kv {
			if bytes.HasPrefix(kv.Key, probe) {
				once.Do(func() {
					close(live)
					if ready != nil {
						ready()
					}
				})
			} else if id, ok := watchedID(kv.Key); ok && !seen[id] {
				seen[id] = true
				ids = append(ids, id)
			}
		}
		if len(ids) > 0 {
			fn(ids)
		}
		return nil
	}, matches)
	if err != nil && ctx.Err() != nil {
		return nil
	}
	return err
}

// probeWatch writes the probe key every few milliseconds until the
// subscription has seen it (live closed) or ctx ends, then deletes it.
func (s *DB) probeWatch(ctx context.Context, probe []byte, live <-chan struct{}) {
	defer s.db.Update(func(txn *badger.Txn) error { return txn.Delete(probe) })
	for {
		if err := s.db.Update(func(txn *badger.Txn) error { return txn.Set(probe, nil) }); err != nil {
			s.log.Warn("probing the account watch", "err", err)
		}
		select {
		case <-live:
			return
		case <-ctx.Done():
			return
		case <-time.After(5 * time.Millisecond):
		}
	}
}

// watchedID is the account id in a/<id>, ds/<id>, u/<id> 00 … or s/<id> 00 ….
func watchedID(k []byte) (string, bool) {
	for _, p := range watchIDKeys {
		if rest, ok := bytes.CutPrefix(k, p); ok {
			return string(rest), true
		}
	}
	for _, p := range watchIDSepKeys {
		if rest, ok := bytes.CutPrefix(k, p); ok {
			if i := bytes.IndexByte(rest, sep); i > 0 {
				return string(rest[:i]), true
			}
		}
	}
	return "", false
}

// EvaluationOwners counts stored evaluations per owner ("" for unowned), in
// owner order, from the owner index's keys.
func (s *DB) EvaluationOwners(ctx context.Context) ([]domain.OwnerCount, error) {
	var out []domain.OwnerCount
	err := s.db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: prefixEvalOwner})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			k := it.Item().Key()[len(prefixEvalOwner):]
			owner := string(k[:bytes.IndexByte(k, sep)])
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
