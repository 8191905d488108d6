package postgres

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/accountbot/accountbot/domain"
)

// allActivity reports whether every patch of a chunk brings only usage
// and signals (domain.Patch.OnlyActivity): such a chunk takes
// applyActivity, the ingest API's path.
func allActivity(part []domain.Patch) bool {
	for i := range part {
		if !part[i].OnlyActivity() {
			return false
		}
	}
	return true
}

// applyActivity is applyPart for a chunk of activity-only patches. The
// stored records keep their data and are not read: one round trip says
// which accounts exist (ENOTFOUND for the first that does not, nothing
// written) and reads their usage on the patches' dates and their signals;
// the second locks the changed accounts in id order and writes one
// statement per table, the restamp done on the stored jsonb. Indexes,
// external ids and field history do not move. The read takes no lock: a
// concurrent writer of the same account and date in between can make a
// snapshot look unchanged here, and then the other's value stays, as if
// it had committed last.
func applyActivity(ctx context.Context, tx pgx.Tx, part []domain.Patch, st *domain.ApplyStats) error {
	cur, err := readActivity(ctx, tx, part)
	if err != nil {
		return err
	}
	var w activityRows
	for i := range part {
		p := &part[i]
		c, ok := cur[p.ID]
		if !ok {
			return domain.Errorf(domain.ENOTFOUND, "no account with id %q", p.ID)
		}
		stamped := *p
		stamped.At = stampTime(p.At) // the store's clock when the writer gave none
		m := domain.MergeActivity(&stamped, c)
		st.Count(m)
		if m.Kind == domain.MergeUnchanged {
			continue
		}
		c.Usage = append(c.Usage, m.Usage...) // later patches of the account see these
		c.Signals = append(c.Signals, m.Signals...)
		cur[p.ID] = c
		at, source := stamped.Stamp()
		w.add(p.ID, m, mustJSON(stamp{at, source}))
	}
	if len(w.changed) == 0 {
		return nil
	}
	b := &pgx.Batch{}
	// The changed accounts are row-locked in id order before anything is
	// written, so that writers over overlapping accounts queue in one
	// order instead of deadlocking; NO KEY UPDATE is the lock the
	// restamp takes anyway, and it does not block foreign keys' checks.
	// An account deleted since it was read makes the write run again.
	locked := slices.Clone(w.changed)
	slices.Sort(locked)
	b.Queue(`SELECT count(*) FROM (SELECT id FROM accounts WHERE id = ANY($1) ORDER BY id FOR NO KEY UPDATE) l`, locked).QueryRow(func(r pgx.Row) error {
		var n int
		if err := r.Scan(&n); err != nil {
			return err
		}
		if n != len(locked) {
			return errRetry
		}
		return nil
	})
	w.queue(b)
	notifyChanged(b, w.changed) // the evaluator's change feed (watch.go)
	err = tx.SendBatch(ctx, b).Close()
	if errors.Is(err, errRetry) {
		return err
	} else if err != nil {
		return fmt.Errorf("writing usage: %w", err)
	}
	return nil
}

// stamp is the data stamp as domain.Account encodes it: the restamp
// replaces these two members of the stored record.
type stamp struct {
	At     time.Time `json:"data_changed_at,omitzero"`
	Source string    `json:"data_source,omitempty"`
}

// readActivity locks the chunk's stored accounts (in id order) and reads
// their usage on the patches' dates and their signals, in one round trip.
// An account that is not stored is absent from the map.
func readActivity(ctx context.Context, tx pgx.Tx, part []domain.Patch) (map[string]domain.Stored, error) {
	var ids, uIDs, sIDs []string
	var uDays []int32
	for i := range part {
		p := &part[i]
		ids = append(ids, p.ID)
		for _, u := range p.Usage {
			uIDs, uDays = append(uIDs, p.ID), append(uDays, int32(u.Date))
		}
		if len(p.Signals) > 0 {
			sIDs = append(sIDs, p.ID)
		}
	}
	slices.Sort(ids)
	ids = slices.Compact(ids)
	out := make(map[string]domain.Stored, len(ids))
	b := &pgx.Batch{}
	// Nothing is locked here: the locks are taken only around the writes
	// (applyActivity), so that concurrent batches wait on each other for
	// as short a time as can be.
	b.Queue(`SELECT id FROM accounts WHERE id = ANY($1)`, ids).Query(func(rows pgx.Rows) error {
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				return err
			}
			out[id] = domain.Stored{}
		}
		return rows.Err()
	})
	if len(uIDs) > 0 {
		b.Queue(`SELECT u.id, u.day, u.active_users, u.usage, u.tickets FROM usage u
			JOIN (SELECT DISTINCT * FROM unnest($1::text[], $2::int4[])) AS n(id, day) ON u.id = n.id AND u.day = n.day`, uIDs, uDays).Query(func(rows pgx.Rows) error {
			for rows.Next() {
				var id string
				var d, au, ti int32
				var us int64
				if err := rows.Scan(&id, &d, &au, &us, &ti); err != nil {
					return err
				}
				c := out[id]
				c.Usage = append(c.Usage, domain.Snapshot{Date: domain.Date(d), ActiveUsers: int(au), Usage: us, Tickets: int(ti)})
				out[id] = c
			}
			return rows.Err()
		})
	}
	if len(sIDs) > 0 {
		b.Queue(`SELECT id, day, kind, note FROM signals WHERE id = ANY($1)`, sIDs).Query(func(rows pgx.Rows) error {
			for rows.Next() {
				var id, kind, note string
				var d int32
				if err := rows.Scan(&id, &d, &kind, &note); err != nil {
					return err
				}
				c := out[id]
				c.Signals = append(c.Signals, domain.Signal{Date: domain.Date(d), Kind: domain.SignalKind(kind), Note: note})
				out[id] = c
			}
			return rows.Err()
		})
	}
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		return nil, fmt.Errorf("reading accounts' usage: %w", err)
	}
	return out, nil
}

// activityRows collects an activity chunk's writes as columns.
type activityRows struct {
	usage   map[usageKey]domain.Snapshot // the last write of a key wins
	signals []domain.Signal
	sIDs    []string
	stamps  map[string][]byte // account → its last change's stamp
	changed []string          // accounts changed, first change first
}

func (w *activityRows) add(id string, m domain.Merged, stamp []byte) {
	if w.usage == nil {
		w.usage, w.stamps = map[usageKey]domain.Snapshot{}, map[string][]byte{}
	}
	for _, u := range m.Usage {
		w.usage[usageKey{id, u.Date}] = u
	}
	for _, sg := range m.Signals {
		w.sIDs, w.signals = append(w.sIDs, id), append(w.signals, sg)
	}
	if _, ok := w.stamps[id]; !ok {
		w.changed = append(w.changed, id)
	}
	w.stamps[id] = stamp
}

// queue queues one upsert of the usage rows in key order (rows locked in
// one order by every writer), one insert of the signals and one restamp
// of the changed accounts' records.
func (w *activityRows) queue(b *pgx.Batch) {
	if len(w.usage) > 0 {
		keys := make([]usageKey, 0, len(w.usage))
		for k := range w.usage {
			keys = append(keys, k)
		}
		slices.SortFunc(keys, func(a, b usageKey) int {
			return cmp.Or(cmp.Compare(a.id, b.id), cmp.Compare(a.day, b.day))
		})
		ids := make([]string, len(keys))
		days, active, tickets := make([]int32, len(keys)), make([]int32, len(keys)), make([]int32, len(keys))
		usage := make([]int64, len(keys))
		for i, k := range keys {
			u := w.usage[k]
			ids[i], days[i], active[i], usage[i], tickets[i] = k.id, int32(k.day), int32(u.ActiveUsers), u.Usage, int32(u.Tickets)
		}
		b.Queue(`INSERT INTO usage (id, day, active_users, usage, tickets)
			SELECT * FROM unnest($1::text[], $2::int4[], $3::int4[], $4::int8[], $5::int4[])
			ON CONFLICT (id, day) DO UPDATE SET active_users = EXCLUDED.active_users, usage = EXCLUDED.usage, tickets = EXCLUDED.tickets`,
			ids, days, active, usage, tickets)
	}
	if len(w.signals) > 0 {
		days, kinds, notes := make([]int32, len(w.signals)), make([]string, len(w.signals)), make([]string, len(w.signals))
		for i, sg := range w.signals {
			days[i], kinds[i], notes[i] = int32(sg.Date), string(sg.Kind), sg.Note
		}
		b.Queue(`INSERT INTO signals (id, day, kind, note) SELECT * FROM unnest($1::text[], $2::int4[], $3::text[], $4::text[])
			ON CONFLICT DO NOTHING`, w.sIDs, days, kinds, notes)
	}
	if len(w.stamps) > 0 {
		ids := make([]string, 0, len(w.stamps))
		stamps := make([][]byte, 0, len(w.stamps))
		for _, id := range w.changed {
			ids, stamps = append(ids, id), append(stamps, w.stamps[id])
		}
		b.Queue(`UPDATE accounts a SET record = (a.record - 'data_changed_at' - 'data_source') || n.stamp
			FROM unnest($1::text[], $2::jsonb[]) AS n(id, stamp) WHERE a.id = n.id`, ids, stamps)
	}
}
