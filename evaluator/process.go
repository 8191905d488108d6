package evaluator

import (
	"context"
	"fmt"
	"time"

	"github.com/accountbot/accountbot/domain"
)

// batch is how many records are written per store call.
const batch = 256

// writer collects records and score snapshots and writes them in batches.
type writer struct {
	e      *Evaluator
	recs   []domain.EvalRecord
	scores []domain.Scored
}

func (w *writer) add(ctx context.Context, rec domain.EvalRecord, snap domain.ScoreSnapshot) error {
	w.recs = append(w.recs, rec)
	w.scores = append(w.scores, domain.Scored{ID: rec.ID, Snapshot: snap})
	if len(w.recs) >= batch {
		return w.flush(ctx)
	}
	return nil
}

func (w *writer) flush(ctx context.Context) error {
	if len(w.recs) == 0 {
		return nil
	}
	if err := w.e.store.PutEvaluations(ctx, w.recs); err != nil {
		return err
	}
	if err := w.e.store.PutScores(ctx, w.scores); err != nil {
		return fmt.Errorf("recording scores: %w", err)
	}
	w.e.stats.written.Add(int64(len(w.recs)))
	w.recs, w.scores = w.recs[:0], w.scores[:0]
	return nil
}

// zones caches owners' time zones for one pass.
type zones map[string]*time.Location

// today is the date at now in the owner's time zone.
func (e *Evaluator) today(ctx context.Context, owner string, now time.Time, z zones) domain.Date {
	loc, ok := z[owner]
	if !ok {
		if loc = e.opt.Zone(ctx, owner); loc == nil {
			loc = time.UTC
		}
		z[owner] = loc
	}
	return domain.DateOf(now.In(loc))
}

// evaluate is a's stored evaluation on today and its score snapshot.
func (e *Evaluator) evaluate(a *domain.Account, today domain.Date) (domain.EvalRecord, domain.ScoreSnapshot) {
	e.stats.evaluated.Add(1)
	rs := e.rules.Load()
	// The record keeps no health or tier text: leaving it out saves half
	// an evaluation's allocations (domain's test: the same record either way).
	ev := domain.EvaluateWith(a, today, rs.cfg, domain.EvaluateOptions{Record: true})
	alerts := domain.Alerts(a, ev.Health, today, e.opt.AlertWindow, rs.cfg)
	snap := ev.Snapshot()
	snap.RulesVersion = rs.version
	label := ""
	if rs.version > 0 {
		label = fmt.Sprintf("v%d", rs.version)
	}
	return domain.RecordOf(&ev, alerts, label), snap
}

// Process re-evaluates the given accounts at now, stores what changed and
// hands the accounts whose evaluation started a new alert to the Alerter;
// it returns those accounts. A deleted account loses its record.
func (e *Evaluator) Process(ctx context.Context, now time.Time, ids []string) ([]string, error) {
	if bs, ok := e.store.(batchStore); ok {
		return e.processBatch(ctx, bs, now, ids)
	}
	w := &writer{e: e}
	z := zones{}
	var alerted []string
	for _, id := range ids {
		prev, found, err := e.store.Evaluation(ctx, id)
		if err != nil {
			return alerted, err
		}
		a, err := e.store.Account(ctx, id)
		if domain.ErrorCode(err) == domain.ENOTFOUND {
			if err := e.store.DeleteEvaluation(ctx, id); err != nil {
				return alerted, err
			}
			e.moved(prev.Owner, found, "", false)
			continue
		} else if err != nil {
			return alerted, fmt.Errorf("reading account %s: %w", id, err)
		}
		rec, snap := e.evaluate(a, e.today(ctx, a.Owner, now, z))
		if found && prev.Equal(rec) {
			continue
		}
		if err := w.add(ctx, rec, snap); err != nil {
			return alerted, err
		}
		e.moved(prev.Owner, found, rec.Owner, true)
		if len(rec.NewAlerts(prev)) > 0 {
			alerted = append(alerted, id)
		}
	}
	if err := w.flush(ctx); err != nil {
		return alerted, err
	}
	e.alert(ctx, alerted)
	return alerted, nil
}

// drain processes the queued changes, if any, and returns their ids.
func (e *Evaluator) drain(ctx context.Context, now time.Time) ([]string, error) {
	if !e.hasPending() {
		return nil, nil
	}
	ids := e.takePending()
	_, err := e.Process(ctx, now, ids)
	return ids, err
}

func (e *Evaluator) alert(ctx context.Context, ids []string) {
	if len(ids) > 0 && e.opt.Alerter != nil {
		e.stats.alerted.Add(int64(len(ids)))
		e.opt.Alerter.AlertAccounts(ctx, ids)
	}
}

// Refresh re-evaluates the accounts of every owner whose local date rolled
// over since the last refresh (or check), so date-driven rules move once a
// day in each time zone. It returns how many accounts it re-evaluated.
func (e *Evaluator) Refresh(ctx context.Context, now time.Time) (int, error) {
	owners, _, _ := e.Owners(ctx) // counted from the records; unowned under ""
	z, n := zones{}, 0
	for _, o := range owners {
		owner := o.Owner
		today := e.today(ctx, owner, now, z)
		if last, ok := e.refreshed[owner]; ok && last >= today {
			continue
		}
		var ids []string
		if err := e.store.Ranked(ctx, owner, false, func(id string) bool { ids = append(ids, id); return true }); err != nil {
			return n, fmt.Errorf("listing %s's evaluations: %w", owner, err)
		}
		for len(ids) > 0 {
			chunk := ids[:min(len(ids), checkYield)]
			ids = ids[len(chunk):]
			if _, err := e.Process(ctx, now, chunk); err != nil {
				return n, err
			}
			n += len(chunk)
			if _, err := e.drain(ctx, now); err != nil { // changes keep their second
				return n, err
			}
		}
		e.refreshed[owner] = today
	}
	return n, nil
}

// CheckReport is what a consistency check found.
type CheckReport struct {
	Accounts int `json:"accounts"`
	Repaired int `json:"repaired"` // stored records that differed from a fresh evaluation, and orphans
	Missing  int `json:"missing"`  // accounts without a record (new since, or a store from before evaluations)
	Orphans  int `json:"orphans"`  // records of accounts that no longer exist
}

// checkYield is how many accounts the check evaluates between looks at
// the queue of changes.
const checkYield = 64

// Check is the daily consistency check: it evaluates the whole book,
// compares each stored record with a fresh evaluation on the record's own
// date (drift: a change the evaluator missed), rewrites drifted, missing
// and out-of-date records, deletes orphans, and hands every account with an
// active alert to the Alerter (its ledger drops those already sent).
// Changes queued meanwhile are processed as it goes (Run's goroutine is
// the only writer), and those accounts are not judged from the older
// snapshot.
func (e *Evaluator) Check(ctx context.Context, now time.Time) (CheckReport, error) {
	var rep CheckReport
	w := &writer{e: e}
	z := zones{}
	seen := map[string]bool{}
	var active []string
	fresh := map[string]bool{} // processed during the check: newer than its snapshot
	err := e.store.ForEach(ctx, func(a *domain.Account) error {
		rep.Accounts++
		if rep.Accounts%checkYield == 0 {
			ids, err := e.drain(ctx, now) // changes keep their second while the book is checked
			if err != nil {
				return err
			}
			for _, id := range ids {
				fresh[id], seen[id] = true, true
			}
		}
		seen[a.ID] = true
		if fresh[a.ID] {
			return nil
		}
		prev, found, err := e.store.Evaluation(ctx, a.ID)
		if err != nil {
			return err
		}
		rec, snap := e.evaluate(a, e.today(ctx, a.Owner, now, z))
		switch {
		case !found:
			rep.Missing++
		case prev.Date == rec.Date && !prev.Equal(rec):
			rep.Repaired++
		case prev.Date != rec.Date:
			if then, _ := e.evaluate(a, prev.Date); !then.Equal(prev) {
				rep.Repaired++
			}
		}
		if len(rec.Alerts) > 0 {
			active = append(active, a.ID)
		}
		if found && prev.Equal(rec) {
			return nil
		}
		return w.add(ctx, rec, snap)
	})
	if err == nil {
		err = w.flush(ctx)
	}
	if err != nil {
		return rep, fmt.Errorf("checking stored evaluations: %w", err)
	}
	for owner, loc := range z {
		e.refreshed[owner] = domain.DateOf(now.In(loc))
	}
	if err := e.deleteOrphans(ctx, seen, &rep); err != nil {
		return rep, err
	}
	if err := e.loadOwned(ctx); err != nil {
		return rep, err
	}
	e.stats.repaired.Add(int64(rep.Repaired))
	e.ready.Store(true)
	if len(active) > 0 && e.opt.Alerter != nil {
		e.opt.Alerter.SweepAlerts(ctx, active)
	}
	return rep, nil
}

func (e *Evaluator) deleteOrphans(ctx context.Context, seen map[string]bool, rep *CheckReport) error {
	var orphans []string
	err := e.store.ForEachEvaluation(ctx, func(r domain.EvalRecord) error {
		if !seen[r.ID] {
			orphans = append(orphans, r.ID)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("listing stored evaluations: %w", err)
	}
	for _, id := range orphans {
		if err := e.store.DeleteEvaluation(ctx, id); err != nil {
			return err
		}
	}
	rep.Orphans = len(orphans)
	rep.Repaired += len(orphans)
	return nil
}

// Ranked calls fn with account ids in stored rank order, of one owner or,
// with book, the whole book, until fn returns false. ok is false while the
// ranks are not complete yet (the first check has not finished): the
// caller ranks by scanning instead.
func (e *Evaluator) Ranked(ctx context.Context, owner string, book bool, fn func(id string) bool) (ok bool, err error) {
	if !e.Ready() {
		return false, nil
	}
	return true, e.store.Ranked(ctx, owner, book, fn)
}

// Evaluation is an account's stored evaluation (bot.Ranks).
func (e *Evaluator) Evaluation(ctx context.Context, id string) (domain.EvalRecord, bool, error) {
	return e.store.Evaluation(ctx, id)
}
