package badger

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"github.com/accountbot/accountbot/storage"
	"sync"
	"time"

	"github.com/dgraph-io/badger/v4"

	"github.com/accountbot/accountbot/domain"
)

// Segment events (see the key layout in keys.go):
//
//	gi/<seq:8>                          → inbox: a raw accepted event, deleted in the transaction that applies it
//	gm/<messageId>                      → de-duplication: seen message ids, TTL SegmentDedupeTTL
//	gu/<userId>                         → the account id a group call put the user in
//	ga/<id> 00 <date:4> 00 <userId>     → the user was active on the account that day (TTL SegmentActiveTTL);
//	                                      its first write adds one to that day's usage snapshot's active_users
//
// Receiving stores the raw events and their message ids in one synced
// transaction and acknowledges; a worker applies them later. Applying an
// event and deleting it from the inbox happen in one transaction, so an
// event counts exactly once even if the process stops at any point.

var seqMu sync.Mutex
var lastSeq uint64

// nextSeq is a process-wide increasing number, above the wall clock in
// ns so that it keeps increasing across restarts.
func nextSeq() uint64 {
	seqMu.Lock()
	defer seqMu.Unlock()
	lastSeq = max(lastSeq+1, uint64(time.Now().UnixNano()))
	return lastSeq
}

func inboxKey(seq uint64) []byte {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], seq)
	return join(prefixSegInbox, b[:])
}

// AcceptSegment stores events whose messageId was not seen before in the
// inbox, durably, and returns how many were new and how many duplicates.
func (s *DB) AcceptSegment(ctx context.Context, events []storage.SegmentIn) (accepted, duplicates int, err error) {
	for attempt := 0; attempt < 5; attempt++ {
		accepted, duplicates = 0, 0
		err = s.db.Update(func(txn *badger.Txn) error {
			seen := map[string]bool{}
			for _, e := range events {
				mk := join(prefixSegMsg, []byte(e.MessageID))
				if _, err := txn.Get(mk); err == nil || seen[e.MessageID] {
					duplicates++
					continue
				} else if !errors.Is(err, badger.ErrKeyNotFound) {
					return err
				}
				seen[e.MessageID] = true
				if err := txn.SetEntry(badger.NewEntry(mk, nil).WithTTL(storage.SegmentDedupeTTL)); err != nil {
					return err
				}
				if err := txn.Set(inboxKey(nextSeq()), e.Raw); err != nil {
					return err
				}
				accepted++
			}
			return nil
		})
		if !errors.Is(err, badger.ErrConflict) {
			break // a concurrent request with the same messageId: retry sees it
		}
	}
	if err != nil {
		return 0, 0, fmt.Errorf("storing Segment events: %w", err)
	}
	return accepted, duplicates, s.Sync()
}

// SegmentInbox returns up to limit accepted events, oldest first.
func (s *DB) SegmentInbox(ctx context.Context, limit int) ([]storage.InboxItem, error) {
	var out []storage.InboxItem
	err := s.db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: prefixSegInbox, PrefetchValues: true})
		defer it.Close()
		for it.Rewind(); it.Valid() && len(out) < limit; it.Next() {
			b, err := it.Item().ValueCopy(nil)
			if err != nil {
				return err
			}
			out = append(out, storage.InboxItem{Seq: binary.BigEndian.Uint64(it.Item().Key()[len(prefixSegInbox):]), Raw: b})
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("reading the Segment inbox: %w", err)
	}
	return out, nil
}

// SegmentUserAccount returns the account a group call put the user in.
func (s *DB) SegmentUserAccount(ctx context.Context, userID string) (string, bool, error) {
	var id string
	err := s.db.View(func(txn *badger.Txn) error {
		b, err := getValue(txn, join(prefixSegUser, []byte(userID)))
		if errors.Is(err, badger.ErrKeyNotFound) {
			return nil
		}
		id = string(b)
		return err
	})
	return id, id != "", err
}

// ApplySegment applies effects and removes their events from the inbox,
// in one transaction, then syncs.
func (s *DB) ApplySegment(ctx context.Context, effects []storage.SegmentEffect, now time.Time) error {
	s.applyMu.Lock() // it writes usage: see usageReader (applyusage.go)
	err := s.db.Update(func(txn *badger.Txn) error {
		changed := map[string]bool{}
		for _, e := range effects {
			if err := applyEffect(txn, e, now); err != nil {
				return err
			}
			if err := txn.Delete(inboxKey(e.Seq)); err != nil {
				return err
			}
			if e.Track != nil {
				changed[e.Track.AccountID] = true
			}
		}
		return stampAccounts(txn, changed, domain.SourceSegment, now)
	})
	s.applyMu.Unlock()
	if err != nil {
		return fmt.Errorf("applying Segment events: %w", err)
	}
	return s.Sync()
}

func applyEffect(txn *badger.Txn, e storage.SegmentEffect, now time.Time) error {
	if e.Member[0] != "" && domain.ValidID(e.Member[1]) {
		if err := txn.Set(join(prefixSegUser, []byte(e.Member[0])), []byte(e.Member[1])); err != nil {
			return err
		}
	}
	if e.Unmatched != nil {
		if err := addUnmatchedTxn(txn, *e.Unmatched, now); err != nil {
			return err
		}
	}
	t := e.Track
	if t == nil {
		return nil
	}
	if !domain.ValidID(t.AccountID) || t.Date.IsZero() {
		return domain.Errorf(domain.EINVALID, "a Segment usage update needs an account id and a date")
	}
	uk := usageKey(t.AccountID, t.Date)
	snap := domain.Snapshot{Date: t.Date}
	if b, err := getValue(txn, uk); err == nil {
		snap, _ = decodeSnapshot(t.Date, b)
	} else if !errors.Is(err, badger.ErrKeyNotFound) {
		return err
	}
	if t.UserID != "" {
		ak := join(accountPrefix(prefixSegActive, t.AccountID), dateBytes(t.Date), []byte{sep}, []byte(t.UserID))
		if _, err := txn.Get(ak); errors.Is(err, badger.ErrKeyNotFound) {
			if err := txn.SetEntry(badger.NewEntry(ak, nil).WithTTL(storage.SegmentActiveTTL)); err != nil {
				return err
			}
			snap.ActiveUsers++
		} else if err != nil {
			return err
		}
	}
	snap.Usage += t.Usage
	snap.Tickets += t.Tickets
	return txn.Set(uk, encodeSnapshot(snap))
}
