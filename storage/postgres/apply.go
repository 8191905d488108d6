package postgres

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/accountbot/accountbot/domain"
	"github.com/accountbot/accountbot/internal/apijson"
)

// applyChunk is how many patches share one read of their records and one
// pipelined batch of writes: round trips, not rows, bound an import.
const applyChunk = 500

// Apply writes patches in one transaction: all or nothing. Each account's
// record, indexes, external ids, usage and signals are written together.
func (s *DB) Apply(ctx context.Context, patches []domain.Patch) (domain.ApplyStats, error) {
	var st domain.ApplyStats
	err := s.tx(ctx, func(tx pgx.Tx) error {
		st = domain.ApplyStats{}
		return applyTx(ctx, tx, patches, &st, s.today())
	})
	return st, err
}

// applyTx applies patches inside tx, chunk by chunk.
func applyTx(ctx context.Context, tx pgx.Tx, patches []domain.Patch, st *domain.ApplyStats, today domain.Date) error {
	for start := 0; start < len(patches); start += applyChunk {
		if err := ctx.Err(); err != nil {
			return err
		}
		part := patches[start:min(start+applyChunk, len(patches))]
		var err error
		if allActivity(part) {
			err = applyActivity(ctx, tx, part, st) // the ingest API's usage and signals
		} else {
			err = applyPart(ctx, tx, part, st, today)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// applyPart reads what a chunk of patches touches, lets domain.MergePatch
// decide what each writes (later patches of one account see the earlier
// ones), checks external ids, and sends the writes in one batch, then the
// usage of accounts that were not stored in one COPY.
func applyPart(ctx context.Context, tx pgx.Tx, part []domain.Patch, st *domain.ApplyStats, today domain.Date) error {
	cur, err := readStored(ctx, tx, part)
	if err != nil {
		return err
	}
	olds := make([]*domain.Account, len(part))
	merges := make([]domain.Merged, len(part))
	w := newRows(part)
	for i := range part {
		p := &part[i]
		c := cur[p.ID]
		olds[i] = c.Record
		if c.Record == nil {
			// Not stored when the chunk was read: no usage rows yet, so
			// its usage goes in by COPY (see copyUsage).
			w.fresh[p.ID] = true
		}
		stamped := *p
		stamped.At = stampTime(p.At) // the store's clock when the writer gave none
		if merges[i], err = domain.MergePatch(&stamped, c); err != nil {
			return err
		}
		m := merges[i]
		c.Record = m.Record
		c.Usage = append(c.Usage, m.Usage...) // later ones win in MergePatch's lookup
		c.Signals = append(c.Signals, m.Signals...)
		cur[p.ID] = c
	}
	nexts := make([]*domain.Account, len(part))
	for i := range merges {
		nexts[i] = merges[i].Record
	}
	if err := checkExternal(ctx, tx, olds, nexts); err != nil {
		return err
	}
	var ix indexWrites
	var changed []string
	for i := range part {
		w.add(part[i].ID, merges[i])
		st.Count(merges[i])
		if merges[i].RecordChanged {
			ix.add(olds[i], merges[i].Record, today)
		}
		if merges[i].Kind != domain.MergeUnchanged && !slices.Contains(changed, part[i].ID) {
			changed = append(changed, part[i].ID)
		}
	}
	b := &pgx.Batch{}
	w.queueAccounts(b) // first: the rows below refer to the accounts
	ix.queue(b)
	w.queueDated(b)
	notifyChanged(b, changed) // the evaluator's change feed (watch.go)
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		return translate(err)
	}
	return w.copyUsage(ctx, tx)
}

// readStored reads (and row-locks) the records of a chunk's accounts, with
// their stored usage on the patches' dates and their signals. Accounts not
// stored have neither, so only stored ones are looked up.
func readStored(ctx context.Context, tx pgx.Tx, part []domain.Patch) (map[string]domain.Stored, error) {
	ids := make([]string, len(part))
	for i := range part {
		ids[i] = part[i].ID
	}
	recs, err := lockRecords(ctx, tx, ids)
	if err != nil {
		return nil, err
	}
	var uIDs, sIDs []string
	var uDays []int32
	for i := range part {
		if recs[part[i].ID] == nil {
			continue
		}
		for _, u := range part[i].Usage {
			uIDs, uDays = append(uIDs, part[i].ID), append(uDays, int32(u.Date))
		}
		if len(part[i].Signals) > 0 {
			sIDs = append(sIDs, part[i].ID)
		}
	}
	out := make(map[string]domain.Stored, len(ids))
	for id, a := range recs {
		out[id] = domain.Stored{Record: a}
	}
	if len(uIDs) > 0 {
		rows, err := tx.Query(ctx, `SELECT u.id, u.day, u.active_users, u.usage, u.tickets FROM usage u
			JOIN (SELECT DISTINCT * FROM unnest($1::text[], $2::int4[])) AS n(id, day) ON u.id = n.id AND u.day = n.day`, uIDs, uDays)
		if err != nil {
			return nil, fmt.Errorf("reading usage: %w", err)
		}
		for rows.Next() {
			var id string
			var d, au, ti int32
			var us int64
			if err := rows.Scan(&id, &d, &au, &us, &ti); err != nil {
				rows.Close()
				return nil, fmt.Errorf("reading usage: %w", err)
			}
			c := out[id]
			c.Usage = append(c.Usage, domain.Snapshot{Date: domain.Date(d), ActiveUsers: int(au), Usage: us, Tickets: int(ti)})
			out[id] = c
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("reading usage: %w", err)
		}
	}
	if len(sIDs) > 0 {
		rows, err := tx.Query(ctx, `SELECT id, day, kind, note FROM signals WHERE id = ANY($1)`, sIDs)
		if err != nil {
			return nil, fmt.Errorf("reading signals: %w", err)
		}
		for rows.Next() {
			var id, kind, note string
			var d int32
			if err := rows.Scan(&id, &d, &kind, &note); err != nil {
				rows.Close()
				return nil, fmt.Errorf("reading signals: %w", err)
			}
			c := out[id]
			c.Signals = append(c.Signals, domain.Signal{Date: domain.Date(d), Kind: domain.SignalKind(kind), Note: note})
			out[id] = c
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("reading signals: %w", err)
		}
	}
	return out, nil
}

// lockRecords reads (and row-locks) the stored records of ids.
func lockRecords(ctx context.Context, tx pgx.Tx, ids []string) (map[string]*domain.Account, error) {
	rows, err := tx.Query(ctx, `SELECT id, record FROM accounts WHERE id = ANY($1) ORDER BY id FOR UPDATE`, ids)
	if err != nil {
		return nil, fmt.Errorf("reading accounts: %w", err)
	}
	defer rows.Close()
	out := make(map[string]*domain.Account, len(ids))
	for rows.Next() {
		var id string
		var raw []byte
		if err := rows.Scan(&id, &raw); err != nil {
			return nil, fmt.Errorf("reading accounts: %w", err)
		}
		var a domain.Account
		if err := apijson.Unmarshal(raw, &a); err != nil {
			return nil, fmt.Errorf("decoding account %s: %w", id, err)
		}
		out[id] = &a
	}
	return out, rows.Err()
}

// checkExternal refuses an external id that another account holds: two
// accounts with one CRM id would split a customer's data between them.
// The holder may give it up earlier in the same write (as on Badger, which
// applies patches one by one: giving up after is too late).
func checkExternal(ctx context.Context, tx pgx.Tx, olds, nexts []*domain.Account) error {
	var srcs, exts []string
	type claim struct {
		id string
		at int // index in nexts
	}
	claimed := map[[2]string]claim{}
	for i, next := range nexts {
		for _, src := range next.ExternalIDs.Sources() {
			ext := next.ExternalIDs[src]
			if olds[i] != nil && olds[i].ExternalIDs[src] == ext {
				continue
			}
			k := [2]string{src, ext}
			if h, ok := claimed[k]; ok && h.id != next.ID {
				return externalTaken(next.ID, src, ext, h.id)
			} else if !ok {
				claimed[k] = claim{next.ID, i}
			}
			srcs, exts = append(srcs, src), append(exts, ext)
		}
	}
	if len(srcs) == 0 {
		return nil
	}
	rows, err := tx.Query(ctx, `SELECT e.source, e.ext, e.id FROM external_ids e
		JOIN unnest($1::text[], $2::text[]) AS n(source, ext) ON e.source = n.source AND e.ext = n.ext`, srcs, exts)
	if err != nil {
		return fmt.Errorf("reading external ids: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var src, ext, holder string
		if err := rows.Scan(&src, &ext, &holder); err != nil {
			return err
		}
		if c := claimed[[2]string{src, ext}]; holder != c.id && !releases(olds[:c.at], nexts[:c.at], holder, src, ext) {
			return externalTaken(c.id, src, ext, holder)
		}
	}
	return rows.Err()
}

// releases reports whether holder gives src's ext up in these patches.
func releases(olds, nexts []*domain.Account, holder, src, ext string) bool {
	for i, n := range nexts {
		if n.ID == holder && olds[i] != nil && olds[i].ExternalIDs[src] == ext && n.ExternalIDs[src] != ext {
			return true
		}
	}
	return false
}

func externalTaken(id, src, ext, holder string) error {
	return domain.Errorf(domain.EINVALID, "account %s: external_ids.%s: %q already belongs to account %s; remove it there first", id, src, ext, holder)
}

// translate turns a unique violation on an external id (a race with
// another writer) into the same error checkExternal gives, and one on an
// account or its names (another writer created the account after the
// chunk was read) into a retry.
func translate(err error) error {
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == "23505" {
		switch pe.TableName {
		case "external_ids":
			return domain.Errorf(domain.EINVALID, "an external id in this write already belongs to another account (%s); remove it there first", pe.Detail)
		case "accounts", "account_names":
			return errRetry
		}
	}
	return fmt.Errorf("writing accounts: %w", err)
}

// stampTime is when a write happened (domain.StampTime, as the Badger
// store): the writer's time, or the store's clock when it gave none.
func stampTime(at time.Time) time.Time { return domain.StampTime(at, time.Now()) }
