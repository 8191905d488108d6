package postgres

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"sync"

	"github.com/accountbot/accountbot/domain"
	"github.com/accountbot/accountbot/internal/apijson"
)

// scoreWindowDays is how far back from the command's day an account read
// in a read scope also reads the score history: the 12-week trend
// (health, trend) and the last 91 days (tier) both fall inside it.
const scoreWindowDays = 91

// selectScoped is selectBook for one account, with its score snapshots
// dated in [$2, $3]. They are not ordered here: history orders them (the
// index usually has), and the server would set up a sort even for none.
const selectScoped = `SELECT a.id, a.record, u.days, u.au, u.us, u.ti, g.days, g.kinds, g.notes, h.days, h.snaps ` + bookJoins + `
LEFT JOIN LATERAL (SELECT array_agg(day) days, array_agg(snap::text) snaps
	FROM scores WHERE scores.id = a.id AND day BETWEEN $2 AND $3) h ON true
WHERE a.id = $1`

// readScope is one command's reads: the score history read along with
// the command's first account, kept only as long as the command's
// context. Nothing outlives the command, so the next one reads afresh
// whatever another replica wrote meanwhile; within it, the account and its
// history come from one snapshot, as if read in one transaction. Only the
// first account read brings its history: an account command reads one,
// and a portfolio command reading an owner's thousands neither pays for
// their histories nor keeps them.
type readScope struct {
	from, to domain.Date
	mu       sync.Mutex
	claimed  bool   // an account read has brought its history (or is bringing it)
	id       string // whose history scores is; "" while none
	scores   scopedScores
}

// scopedScores is one account's snapshots in the scope's window, in no
// particular order, still encoded (most commands never ask for them).
type scopedScores struct {
	days  []int32
	snaps []string
}

type scopeKey struct{}

// ReadScope returns a context under which one command, answered on the
// day today, reads each account and its recent score history in one round
// trip: Account reads the snapshots of the last 91 days with the account,
// and ScoreHistory answers from them while the context lives. The command
// engine opens one per command.
func (s *DB) ReadScope(ctx context.Context, today domain.Date) context.Context {
	return context.WithValue(ctx, scopeKey{}, &readScope{from: today.AddDays(-scoreWindowDays), to: today})
}

func scopeOf(ctx context.Context) *readScope {
	sc, _ := ctx.Value(scopeKey{}).(*readScope)
	return sc
}

// claim reports whether this account read should bring its history: the
// first in the scope (or the first after the command wrote scores).
func (sc *readScope) claim() bool {
	if sc == nil {
		return false
	}
	sc.mu.Lock()
	defer sc.mu.Unlock()
	first := !sc.claimed
	sc.claimed = true
	return first
}

// release gives the claim back when the claiming read found no account.
func (sc *readScope) release() {
	if sc == nil {
		return
	}
	sc.mu.Lock()
	defer sc.mu.Unlock()
	if sc.id == "" {
		sc.claimed = false
	}
}

func (sc *readScope) put(id string, h scopedScores) {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	sc.id, sc.scores = id, h
}

// history returns id's snapshots in [from, to] when the scope read them
// with the account and the window covers that range.
func (sc *readScope) history(id string, from, to domain.Date) ([]domain.ScoreSnapshot, bool, error) {
	if from < sc.from || to > sc.to {
		return nil, false, nil
	}
	sc.mu.Lock()
	h, ok := sc.scores, sc.id == id && id != ""
	sc.mu.Unlock()
	if !ok {
		return nil, false, nil
	}
	var in []int // indexes of the snapshots in [from, to], oldest first
	for i, d := range h.days {
		if domain.Date(d) >= from && domain.Date(d) <= to {
			in = append(in, i)
		}
	}
	slices.SortFunc(in, func(i, j int) int { return cmp.Compare(h.days[i], h.days[j]) })
	out := make([]domain.ScoreSnapshot, len(in))
	for k, i := range in {
		if err := apijson.Unmarshal([]byte(h.snaps[i]), &out[k]); err != nil {
			return nil, true, fmt.Errorf("decoding a score snapshot of %s: %w", id, err)
		}
	}
	return out, true, nil
}

// forget drops what the scope read: the command wrote scores.
func (sc *readScope) forget() {
	if sc == nil {
		return
	}
	sc.mu.Lock()
	defer sc.mu.Unlock()
	sc.claimed, sc.id, sc.scores = false, "", scopedScores{}
}
