package badger

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
// customer's data between them. claims, when not nil, answers for a write
// transaction that writes many accounts (see extClaims) and learns the
// writes returned here.
func externalOps(txn *badger.Txn, claims *extClaims, old, next *domain.Account) ([]op, error) {
	var ops []op
	if old != nil {
		for src, ext := range old.ExternalIDs {
			if next.ExternalIDs[src] != ext {
				ops = append(ops, op{key: join(externalIdxPrefix(src, ext), []byte(old.ID)), del: true})
				claims.release(src, ext, old.ID)
			}
		}
	}
	for _, src := range next.ExternalIDs.Sources() {
		ext := next.ExternalIDs[src]
		if old != nil && old.ExternalIDs[src] == ext {
			continue
		}
		holder, err := claims.holder(txn, src, ext)
		if err != nil {
			return nil, err
		}
		if holder != "" && holder != next.ID {
			return nil, domain.Errorf(domain.EINVALID, "account %s: external_ids.%s: %q already belongs to account %s; remove it there first", next.ID, src, ext, holder)
		}
		ops = append(ops, op{key: join(externalIdxPrefix(src, ext), []byte(next.ID)), val: []byte{}},
			op{key: reviewKey(src, ext), del: true})
		claims.claim(src, ext, next.ID)
	}
	return ops, nil
}

// extClaims answers "who holds this external id" inside one write
// transaction that writes many accounts (a CRM page, an import batch)
// without opening an iterator in it: Badger sorts all of a transaction's
// pending writes for every iterator opened in it, which made a page of n
// accounts cost n sorts. Instead the index as committed is read in a
// read-only transaction (one iterator, no pending writes to sort), and the claims and
// releases this transaction made are remembered in a map, which is all it
// can have changed of the index: every index write goes through
// externalOps. A holder found committed is read again with a point Get in
// the write transaction, so a concurrent change to it still conflicts at
// commit as before.
type extClaims struct {
	db   *badger.DB
	read *badger.Txn       // opened on the first lookup the map cannot answer
	idx  *extReader        // over read
	held map[string]string // source NUL external id → holder after this transaction's writes ("": released)
}

func newExtClaims(db *badger.DB) *extClaims {
	return &extClaims{db: db, held: map[string]string{}}
}

// close discards the read transaction; a nil extClaims is fine.
func (c *extClaims) close() {
	if c != nil && c.read != nil {
		c.idx.close()
		c.read.Discard()
		c.read = nil
	}
}

func claimKey(source, ext string) string { return source + "\x00" + ext }

func (c *extClaims) claim(source, ext, id string) {
	if c != nil {
		c.held[claimKey(source, ext)] = id
	}
}

func (c *extClaims) release(source, ext, id string) {
	if c == nil {
		return
	}
	k := claimKey(source, ext)
	if cur, ok := c.held[k]; !ok || cur == id {
		c.held[k] = ""
	}
}

// holder is externalHolder for the write transaction txn; a nil extClaims
// looks in txn itself (fine for a transaction of one account).
func (c *extClaims) holder(txn *badger.Txn, source, ext string) (string, error) {
	if c == nil {
		return externalHolder(txn, source, ext)
	}
	if id, ok := c.held[claimKey(source, ext)]; ok {
		return id, nil
	}
	if c.read == nil {
		c.read = c.db.NewTransaction(false)
		c.idx = newExtReader(c.read)
	}
	id := c.idx.holder(source, ext)
	if id == "" {
		return "", nil
	}
	// The read transaction may be newer than txn: a holder txn cannot see
	// yet was committed concurrently, and the Get makes txn's commit
	// conflict on it (as an iterator's item would have).
	if _, err := txn.Get(join(externalIdxPrefix(source, ext), []byte(id))); errors.Is(err, badger.ErrKeyNotFound) {
		return "", nil
	} else if err != nil {
		return "", fmt.Errorf("reading the %s external id index: %w", source, err)
	}
	return id, nil
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

// extReader looks external ids up with one iterator over the index,
// seeking for each: opening an iterator costs more than the lookup (it
// sets up one per table), and a sync looks up thousands of ids at a time.
// txn must be read-only (an iterator in a write transaction sorts its
// pending writes) and outlive the extReader.
//
// Lookups in key order (a sorted page) step forward instead of seeking
// when the next id is at most a few keys ahead: a seek goes through every
// table of the store, and was most of a CRM page's matching.
type extReader struct {
	it   *badger.Iterator
	last []byte // the prefix of the last lookup; the iterator is at the first key ≥ it
}

func newExtReader(txn *badger.Txn) *extReader {
	return &extReader{it: txn.NewIterator(badger.IteratorOptions{Prefix: prefixExternalIdx})}
}

func (r *extReader) close() { r.it.Close() }

// holder is externalHolder through the reader's iterator.
func (r *extReader) holder(source, ext string) string {
	if !domain.ValidSource(source) || !domain.ValidExternalID(ext) {
		return ""
	}
	p := externalIdxPrefix(source, ext)
	r.moveTo(p)
	if r.it.ValidForPrefix(p) {
		return string(r.it.Item().Key()[len(p):])
	}
	return ""
}

// maxSteps bounds the keys stepped over before a lookup seeks instead.
const maxSteps = 8

// moveTo puts the iterator at the first key ≥ p (or past the index).
func (r *extReader) moveTo(p []byte) {
	// After the last lookup the iterator is at the first key ≥ last, so
	// for p ≥ last every key before it is < p: stepping finds what a
	// seek would.
	if r.last != nil && bytes.Compare(p, r.last) >= 0 {
		for range maxSteps {
			if !r.it.Valid() || bytes.Compare(r.it.Item().Key(), p) >= 0 {
				r.last = p
				return
			}
			r.it.Next()
		}
	}
	r.it.Seek(p)
	r.last = p
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
	return resolveWith(txn, source, ref, func() (string, error) { return externalHolder(txn, source, ref) })
}

// resolveWith is resolveTxn with the external-id lookup given (Match
// passes an extReader's).
func resolveWith(txn *badger.Txn, source, ref string, holder func() (string, error)) (string, error) {
	if domain.ValidID(ref) {
		if _, err := txn.Get(accountKey(ref)); err == nil {
			return ref, nil
		} else if !errors.Is(err, badger.ErrKeyNotFound) {
			return "", fmt.Errorf("looking up account %s: %w", ref, err)
		}
	}
	id, err := holder()
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
