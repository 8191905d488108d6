package main

import (
	"context"
	"sync"
	"sync/atomic"

	"github.com/accountbot/accountbot/bot"
	"github.com/accountbot/accountbot/bot/nudge"
	"github.com/accountbot/accountbot/evaluator"
)

// startEvaluator keeps stored evaluations current while serving: changes
// re-evaluate their account at once (the store reports every write; the
// ingest API also says which accounts it changed), alerts go from the
// change to the scheduler, `portfolio top`, digests and the App Home read
// the stored ranks, and a daily check (also at start) repairs drift and
// records every account's score snapshot.
func (m *Main) startEvaluator(ctx context.Context, wg *sync.WaitGroup, e *bot.Engine, sched *nudge.Scheduler) *evaluator.Evaluator {
	rules, version := m.scoringRules()
	ev := evaluator.New(m.db, evaluator.Options{Rules: rules, RulesVersion: version, AlertWindow: m.Config.Nudges.AlertWindow,
		Zone: sched.Zone, Alerter: sched, Now: m.Now, Log: m.log, BulkShare: m.Config.Ingest.EvaluatorShare})
	m.followRulesEvaluator(ev, version)
	sched.AlertsFromChanges()
	sched.Ranks, e.Ranks = ev, ev
	m.evaluating.Store(ev)
	wg.Go(func() { m.elector().Do(ctx, ev.Run) }) // its timed refreshes on the leader only
	return ev
}

// evaluatorRef forwards changes to the evaluator once it runs (the ingest
// API starts before the platforms and the scheduler it needs).
type evaluatorRef struct {
	atomic.Pointer[evaluator.Evaluator]
}

func (r *evaluatorRef) changed(ctx context.Context, ids []string) {
	if ev := r.Load(); ev != nil {
		ev.Changed(ctx, ids)
	}
}
