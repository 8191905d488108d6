package postgres

import (
	"context"
	"errors"
	"slices"

	"github.com/jackc/pgx/v5"

	"github.com/accountbot/accountbot/domain"
)

// rows collects a chunk's record, usage and signal writes as columns, so
// that each table gets one statement (unnest, or COPY for new accounts'
// usage) instead of one per row.
type rows struct {
	fresh                    map[string]bool // accounts not stored when the chunk was read
	seen                     map[string]int  // account id → index in the account columns
	ids, owners              []string
	records                  [][]byte
	renewals                 []int32
	usage                    map[usageKey]int  // → index, for accounts in keyed: the last write of a key wins
	uSpans                   map[string][]span // where each account's first usage rows are in the columns
	keyed                    map[string]bool
	uIDs                     []string
	uDays, uActive, uTickets []int32
	uUsage                   []int64
	uFresh                   []bool
	sIDs, sKinds, sNotes     []string
	sDays                    []int32
}

type span struct{ from, to int }

type usageKey struct {
	id  string
	day domain.Date
}

// newRows sizes the columns for part: an import's chunk carries tens of
// thousands of usage rows, and growing the map and the columns row by row
// (rehashing, copying) stood out in a profile of Apply's own CPU.
func newRows(part []domain.Patch) rows {
	n := 0
	for i := range part {
		n += len(part[i].Usage)
	}
	return rows{fresh: make(map[string]bool, len(part)), seen: make(map[string]int, len(part)), usage: map[usageKey]int{},
		uSpans: make(map[string][]span, len(part)), keyed: map[string]bool{},
		uIDs: make([]string, 0, n), uDays: make([]int32, 0, n), uActive: make([]int32, 0, n), uTickets: make([]int32, 0, n),
		uUsage: make([]int64, 0, n), uFresh: make([]bool, 0, n)}
}

func (w *rows) add(id string, m domain.Merged) {
	if m.RecordChanged {
		rec, a := mustJSON(m.Record), m.Record
		if i, ok := w.seen[id]; ok {
			w.records[i], w.owners[i], w.renewals[i] = rec, a.Owner, int32(a.RenewalDate)
		} else {
			w.seen[id] = len(w.ids)
			w.ids, w.records = append(w.ids, id), append(w.records, rec)
			w.owners, w.renewals = append(w.owners, a.Owner), append(w.renewals, int32(a.RenewalDate))
		}
	}
	w.addUsage(id, m.Usage)
	for _, sg := range m.Signals {
		w.sIDs, w.sDays = append(w.sIDs, id), append(w.sDays, int32(sg.Date))
		w.sKinds, w.sNotes = append(w.sKinds, string(sg.Kind)), append(w.sNotes, sg.Note)
	}
}

// addUsage adds an account's usage rows. The first time an account comes
// with rows in increasing date order (an import: one patch per account)
// they cannot repeat a key and are appended as they are; otherwise its
// rows are keyed by date, so that a later write of a day replaces the
// earlier one (a map operation per row was the larger part of add).
func (w *rows) addUsage(id string, us []domain.Snapshot) {
	if len(us) == 0 {
		return
	}
	fresh := w.fresh[id]
	prior, again := w.uSpans[id]
	if !again && increasing(us) {
		from := len(w.uIDs)
		for _, u := range us {
			w.appendUsage(id, u, fresh)
		}
		w.uSpans[id] = []span{{from, len(w.uIDs)}}
		return
	}
	if !w.keyed[id] {
		for _, sp := range prior {
			for i := sp.from; i < sp.to; i++ {
				w.usage[usageKey{id, domain.Date(w.uDays[i])}] = i
			}
		}
		w.keyed[id], w.uSpans[id] = true, nil
	}
	for _, u := range us {
		k := usageKey{id, u.Date}
		if i, ok := w.usage[k]; ok {
			w.uActive[i], w.uUsage[i], w.uTickets[i] = int32(u.ActiveUsers), u.Usage, int32(u.Tickets)
			continue
		}
		w.usage[k] = len(w.uIDs)
		w.appendUsage(id, u, fresh)
	}
}

// increasing reports whether the dates strictly increase (no repeats).
func increasing(us []domain.Snapshot) bool {
	for i := 1; i < len(us); i++ {
		if us[i].Date <= us[i-1].Date {
			return false
		}
	}
	return true
}

func (w *rows) appendUsage(id string, u domain.Snapshot, fresh bool) {
	w.uIDs, w.uDays = append(w.uIDs, id), append(w.uDays, int32(u.Date))
	w.uActive, w.uUsage, w.uTickets = append(w.uActive, int32(u.ActiveUsers)), append(w.uUsage, u.Usage), append(w.uTickets, int32(u.Tickets))
	w.uFresh = append(w.uFresh, fresh)
}

// queueAccounts queues the records: a plain insert of the accounts that
// were not stored and an update of those that were (read and locked), as
// ON CONFLICT's speculative insertion costs two to three times a plain
// one. Another writer creating the same account meanwhile makes the
// insert fail, and the whole Apply runs again (see translate).
func (w *rows) queueAccounts(b *pgx.Batch) {
	var nIDs, nOwners, uIDs, uOwners []string
	var nRecs, uRecs [][]byte
	var nRen, uRen []int32
	for i, id := range w.ids {
		if w.fresh[id] {
			nIDs, nRecs, nOwners, nRen = append(nIDs, id), append(nRecs, w.records[i]), append(nOwners, w.owners[i]), append(nRen, w.renewals[i])
		} else {
			uIDs, uRecs, uOwners, uRen = append(uIDs, id), append(uRecs, w.records[i]), append(uOwners, w.owners[i]), append(uRen, w.renewals[i])
		}
	}
	if len(nIDs) > 0 {
		b.Queue(`INSERT INTO accounts (id, record, owner, renewal)
			SELECT * FROM unnest($1::text[], $2::jsonb[], $3::text[], $4::int4[])`, nIDs, nRecs, nOwners, nRen)
	}
	if len(uIDs) > 0 {
		b.Queue(`UPDATE accounts a SET record = u.record, owner = u.owner, renewal = u.renewal
			FROM unnest($1::text[], $2::jsonb[], $3::text[], $4::int4[]) AS u(id, record, owner, renewal) WHERE a.id = u.id`,
			uIDs, uRecs, uOwners, uRen)
	}
}

// queueDated queues the usage of accounts that were stored (an upsert)
// and the signals.
func (w *rows) queueDated(b *pgx.Batch) {
	var ids []string
	var days, active, tickets []int32
	var usage []int64
	for i := range w.uIDs {
		if !w.uFresh[i] {
			ids, days, usage = append(ids, w.uIDs[i]), append(days, w.uDays[i]), append(usage, w.uUsage[i])
			active, tickets = append(active, w.uActive[i]), append(tickets, w.uTickets[i])
		}
	}
	if len(ids) > 0 {
		b.Queue(`INSERT INTO usage (id, day, active_users, usage, tickets)
			SELECT * FROM unnest($1::text[], $2::int4[], $3::int4[], $4::int8[], $5::int4[])
			ON CONFLICT (id, day) DO UPDATE SET active_users = EXCLUDED.active_users, usage = EXCLUDED.usage, tickets = EXCLUDED.tickets`,
			ids, days, active, usage, tickets)
	}
	if len(w.sIDs) > 0 {
		b.Queue(`INSERT INTO signals (id, day, kind, note) SELECT * FROM unnest($1::text[], $2::int4[], $3::text[], $4::text[])
			ON CONFLICT DO NOTHING`, w.sIDs, w.sDays, w.sKinds, w.sNotes)
	}
}

// errRetry marks a transaction that lost a race and is to run again.
var errRetry = errors.New("a concurrent write to the same accounts; retrying")

// copyUsage writes the usage of accounts that were not stored with COPY:
// they have no rows to conflict with (the keys are unique in w). Another
// writer creating the same account at the same time is the exception (see
// usageCopy.send).
func (w *rows) copyUsage(ctx context.Context, tx pgx.Tx) error {
	n := 0
	for _, f := range w.uFresh {
		if f {
			n++
		}
	}
	if n == 0 {
		return nil
	}
	c := newUsageCopy(n)
	for i, f := range w.uFresh {
		if f {
			c.row(w.uIDs[i], w.uDays[i], w.uActive[i], w.uUsage[i], w.uTickets[i])
		}
	}
	return c.send(ctx, tx)
}

// indexWrites collects a chunk's moves of the name index and external
// ids and its field-history rows, one statement per kind.
type indexWrites struct {
	nets           map[string]int // account id → index in olds/nexts
	olds, nexts    []*domain.Account
	unSrcs, unExts []string // review-list entries the chunk's new external ids settle
	fhIdx          map[string]int
	fhIDs          []string
	fhDays         []int32
	fhStates       [][]byte
}

// add records one changed record. Names and external ids move from the
// account's first old record in the chunk to its last one; field history
// keeps the last state written today (as a second change the same day
// replaces the first).
func (ix *indexWrites) add(old, next *domain.Account, today domain.Date) {
	if ix.nets == nil {
		ix.nets, ix.fhIdx = map[string]int{}, map[string]int{}
	}
	if i, ok := ix.nets[next.ID]; ok {
		ix.nexts[i] = next
	} else {
		ix.nets[next.ID] = len(ix.olds)
		ix.olds, ix.nexts = append(ix.olds, old), append(ix.nexts, next)
	}
	for _, src := range next.ExternalIDs.Sources() {
		if ext := next.ExternalIDs[src]; old == nil || old.ExternalIDs[src] != ext {
			ix.unSrcs, ix.unExts = append(ix.unSrcs, src), append(ix.unExts, ext)
		}
	}
	cur := domain.StateOf(next, today)
	if old != nil && domain.StateOf(old, 0).SameFields(cur) {
		return
	}
	if i, ok := ix.fhIdx[next.ID]; ok {
		ix.fhStates[i] = mustJSON(cur)
		return
	}
	ix.fhIdx[next.ID] = len(ix.fhIDs)
	ix.fhIDs, ix.fhDays, ix.fhStates = append(ix.fhIDs, next.ID), append(ix.fhDays, int32(cur.Date)), append(ix.fhStates, mustJSON(cur))
}

// queue queues the writes: every removal before any addition, so that an
// external id one account gives up in the chunk can go to another.
func (ix *indexWrites) queue(b *pgx.Batch) {
	var dNorm, dNameID, aNorm, aNameID, fNorm, fNameID []string
	var dSrc, dExt, dExtID, aSrc, aExt, aExtID []string
	for i, next := range ix.nexts {
		old := ix.olds[i]
		var oldNames []string
		if old != nil {
			oldNames = domain.NameKeys(old)
		}
		newNames := domain.NameKeys(next)
		if old == nil { // not stored: no names yet, and NameKeys has no repeats
			for _, n := range newNames {
				fNorm, fNameID = append(fNorm, n), append(fNameID, next.ID)
			}
			newNames = nil
		}
		for _, n := range oldNames {
			if !slices.Contains(newNames, n) {
				dNorm, dNameID = append(dNorm, n), append(dNameID, next.ID)
			}
		}
		for _, n := range newNames {
			if !slices.Contains(oldNames, n) {
				aNorm, aNameID = append(aNorm, n), append(aNameID, next.ID)
			}
		}
		if old != nil {
			for src, ext := range old.ExternalIDs {
				if next.ExternalIDs[src] != ext {
					dSrc, dExt, dExtID = append(dSrc, src), append(dExt, ext), append(dExtID, next.ID)
				}
			}
		}
		for _, src := range next.ExternalIDs.Sources() {
			if ext := next.ExternalIDs[src]; old == nil || old.ExternalIDs[src] != ext {
				aSrc, aExt, aExtID = append(aSrc, src), append(aExt, ext), append(aExtID, next.ID)
			}
		}
	}
	if len(dNorm) > 0 {
		b.Queue(`DELETE FROM account_names a USING unnest($1::text[], $2::text[]) AS d(norm, id)
			WHERE a.norm = d.norm AND a.id = d.id`, dNorm, dNameID)
	}
	if len(fNorm) > 0 { // a plain insert (see queueAccounts)
		b.Queue(`INSERT INTO account_names (norm, id) SELECT * FROM unnest($1::text[], $2::text[])`, fNorm, fNameID)
	}
	if len(aNorm) > 0 {
		b.Queue(`INSERT INTO account_names (norm, id) SELECT * FROM unnest($1::text[], $2::text[]) ON CONFLICT DO NOTHING`, aNorm, aNameID)
	}
	if len(dSrc) > 0 {
		b.Queue(`DELETE FROM external_ids e USING unnest($1::text[], $2::text[], $3::text[]) AS d(source, ext, id)
			WHERE e.source = d.source AND e.ext = d.ext AND e.id = d.id`, dSrc, dExt, dExtID)
	}
	if len(aSrc) > 0 {
		b.Queue(`INSERT INTO external_ids (source, ext, id) SELECT * FROM unnest($1::text[], $2::text[], $3::text[])`, aSrc, aExt, aExtID)
	}
	if len(ix.unSrcs) > 0 { // an account that gains an external id leaves the review list
		b.Queue(`DELETE FROM unmatched u USING unnest($1::text[], $2::text[]) AS d(source, ext)
			WHERE u.source = d.source AND u.ext = d.ext`, ix.unSrcs, ix.unExts)
	}
	if len(ix.fhIDs) > 0 { // point-in-time history
		b.Queue(`INSERT INTO field_history (id, day, state) SELECT * FROM unnest($1::text[], $2::int4[], $3::json[])
			ON CONFLICT (id, day) DO UPDATE SET state = EXCLUDED.state`, ix.fhIDs, ix.fhDays, ix.fhStates)
	}
}
