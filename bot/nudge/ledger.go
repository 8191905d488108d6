package nudge

import (
	"context"
	"fmt"
	"time"

	"github.com/accountbot/accountbot/domain"
)

// Report is what one tick did.
type Report struct {
	Sent, Failed, Skipped, Confirmed int
	// Deferred counts digests and reviews left for a later tick because
	// the stored ranks they read were not ready yet (waitForRanks).
	Deferred int
}

// ledger writes delivery states for one tick and counts them in its
// report. "sending" is written just before a send, so a crash after it
// leaves a trace that the next tick resolves (resolveInterrupted).
type ledger struct {
	store Ledger
	rep   *Report
	now   time.Time
}

// record stores e in state (with errText for a failure) and counts it.
func (l ledger) record(ctx context.Context, e domain.LedgerEntry, state domain.LedgerState, errText string) error {
	counter := map[domain.LedgerState]*int{domain.LedgerSent: &l.rep.Sent, domain.LedgerFailed: &l.rep.Failed,
		domain.LedgerSkipped: &l.rep.Skipped}[state]
	return l.put(ctx, e, state, errText, counter)
}

// confirm records an interrupted entry that the platform shows delivered.
func (l ledger) confirm(ctx context.Context, e domain.LedgerEntry) error {
	return l.put(ctx, e, domain.LedgerSent, "", &l.rep.Confirmed)
}

func (l ledger) put(ctx context.Context, e domain.LedgerEntry, state domain.LedgerState, errText string, counter *int) error {
	e.State, e.Error, e.UpdatedAt = state, errText, l.now
	if err := l.store.LedgerPut(ctx, e); err != nil {
		return fmt.Errorf("recording nudge %s as %s: %w", e.Key, state, err)
	}
	if counter != nil {
		*counter++
	}
	return nil
}
