package badger

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/dgraph-io/badger/v4"

	"github.com/accountbot/accountbot/domain"
)

// op is one write of an Apply, with what the key held before it (for the
// undo journal).
type op struct {
	key, val []byte
	del      bool
	// What the key held before, when the op's maker read it anyway; the
	// journal reads it for ops without (known false).
	known bool
	had   bool   // the key existed before
	prev  []byte // its value then
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
	st, synced, err := s.applyLocked(ctx, patches)
	if err != nil || synced {
		return st, err
	}
	// Outside applyMu: Applies that committed meanwhile share this flush,
	// instead of each waiting for the others' (ingest clients post at once).
	return st, s.Sync()
}

// applyLocked is Apply's commit, one at a time; synced: the journal
// already synced it.
func (s *DB) applyLocked(ctx context.Context, patches []domain.Patch) (domain.ApplyStats, bool, error) {
	s.applyMu.Lock()
	defer s.applyMu.Unlock()
	gen := s.known.generation()
	j := &journal{db: s}
	st, err := s.apply(ctx, patches, j)
	if err == nil && j.open {
		err = j.commit()
	}
	if err == nil {
		// Every patch's account is stored now: an activity patch needs it
		// stored, and any other creates it.
		ids := make([]string, len(patches))
		for i := range patches {
			ids[i] = patches[i].ID
		}
		s.known.add(gen, ids...)
		return st, j.open, nil // a journal synced at its commit point
	}
	if j.open {
		if rerr := s.rollback(); rerr != nil {
			return st, false, fmt.Errorf("%w (and rolling back failed: %v; the next start rolls it back)", err, rerr)
		}
	}
	return st, false, err
}

// apply is Apply's batch loop: as many accounts per transaction as fit,
// the journal opened when the first transaction overflows.
func (s *DB) apply(ctx context.Context, patches []domain.Patch, j *journal) (domain.ApplyStats, error) {
	var st domain.ApplyStats
	txn := s.db.NewTransaction(true)
	defer func() { txn.Discard() }()
	claims := newExtClaims(s.db) // one Apply is one logical write, however many commits
	defer claims.close()
	ur := newUsageReader(s.db)
	defer ur.close()
	var pending [][]op // ops of the accounts in txn before the journal opens, to replay
	var planned int64  // their size as Badger counts it
	for i := range patches {
		if err := ctx.Err(); err != nil {
			return st, err
		}
		ops, err := s.planWith(txn, claims, ur, &patches[i], &st)
		if err != nil {
			return st, err
		}
		if j.open {
			if ops, err = j.withUndo(txn, ops); err != nil {
				return st, err
			}
		}
		if err := setAll(txn, ops); errors.Is(err, badger.ErrTxnTooBig) {
			next, err := s.overflow(txn, j, pending, &ops)
			if err != nil {
				return st, err
			}
			txn = next
			pending = nil
			if err := setAll(txn, ops); err != nil {
				return st, fmt.Errorf("writing account %s: %w", patches[i].ID, err)
			}
		} else if err != nil {
			return st, fmt.Errorf("writing account %s: %w", patches[i].ID, err)
		}
		if !j.open {
			pending = append(pending, ops)
			planned += opsSize(ops)
			if i+1 == journalProbe && planned/journalProbe*int64(len(patches)) > 2*s.db.MaxBatchSize() {
				// Clearly too big for one transaction: journal now, while
				// little is written twice, not when the transaction is full.
				next, err := s.journalNow(txn, j, pending, nil)
				if err != nil {
					return st, err
				}
				txn, pending = next, nil
			}
		}
	}
	if err := txn.Commit(); err != nil {
		return st, fmt.Errorf("committing batch: %w", err)
	}
	return st, j.committed()
}

// overflow commits what fits of a transaction that ops outgrew and
// returns a fresh one to write ops in. On the first overflow nothing is
// committed yet and the accounts in txn carry no undo entries: txn is
// discarded, the journal opened, and the pending accounts written again
// with theirs. Once the journal is open every account in txn has its undo
// entry ahead of its writes, and Badger refuses a write that does not fit
// without adding it, so txn is committed as it is, even when it holds only
// part of ops: the rest (ops written again whole) follows in the next.
func (s *DB) overflow(txn *badger.Txn, j *journal, pending [][]op, ops *[]op) (*badger.Txn, error) {
	if j.open {
		if err := txn.Commit(); err != nil {
			return nil, fmt.Errorf("committing batch: %w", err)
		}
		if err := j.committed(); err != nil {
			return nil, err
		}
		return s.db.NewTransaction(true), nil
	}
	return s.journalNow(txn, j, pending, ops)
}

// journalNow opens the journal of an Apply that has committed nothing
// yet: txn is discarded, and the pending accounts get their undo entries
// (ops too, when given) and are written again; it returns a fresh
// transaction.
func (s *DB) journalNow(txn *badger.Txn, j *journal, pending [][]op, ops *[]op) (*badger.Txn, error) {
	txn.Discard()
	if err := s.journalPending(j, pending, ops); err != nil {
		return nil, err
	}
	return s.replay(j, pending)
}

// journalPending opens the journal when the first transaction overflows
// and adds undo entries to the accounts planned in it. Nothing is
// committed yet, so values not known are read from the store as it was
// before the Apply: that is what a rollback must restore, whatever order
// it restores these accounts in.
func (s *DB) journalPending(j *journal, pending [][]op, ops *[]op) error {
	if err := j.begin(); err != nil {
		return err
	}
	read := s.db.NewTransaction(false)
	defer read.Discard()
	var err error
	for k := range pending {
		if pending[k], err = j.withUndo(read, pending[k]); err != nil {
			return err
		}
	}
	if ops != nil {
		*ops, err = j.withUndo(read, *ops)
	}
	return err
}

// journalProbe is how many accounts an Apply plans before it judges from
// their size whether the rest fit in the same transaction.
const journalProbe = 64

// opsSize is the size Badger counts against a transaction's limit for
// ops (Txn.checkSize: key, value, 2 meta bytes and 10 for the version).
func opsSize(ops []op) int64 {
	var n int64
	for _, o := range ops {
		n += int64(len(o.key)+len(o.val)) + 12
	}
	return n
}

// replay writes the pending accounts of a discarded transaction, which
// now carry undo entries and may need more than one commit, and returns a
// fresh transaction.
func (s *DB) replay(j *journal, pending [][]op) (*badger.Txn, error) {
	txn := s.db.NewTransaction(true)
	for _, p := range pending {
		err := setAll(txn, p)
		if errors.Is(err, badger.ErrTxnTooBig) {
			// A cut inside an account is safe: its undo entry comes first.
			if err = txn.Commit(); err == nil {
				if err = j.committed(); err == nil {
					txn = s.db.NewTransaction(true)
					err = setAll(txn, p)
				}
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
	if err := j.committed(); err != nil {
		return nil, err
	}
	return s.db.NewTransaction(true), nil
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

// plan reads what p touches, merges it (domain.MergePatch), counts it in
// st and returns the writes that apply it.
func (s *DB) plan(txn *badger.Txn, claims *extClaims, p *domain.Patch, st *domain.ApplyStats) ([]op, error) {
	return s.planWith(txn, claims, nil, p, st)
}

// planWith is plan reading stored usage with ur (nil: in txn).
func (s *DB) planWith(txn *badger.Txn, claims *extClaims, ur *usageReader, p *domain.Patch, st *domain.ApplyStats) ([]op, error) {
	if p.OnlyActivity() {
		return s.planActivity(txn, ur, p, st)
	}
	old, oldRaw, err := getRecordRaw(txn, p.ID)
	if err != nil && domain.ErrorCode(err) != domain.ENOTFOUND {
		return nil, err
	}
	var stamp []byte // a ds/ stamp: the record's effective one, gone once it is rewritten
	if old != nil {
		if stamp, err = readStamp(txn, p.ID); err != nil {
			return nil, err
		} else if stamp != nil {
			if err := putStamp(old, p.ID, stamp); err != nil {
				return nil, err
			}
		}
	}
	cur, prevUsage, err := readActivity(txn, ur, p)
	if err != nil {
		return nil, err
	}
	cur.Record = old
	stamped := *p
	stamped.At = stampTime(p.At) // the store's clock when the writer gave none
	m, err := domain.MergePatch(&stamped, cur)
	if err != nil {
		return nil, err
	}
	var ops []op
	if m.RecordChanged {
		ops = append(ops, op{key: accountKey(p.ID), val: mustJSON(m.Record), known: true, had: old != nil, prev: oldRaw})
		if stamp != nil {
			ops = append(ops, op{key: stampKey(p.ID), del: true, known: true, had: true, prev: stamp})
		}
		ops = append(ops, indexOps(old, m.Record)...)
		ext, err := externalOps(txn, claims, old, m.Record)
		if err != nil {
			return nil, err
		}
		ops = append(ops, ext...)
		ops = append(ops, s.fieldHistoryOps(old, m.Record)...) // point-in-time history (fieldhistory.go)
	}
	ops = append(ops, activityOps(p.ID, m, prevUsage)...)
	st.Count(m)
	return ops, nil
}

// planActivity is plan for a patch of usage and signals only (the ingest
// API's and importer's usage and signal rows): the record's data does not
// change, so it is neither read nor rewritten; the change's stamp goes to
// the account's small ds/ key (freshness.go), and its indexes, external
// ids and field history stay as they are. That the account exists is
// read only when s.known cannot vouch for it (known.go).
func (s *DB) planActivity(txn *badger.Txn, ur *usageReader, p *domain.Patch, st *domain.ApplyStats) ([]op, error) {
	if !s.known.has(p.ID) {
		if _, err := txn.Get(accountKey(p.ID)); errors.Is(err, badger.ErrKeyNotFound) {
			return nil, domain.Errorf(domain.ENOTFOUND, "no account with id %q", p.ID)
		} else if err != nil {
			return nil, fmt.Errorf("reading account %s: %w", p.ID, err)
		}
	}
	cur, prevUsage, err := readActivity(txn, ur, p)
	if err != nil {
		return nil, err
	}
	stamped := *p
	stamped.At = stampTime(p.At)
	m := domain.MergeActivity(&stamped, cur)
	var ops []op
	if m.RecordChanged {
		at, source := stamped.Stamp()
		ops = append(ops, stampOp(p.ID, at, source))
	}
	ops = append(ops, activityOps(p.ID, m, prevUsage)...)
	st.Count(m)
	return ops, nil
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
		for _, norm := range domain.NameKeys(a) {
			out = append(out, nameIdxKey(norm, a.ID))
		}
		return out
	}
	oldKeys, newKeys := keys(old), keys(next)
	var ops []op
	for _, k := range oldKeys {
		if !slices.ContainsFunc(newKeys, func(n []byte) bool { return bytes.Equal(n, k) }) {
			ops = append(ops, op{key: k, del: true, known: true, had: true, prev: []byte{}})
		}
	}
	for _, k := range newKeys {
		if !slices.ContainsFunc(oldKeys, func(o []byte) bool { return bytes.Equal(o, k) }) {
			ops = append(ops, op{key: k, val: []byte{}, known: true})
		}
	}
	return ops
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
