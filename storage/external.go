package storage

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/dgraph-io/badger/v4"

	"github.com/accountbot/accountbot/domain"
)

// External ids (see the key layout in keys.go):
//
//	ie/<source> 00 <external id> 00 <id> → index: accounts by external id (empty value)
//	q/<source> 00 <external id>          → review list: JSON of domain.UnmatchedRecord
//
// The index is written in the same transaction as the account record, and
// an account that gains an external id clears its review-list entry there
// too, so a record is never both matched and waiting for review.

func externalIdxPrefix(source, ext string) []byte {
	return join(prefixExternalIdx, []byte(source), []byte{sep}, []byte(ext), []byte{sep})
}

func reviewKey(source, ext string) []byte {
	return join(prefixReview, []byte(source), []byte{sep}, []byte(ext))
}

// externalOps returns the index writes and review-list deletions that move
// an account from old to next, and refuses an external id that another
// account already holds: two accounts with one CRM id would split a
// customer's data between them.
func externalOps(txn *badger.Txn, old, next *domain.Account) ([]op, error) {
	var ops []op
	if old != nil {
		for src, ext := range old.ExternalIDs {
			if next.ExternalIDs[src] != ext {
				ops = append(ops, op{key: join(externalIdxPrefix(src, ext), []byte(old.ID)), del: true})
			}
		}
	}
	for _, src := range next.ExternalIDs.Sources() {
		ext := next.ExternalIDs[src]
		if old != nil && old.ExternalIDs[src] == ext {
			continue
		}
		holder, err := externalHolder(txn, src, ext)
		if err != nil {
			return nil, err
		}
		if holder != "" && holder != next.ID {
			return nil, domain.Errorf(domain.EINVALID, "account %s: external_ids.%s: %q already belongs to account %s; remove it there first", next.ID, src, ext, holder)
		}
		ops = append(ops, op{key: join(externalIdxPrefix(src, ext), []byte(next.ID)), val: []byte{}},
			op{key: reviewKey(src, ext), del: true})
	}
	return ops, nil
}

// externalHolder returns the id of the account holding source's external
// id, or "".
func externalHolder(txn *badger.Txn, source, ext string) (string, error) {
	if !domain.ValidSource(source) || !domain.ValidExternalID(ext) {
		return "", nil // cannot be stored, so nobody holds it
	}
	p := externalIdxPrefix(source, ext)
	it := txn.NewIterator(badger.IteratorOptions{Prefix: p})
	defer it.Close()
	for it.Rewind(); it.Valid(); it.Next() {
		return string(it.Item().Key()[len(p):]), nil
	}
	return "", nil
}

// ResolveAccount returns the id of the account that ref names for source:
// the account whose id is ref, else the one whose external id for source is
// ref. Nothing matched is ENOTFOUND; names are never consulted.
func (s *DB) ResolveAccount(ctx context.Context, source, ref string) (string, error) {
	var id string
	err := s.db.View(func(txn *badger.Txn) error {
		var err error
		id, err = resolveTxn(txn, source, ref)
		return err
	})
	return id, err
}

func resolveTxn(txn *badger.Txn, source, ref string) (string, error) {
	if domain.ValidID(ref) {
		if _, err := txn.Get(accountKey(ref)); err == nil {
			return ref, nil
		} else if !errors.Is(err, badger.ErrKeyNotFound) {
			return "", fmt.Errorf("looking up account %s: %w", ref, err)
		}
	}
	id, err := externalHolder(txn, source, ref)
	if err != nil {
		return "", err
	}
	if id == "" {
		return "", domain.Errorf(domain.ENOTFOUND, "no account has id or %s external id %q", source, ref)
	}
	return id, nil
}

// AddUnmatched puts a record on the review list (or counts it again there).
func (s *DB) AddUnmatched(ctx context.Context, rec domain.UnmatchedRecord, at time.Time) error {
	err := s.db.Update(func(txn *badger.Txn) error { return addUnmatchedTxn(txn, rec, at) })
	if err != nil {
		return fmt.Errorf("recording unmatched %s record %q: %w", rec.Source, rec.ExternalID, err)
	}
	return nil
}

func addUnmatchedTxn(txn *badger.Txn, rec domain.UnmatchedRecord, at time.Time) error {
	if !domain.ValidSource(rec.Source) || rec.ExternalID == "" || bytes.IndexByte([]byte(rec.Source+rec.ExternalID), sep) >= 0 {
		return domain.Errorf(domain.EINVALID, "an unmatched record needs a valid source and an external id without NUL bytes")
	}
	if len(rec.ExternalID) > 256 {
		rec.ExternalID = rec.ExternalID[:256]
	}
	if len(rec.Sample) > 1024 {
		rec.Sample = rec.Sample[:1024]
	}
	k := reviewKey(rec.Source, rec.ExternalID)
	cur := rec
	cur.Count, cur.FirstSeen = 0, at.UTC()
	if b, err := getValue(txn, k); err == nil {
		if err := json.Unmarshal(b, &cur); err != nil {
			return fmt.Errorf("decoding review entry: %w", err)
		}
		cur.Kind, cur.Sample = rec.Kind, rec.Sample
	} else if !errors.Is(err, badger.ErrKeyNotFound) {
		return err
	}
	cur.Count++
	cur.LastSeen = at.UTC()
	return txn.Set(k, mustJSON(cur))
}

// Unmatched returns the review list, by source and external id.
func (s *DB) Unmatched(ctx context.Context) ([]domain.UnmatchedRecord, error) {
	var out []domain.UnmatchedRecord
	err := s.db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: prefixReview, PrefetchValues: true})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			var r domain.UnmatchedRecord
			if err := it.Item().Value(func(b []byte) error { return json.Unmarshal(b, &r) }); err != nil {
				return fmt.Errorf("decoding review entry: %w", err)
			}
			out = append(out, r)
		}
		return nil
	})
	return out, err
}
