package badger

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/accountbot/accountbot/storage"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/dgraph-io/badger/v4"

	"github.com/accountbot/accountbot/domain"
)

// The audit log is append-only: records are only ever added, and removed
// by PruneAudit once older than the retention. Each record's key is its
// time (ns, big-endian) and a sequence number, so a prefix scan is in time
// order; two indexes, by e-mail and by account, hold the same suffix.
var (
	prefixAudit        = []byte("au/")
	prefixAuditWho     = []byte("aw/")
	prefixAuditAccount = []byte("aa/")
)

// auditSeq tells apart records written in the same nanosecond.
var auditSeq atomic.Uint32

// auditStamp is the 12-byte suffix of a record: time in ns, then a sequence.
func auditStamp(at time.Time, seq uint32) []byte {
	var b [12]byte
	binary.BigEndian.PutUint64(b[:8], uint64(at.UnixNano()))
	binary.BigEndian.PutUint32(b[8:], seq)
	return b[:]
}

func auditKeys(e domain.AuditEntry, stamp []byte) (rec []byte, idx [][]byte) {
	rec = join(prefixAudit, stamp)
	if e.Email != "" && !strings.ContainsRune(e.Email, sep) {
		idx = append(idx, join(prefixAuditWho, []byte(e.Email), []byte{sep}, stamp))
	}
	if e.Account != "" && !strings.ContainsRune(e.Account, sep) {
		idx = append(idx, join(prefixAuditAccount, []byte(e.Account), []byte{sep}, stamp))
	}
	return rec, idx
}

// AppendAudit adds a record (cleaned: e-mail lower-cased, free text cut to
// domain.AuditTextMax). It is not synced on its own, to keep commands
// fast: it survives a crash of the process, and the sync of the next write
// or of the background GC carries it to disk.
func (s *DB) AppendAudit(ctx context.Context, e domain.AuditEntry) error {
	e = e.Clean()
	if e.At.IsZero() || e.At.Before(time.Unix(0, 0)) {
		return fmt.Errorf("audit record without a time")
	}
	rec, idx := auditKeys(e, auditStamp(e.At, auditSeq.Add(1)))
	err := s.db.Update(func(txn *badger.Txn) error {
		if err := txn.Set(rec, mustJSON(e)); err != nil {
			return err
		}
		for _, k := range idx {
			if err := txn.Set(k, nil); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("appending to the audit log: %w", err)
	}
	return nil
}

// Audit returns the matching records, oldest first.
func (s *DB) Audit(ctx context.Context, q storage.AuditQuery) ([]domain.AuditEntry, error) {
	who := strings.ToLower(strings.TrimSpace(q.Who))
	prefix := prefixAudit
	switch {
	case strings.Contains(who, "@"):
		prefix = join(prefixAuditWho, []byte(who), []byte{sep})
	case q.Account != "":
		prefix = join(prefixAuditAccount, []byte(q.Account), []byte{sep})
	}
	keep := func(e *domain.AuditEntry) bool {
		return (who == "" || e.Email == who || strings.EqualFold(e.UserID, who)) &&
			(q.Account == "" || e.Account == q.Account)
	}
	var out []domain.AuditEntry
	err := s.db.View(func(txn *badger.Txn) error {
		// Newest first, so that Limit keeps the most recent records.
		it := txn.NewIterator(badger.IteratorOptions{Prefix: prefix, Reverse: true})
		defer it.Close()
		top := append(slices.Clone(prefix), 0xFF)
		if !q.Until.IsZero() {
			top = join(prefix, auditStamp(q.Until, 0))
		}
		for it.Seek(top); it.Valid(); it.Next() {
			if err := ctx.Err(); err != nil {
				return err
			}
			k := it.Item().Key()
			stamp := k[len(k)-12:]
			at := time.Unix(0, int64(binary.BigEndian.Uint64(stamp)))
			if !q.Until.IsZero() && !at.Before(q.Until) {
				continue
			}
			if at.Before(q.Since) {
				break
			}
			e, err := auditRecord(txn, join(prefixAudit, stamp))
			if err != nil {
				return err
			}
			if e == nil || !keep(e) {
				continue
			}
			out = append(out, *e)
			if q.Limit > 0 && len(out) == q.Limit {
				break
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("reading the audit log: %w", err)
	}
	slices.Reverse(out)
	return out, nil
}

// auditRecord reads one record; nil when an index outlived it (a prune
// interrupted between its two transactions).
func auditRecord(txn *badger.Txn, key []byte) (*domain.AuditEntry, error) {
	item, err := txn.Get(key)
	if errors.Is(err, badger.ErrKeyNotFound) {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	var e domain.AuditEntry
	if err := item.Value(func(b []byte) error { return json.Unmarshal(b, &e) }); err != nil {
		return nil, fmt.Errorf("decoding audit record: %w", err)
	}
	return &e, nil
}

// PruneAudit deletes the records (and their index entries) older than
// before, in batches, and returns how many it deleted.
func (s *DB) PruneAudit(ctx context.Context, before time.Time) (int, error) {
	total := 0
	end := join(prefixAudit, auditStamp(before, 0))
	for {
		if err := ctx.Err(); err != nil {
			return total, err
		}
		var del [][]byte
		n := 0
		err := s.db.View(func(txn *badger.Txn) error {
			it := txn.NewIterator(badger.IteratorOptions{Prefix: prefixAudit, PrefetchValues: true})
			defer it.Close()
			for it.Rewind(); it.Valid() && n < 1000; it.Next() {
				k := it.Item().KeyCopy(nil)
				if string(k) >= string(end) {
					break
				}
				var e domain.AuditEntry
				if err := it.Item().Value(func(b []byte) error { return json.Unmarshal(b, &e) }); err != nil {
					return fmt.Errorf("decoding audit record: %w", err)
				}
				_, idx := auditKeys(e, k[len(prefixAudit):])
				// Indexes first: an index without its record is skipped by
				// Audit; a record without its index would be missed by it.
				del = append(append(del, idx...), k)
				n++
			}
			return nil
		})
		if err != nil {
			return total, fmt.Errorf("pruning the audit log: %w", err)
		}
		if n == 0 {
			return total, nil
		}
		wb := s.db.NewWriteBatch()
		for _, k := range del {
			if err := wb.Delete(k); err != nil {
				wb.Cancel()
				return total, fmt.Errorf("pruning the audit log: %w", err)
			}
		}
		if err := wb.Flush(); err != nil {
			return total, fmt.Errorf("pruning the audit log: %w", err)
		}
		total += n
	}
}

// RunAuditPruning prunes records older than retention now and then every
// interval until ctx ends (run it in the background next to RunGC).
func (s *DB) RunAuditPruning(ctx context.Context, interval, retention time.Duration, now func() time.Time) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		n, err := s.PruneAudit(ctx, now().Add(-retention))
		if err != nil && ctx.Err() == nil {
			s.log.Warn("audit log pruning failed", "err", err)
		} else if n > 0 {
			s.log.Info("audit log pruned", "records", n, "retention", retention)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
