package badger

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/dgraph-io/badger/v4"

	"github.com/accountbot/accountbot/domain"
)

// An account's data stamp ("data as of": when its data last changed and
// from which source) is in its record (a/<id>), and in a small ds/<id>
// key that overrides it when present. A write that changes the record
// writes the stamp into it and deletes ds/<id>; a write of usage or
// signals only (the ingest API's and Segment's events, most writes) sets
// ds/<id> instead of rewriting the ~750-byte record, which made most of an
// ingested event's write volume and so of the compactions behind it.
// Every read of a record (getRecord, getRecordRaw, the whole-book scans)
// puts the ds/ stamp on it.

// stampTime is when a write happened (domain.StampTime): the writer's
// time, or the store's clock when it gave none.
func stampTime(at time.Time) time.Time { return domain.StampTime(at, time.Now()) }

// encodeStamp is a ds/ value: unix seconds (int64 BE) | source.
func encodeStamp(at time.Time, source string) []byte {
	b := make([]byte, 8, 8+len(source))
	binary.BigEndian.PutUint64(b, uint64(at.Unix()))
	return append(b, source...)
}

// putStamp puts account id's ds/ value v on a; an error when v is not one.
func putStamp(a *domain.Account, id string, v []byte) error {
	if len(v) < 8 {
		return fmt.Errorf("account %s's data stamp is malformed (%d bytes)", id, len(v))
	}
	a.DataChangedAt = time.Unix(int64(binary.BigEndian.Uint64(v)), 0).UTC()
	a.DataSource = string(v[8:])
	return nil
}

// readStamp returns the account's ds/ value as stored (nil without one).
func readStamp(txn *badger.Txn, id string) ([]byte, error) {
	v, err := getValue(txn, stampKey(id))
	if errors.Is(err, badger.ErrKeyNotFound) {
		return nil, nil
	} else if err != nil {
		return nil, fmt.Errorf("reading account %s's data stamp: %w", id, err)
	}
	return v, nil
}

// overlayStamp puts account id's ds/ stamp, when it has one, on a.
func overlayStamp(txn *badger.Txn, id string, a *domain.Account) error {
	v, err := readStamp(txn, id)
	if err != nil || v == nil {
		return err
	}
	return putStamp(a, id, v)
}

// stampOp is the write that stamps account id as changed at by source,
// its record left as it is.
func stampOp(id string, at time.Time, source string) op {
	return op{key: stampKey(id), val: encodeStamp(at, source)}
}

// stampAccounts stamps the accounts in ids as changed at by source inside
// txn, for writes that go around domain.MergePatch (Segment usage).
func stampAccounts(txn *badger.Txn, ids map[string]bool, source string, at time.Time) error {
	for id := range ids {
		if _, err := txn.Get(accountKey(id)); errors.Is(err, badger.ErrKeyNotFound) {
			continue
		} else if err != nil {
			return fmt.Errorf("reading account %s: %w", id, err)
		}
		o := stampOp(id, stampTime(at), source)
		if err := txn.Set(o.key, o.val); err != nil {
			return fmt.Errorf("stamping account %s: %w", id, err)
		}
	}
	return nil
}
