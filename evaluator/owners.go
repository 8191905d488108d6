package evaluator

import (
	"context"
	"fmt"
	"sort"

	"github.com/accountbot/accountbot/domain"
)

// The evaluator is the only writer of stored evaluations, so it keeps each
// owner's number of records as it writes them: "who owns what, how many"
// (every `portfolio` command's scope) is then answered from memory instead
// of a scan of the owner index.

// owned tracks records per owner; guarded by Evaluator.mu.
type owned struct {
	counts map[string]int
	sorted []domain.OwnerCount // nil: rebuild
}

// moved records that an account's record went from owner from (had: it
// existed) to owner to (has: it exists now).
func (e *Evaluator) moved(from string, had bool, to string, has bool) {
	if had == has && from == to {
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if had {
		if e.owned.counts[from]--; e.owned.counts[from] <= 0 {
			delete(e.owned.counts, from)
		}
	}
	if has {
		e.owned.counts[to]++
	}
	e.owned.sorted = nil
}

// loadOwned counts the stored records per owner afresh (the consistency
// check, which may have repaired them).
func (e *Evaluator) loadOwned(ctx context.Context) error {
	all, err := e.store.EvaluationOwners(ctx)
	if err != nil {
		return fmt.Errorf("counting evaluations by owner: %w", err)
	}
	counts := make(map[string]int, len(all))
	for _, o := range all {
		counts[o.Owner] = o.Accounts
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.owned = owned{counts: counts}
	return nil
}

// Owners returns every owner with their number of accounts, in order,
// unowned accounts under "". ok is false until the first check has run.
func (e *Evaluator) Owners(context.Context) ([]domain.OwnerCount, bool, error) {
	if !e.Ready() {
		return nil, false, nil
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.owned.sorted == nil {
		out := make([]domain.OwnerCount, 0, len(e.owned.counts))
		for o, n := range e.owned.counts {
			out = append(out, domain.OwnerCount{Owner: o, Accounts: n})
		}
		sort.Slice(out, func(i, j int) bool { return out[i].Owner < out[j].Owner })
		e.owned.sorted = out
	}
	return e.owned.sorted, true, nil // callers only read it; a change builds a new slice
}
