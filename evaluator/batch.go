package evaluator

import (
	"context"
	"fmt"
	"time"

	"github.com/accountbot/accountbot/domain"
)

// batchStore, when the store implements it (Badger), lets Process read a
// batch of changed accounts from one snapshot and write their evaluations
// in shared transactions, replacing index entries it already knows. Under
// ingest load a read transaction per account and per stored record, and a
// second read of each record to replace it, cost more than the
// evaluation itself.
type batchStore interface {
	// EvalInputs calls fn with each account (nil: deleted) and its stored
	// evaluation, from one snapshot; fn must not keep the account.
	EvalInputs(ctx context.Context, ids []string, fn func(id string, a *domain.Account, prev domain.EvalRecord, found bool) error) error
	// ReplaceEvaluations stores recs[i] over prevs[i] (zero ID: none) with
	// scores[i].
	ReplaceEvaluations(ctx context.Context, prevs, recs []domain.EvalRecord, scores []domain.Scored) error
}

// processBatch is Process over a batchStore, batch accounts at a time.
func (e *Evaluator) processBatch(ctx context.Context, bs batchStore, now time.Time, ids []string) ([]string, error) {
	z := zones{}
	var alerted []string
	var prevs, recs []domain.EvalRecord
	var scores []domain.Scored
	type gone struct {
		id, owner string
		found     bool
	}
	for len(ids) > 0 {
		chunk := ids[:min(len(ids), batch)]
		ids = ids[len(chunk):]
		prevs, recs, scores = prevs[:0], recs[:0], scores[:0]
		var deleted []gone
		err := bs.EvalInputs(ctx, chunk, func(id string, a *domain.Account, prev domain.EvalRecord, found bool) error {
			if a == nil {
				deleted = append(deleted, gone{id, prev.Owner, found})
				return nil
			}
			rec, snap := e.evaluate(a, e.today(ctx, a.Owner, now, z))
			if found && prev.Equal(rec) {
				return nil
			}
			if !found {
				prev = domain.EvalRecord{}
			}
			prevs, recs = append(prevs, prev), append(recs, rec)
			scores = append(scores, domain.Scored{ID: rec.ID, Snapshot: snap})
			if len(rec.NewAlerts(prev)) > 0 {
				alerted = append(alerted, id)
			}
			return nil
		})
		if err != nil {
			return alerted, fmt.Errorf("reading changed accounts: %w", err)
		}
		if err := bs.ReplaceEvaluations(ctx, prevs, recs, scores); err != nil {
			return alerted, err
		}
		e.stats.written.Add(int64(len(recs)))
		for i := range recs {
			e.moved(prevs[i].Owner, prevs[i].ID != "", recs[i].Owner, true)
		}
		for _, g := range deleted {
			if err := e.store.DeleteEvaluation(ctx, g.id); err != nil {
				return alerted, err
			}
			e.moved(g.owner, g.found, "", false)
		}
	}
	e.alert(ctx, alerted)
	return alerted, nil
}
