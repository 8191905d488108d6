package badger

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/dgraph-io/badger/v4"

	"github.com/accountbot/accountbot/connector"
	"github.com/accountbot/accountbot/domain"
)

// CRM sync (see the key layout in keys.go):
//
//	y/<source> 00 cursor            → the source's cursor (opaque bytes)
//	y/<source> 00 status            → JSON of connector.Status
//	ym/<account id>                 → JSON of connector.Mark: deleted or merged at the source
//	yo/<source> 00 <write id>       → JSON of connector.Write: the write-back outbox
//	yd/<write id>                   → remote id of a delivered write (idempotency)
//	yp/<source> 00 <account id>     → JSON of the property values last delivered
//
// Records match on the same external ids as ingest (external.go): the
// account's ExternalIDs[source], indexed under ie/ by the account write,
// and unmatched records go on the one review list (q/).
//
// A page's accounts (with their indexes), marks, review entries and the
// cursor after it are written in one transaction: a crash leaves the store
// at a page boundary, and the next run resumes from that cursor.
var (
	prefixSync      = []byte("y/")
	prefixSyncMark  = []byte("ym/")
	prefixOutbox    = []byte("yo/")
	prefixDelivered = []byte("yd/")
	prefixWritten   = []byte("yp/")
)

// unmatchedKindSync is the review-list kind of a CRM record no account matched.
const unmatchedKindSync = connector.UnmatchedKind

func syncKey(table []byte, a, b string) []byte {
	return join(table, []byte(a), []byte{sep}, []byte(b))
}

// SyncState implements connector.Store.
func (s *DB) SyncState(ctx context.Context, source string) (connector.Cursor, connector.Status, error) {
	var cur connector.Cursor
	var st connector.Status
	err := s.db.View(func(txn *badger.Txn) error {
		if b, err := getValue(txn, syncKey(prefixSync, source, "cursor")); err == nil {
			cur = connector.Cursor(b)
		} else if !errors.Is(err, badger.ErrKeyNotFound) {
			return err
		}
		if b, err := getValue(txn, syncKey(prefixSync, source, "status")); err == nil {
			return json.Unmarshal(b, &st)
		} else if !errors.Is(err, badger.ErrKeyNotFound) {
			return err
		}
		return nil
	})
	if err != nil {
		return "", st, fmt.Errorf("reading %s sync state: %w", source, err)
	}
	return cur, st, nil
}

// SaveStatus implements connector.Store.
func (s *DB) SaveStatus(ctx context.Context, source string, st connector.Status) error {
	return s.db.Update(func(txn *badger.Txn) error {
		return txn.Set(syncKey(prefixSync, source, "status"), mustJSON(st))
	})
}

// Match implements connector.Store: the account ingest would resolve the
// external id to (by id, else by ExternalIDs[source]), else the account a
// sync created for the record ("<source>-<external id>").
func (s *DB) Match(ctx context.Context, source string, ext []string) (map[string]*domain.Account, error) {
	out := make(map[string]*domain.Account, len(ext))
	err := s.db.View(func(txn *badger.Txn) error {
		idx := newExtReader(txn) // one iterator for the page's lookups
		defer idx.close()
		// In key order, so the index is read forward (extReader).
		for _, e := range slices.Sorted(slices.Values(ext)) {
			id, err := resolveWith(txn, source, e, func() (string, error) { return idx.holder(source, e), nil })
			if domain.ErrorCode(err) == domain.ENOTFOUND {
				id = source + "-" + e
			} else if err != nil {
				return err
			}
			if !domain.ValidID(id) {
				continue
			}
			a, err := getRecord(txn, id)
			if domain.ErrorCode(err) == domain.ENOTFOUND {
				continue
			} else if err != nil {
				return err
			}
			out[e] = a
		}
		return nil
	})
	return out, err
}

// LinkExternal matches an existing account to a source's external id by
// setting it in the account's ExternalIDs (the normal account write keeps
// the index).
func (s *DB) LinkExternal(ctx context.Context, source, ext, id string) error {
	return s.db.Update(func(txn *badger.Txn) error {
		a, err := getRecord(txn, id)
		if err != nil {
			return err
		}
		a.ExternalIDs = withExternalID(a.ExternalIDs, source, ext)
		var st domain.ApplyStats
		ops, err := s.plan(txn, nil, &domain.Patch{ID: id, Core: a}, &st)
		if err != nil {
			return err
		}
		return setAll(txn, ops)
	})
}

// withExternalID returns a copy of x with source's id set (the caller's
// map is never changed).
func withExternalID(x domain.ExternalIDs, source, ext string) domain.ExternalIDs {
	out := maps.Clone(x)
	if out == nil {
		out = domain.ExternalIDs{}
	}
	out[source] = ext
	return out
}

// ExternalID returns the source's external id of an account ("" if none).
func (s *DB) ExternalID(ctx context.Context, source, id string) (string, error) {
	var ext string
	err := s.db.View(func(txn *badger.Txn) error {
		a, err := getRecord(txn, id)
		if domain.ErrorCode(err) == domain.ENOTFOUND {
			return nil
		} else if err != nil {
			return err
		}
		ext = a.ExternalIDs[source]
		return nil
	})
	if err != nil {
		return "", fmt.Errorf("reading %s external id of %s: %w", source, id, err)
	}
	return ext, nil
}

// CommitPage implements connector.Store. Each account is written with
// ExternalIDs[source] set, so the account write keeps the external-id index
// and clears the record's review-list entry.
func (s *DB) CommitPage(ctx context.Context, source string, c connector.Commit) error {
	claims := newExtClaims(s.db) // no iterator per account in the page's transaction (external.go)
	defer claims.close()
	return s.db.Update(func(txn *badger.Txn) error {
		var st domain.ApplyStats
		for _, l := range c.Accounts {
			acct := *l.Account
			acct.ExternalIDs = withExternalID(acct.ExternalIDs, source, l.ExternalID)
			p := domain.Patch{ID: acct.ID, Core: &acct, ReplaceStakeholders: true, Stakeholders: acct.Stakeholders, Source: source}
			ops, err := s.plan(txn, claims, &p, &st)
			if err != nil {
				return err
			}
			// Seen alive again (restored in the CRM): no longer marked, no longer unmatched.
			ops = append(ops, op{key: reviewKey(source, l.ExternalID), del: true},
				op{key: join(prefixSyncMark, []byte(acct.ID)), del: true})
			if err := setAll(txn, ops); err != nil {
				return err
			}
		}
		for _, id := range c.Alive {
			k := join(prefixSyncMark, []byte(id))
			if _, err := txn.Get(k); err == nil {
				if err := txn.Delete(k); err != nil {
					return err
				}
			} else if !errors.Is(err, badger.ErrKeyNotFound) {
				return err
			}
		}
		for _, m := range c.Marks {
			if err := txn.Set(join(prefixSyncMark, []byte(m.AccountID)), mustJSON(m)); err != nil {
				return err
			}
		}
		now := time.Now()
		for _, u := range c.Unmatched {
			rec := domain.UnmatchedRecord{Source: source, ExternalID: u.ExternalID, Kind: unmatchedKindSync, Sample: u.Sample}
			if err := addUnmatchedTxn(txn, rec, now); err != nil {
				return fmt.Errorf("recording unmatched %s record %q: %w", source, u.ExternalID, err)
			}
		}
		return txn.Set(syncKey(prefixSync, source, "cursor"), []byte(c.Cursor))
	})
}

// SyncMarks returns the accounts whose source record was deleted or merged.
func (s *DB) SyncMarks(ctx context.Context) ([]connector.Mark, error) {
	var out []connector.Mark
	err := s.scanJSON(prefixSyncMark, func(b []byte) error {
		var m connector.Mark
		err := json.Unmarshal(b, &m)
		out = append(out, m)
		return err
	})
	return out, err
}

// SyncUnmatched returns the CRM records on the review list (the entries
// CommitPage put there; Unmatched returns the whole list).
func (s *DB) SyncUnmatched(ctx context.Context) ([]connector.Unmatched, error) {
	all, err := s.Unmatched(ctx)
	if err != nil {
		return nil, err
	}
	return connector.SyncUnmatched(all), nil
}

func (s *DB) scanJSON(prefix []byte, fn func([]byte) error) error {
	return s.db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: prefix, PrefetchValues: true})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			if err := it.Item().Value(fn); err != nil {
				return fmt.Errorf("decoding %s: %w", it.Item().Key(), err)
			}
		}
		return nil
	})
}

// Enqueue implements connector.OutboxStore.
func (s *DB) Enqueue(ctx context.Context, w connector.Write) error {
	return s.db.Update(func(txn *badger.Txn) error {
		k := syncKey(prefixOutbox, w.Source, w.ID)
		if w.Kind == connector.WriteNote {
			for _, key := range [][]byte{k, join(prefixDelivered, []byte(w.ID))} {
				if _, err := txn.Get(key); err == nil {
					return nil // queued or delivered already: idempotent
				} else if !errors.Is(err, badger.ErrKeyNotFound) {
					return err
				}
			}
		}
		return txn.Set(k, mustJSON(w))
	})
}

// Due implements connector.OutboxStore.
func (s *DB) Due(ctx context.Context, source string, now time.Time, limit int) ([]connector.Write, error) {
	var out []connector.Write
	err := s.scanJSON(syncKey(prefixOutbox, source, ""), func(b []byte) error {
		var w connector.Write
		if err := json.Unmarshal(b, &w); err != nil {
			return err
		}
		if !w.Failed && !w.NextAttempt.After(now) && len(out) < limit {
			out = append(out, w)
		}
		return nil
	})
	return out, err
}

// Delivered implements connector.OutboxStore.
func (s *DB) Delivered(ctx context.Context, w connector.Write, remote string) error {
	return s.db.Update(func(txn *badger.Txn) error {
		if err := txn.Delete(syncKey(prefixOutbox, w.Source, w.ID)); err != nil {
			return err
		}
		if w.Kind == connector.WriteNote {
			return txn.Set(join(prefixDelivered, []byte(w.ID)), []byte(remote))
		}
		return txn.Set(syncKey(prefixWritten, w.Source, w.AccountID), mustJSON(w.Properties))
	})
}

// Reschedule implements connector.OutboxStore.
func (s *DB) Reschedule(ctx context.Context, w connector.Write) error {
	return s.db.Update(func(txn *badger.Txn) error {
		return txn.Set(syncKey(prefixOutbox, w.Source, w.ID), mustJSON(w))
	})
}

// Written implements connector.OutboxStore.
func (s *DB) Written(ctx context.Context, source, id string) (map[string]string, error) {
	var out map[string]string
	err := s.db.View(func(txn *badger.Txn) error {
		b, err := getValue(txn, syncKey(prefixWritten, source, id))
		if errors.Is(err, badger.ErrKeyNotFound) {
			return nil
		} else if err != nil {
			return err
		}
		return json.Unmarshal(b, &out)
	})
	return maps.Clone(out), err
}

// Pending implements connector.OutboxStore.
func (s *DB) Pending(ctx context.Context, source string) (pending, failed int, lastErr string, err error) {
	var lastAt time.Time
	err = s.scanJSON(syncKey(prefixOutbox, source, ""), func(b []byte) error {
		var w connector.Write
		if err := json.Unmarshal(b, &w); err != nil {
			return err
		}
		if w.Failed {
			failed++
		} else {
			pending++
		}
		if w.LastError != "" && !w.NextAttempt.Before(lastAt) {
			lastErr, lastAt = w.LastError, w.NextAttempt
		}
		return nil
	})
	return pending, failed, lastErr, err
}
