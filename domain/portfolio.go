package domain

import (
	"sort"
)

// Less orders evaluations for a CSM's "most need you today" list: a red
// renewal inside its lead time on a top tier first ("renewal risk overrides
// revenue"), then by expected ARR impact (see ComputeImpact), then priority
// class, ARR, the nearest renewal and id, so the order is total (TopN
// merges partial lists exactly).
func Less(a, b *Evaluation) bool { return RankKeyOf(a).Before(RankKeyOf(b)) }

// RankKey is what Less looks at in an evaluation: small enough to keep
// for every CSM and every week of a replay (replay/).
type RankKey struct {
	ID       string
	Override bool
	Total    int64
	Class    int // Priority.Rank
	ARR      int64
	Renewal  int // days to renewal; 1<<30 when none or past
}

// RankKeyOf returns e's rank key.
func RankKeyOf(e *Evaluation) RankKey {
	return RankKey{ID: e.AccountID, Override: e.Impact.Override, Total: e.Impact.Total, Class: e.Priority.Rank(),
		ARR: e.ARR.Minor, Renewal: renewalKey(e)}
}

// Before reports whether k ranks ahead of o (see Less).
func (k RankKey) Before(o RankKey) bool {
	switch {
	case k.Override != o.Override:
		return k.Override
	case k.Total != o.Total:
		return k.Total > o.Total
	case k.Class != o.Class:
		return k.Class < o.Class
	case k.ARR != o.ARR:
		return k.ARR > o.ARR
	case k.Renewal != o.Renewal:
		return k.Renewal < o.Renewal
	}
	return k.ID < o.ID
}

func renewalKey(e *Evaluation) int {
	if e.Renewal.RenewalDate.IsZero() || e.Renewal.DaysToRenewal < 0 {
		return 1 << 30
	}
	return e.Renewal.DaysToRenewal
}

// Rank sorts evaluations in priority order, in place.
func Rank(evals []Evaluation) {
	sort.SliceStable(evals, func(i, j int) bool { return Less(&evals[i], &evals[j]) })
}

// TopN keeps the n highest-priority evaluations seen, without sorting the
// whole book: O(len × n), fine for the small n of a digest.
type TopN struct {
	N     int
	Items []Evaluation
}

// Add offers e to the list.
func (t *TopN) Add(e Evaluation) {
	if len(t.Items) == t.N && !Less(&e, &t.Items[len(t.Items)-1]) {
		return
	}
	i := sort.Search(len(t.Items), func(i int) bool { return Less(&e, &t.Items[i]) })
	if len(t.Items) < t.N {
		t.Items = append(t.Items, Evaluation{})
	}
	copy(t.Items[i+1:], t.Items[i:len(t.Items)-1])
	t.Items[i] = e
}

// TierAllocation is the share of a CSM's time for one tier.
type TierAllocation struct {
	Tier            int     `json:"tier"`
	Accounts        int     `json:"accounts"`
	AccountSharePct float64 `json:"account_share_pct"`
	TimeSharePct    float64 `json:"time_share_pct"`
	HoursPerWeek    float64 `json:"hours_per_week"`
	HoursPerAccount float64 `json:"hours_per_account_per_week"`
}

// Allocate splits a CSM's week across tiers by per-account weight. With the
// default 12:3:1 weights, the seed's 50 accounts (10/20/20) come out 60/30/10.
func Allocate(counts [3]int, cfg AllocationConfig) []TierAllocation {
	total, weighted := 0, 0.0
	for i, n := range counts {
		total += n
		weighted += float64(n) * cfg.Weights[i]
	}
	out := make([]TierAllocation, 3)
	for i, n := range counts {
		a := TierAllocation{Tier: i + 1, Accounts: n}
		if total > 0 {
			a.AccountSharePct = round1(float64(n) / float64(total) * 100)
		}
		if weighted > 0 {
			share := float64(n) * cfg.Weights[i] / weighted
			a.TimeSharePct = round1(share * 100)
			a.HoursPerWeek = round1(share * cfg.HoursPerWeek)
			if n > 0 {
				a.HoursPerAccount = math2(share * cfg.HoursPerWeek / float64(n))
			}
		}
		out[i] = a
	}
	return out
}

func math2(v float64) float64 { return float64(int64(v*100+0.5)) / 100 }

// Retention is net and gross revenue retention over a period.
type Retention struct {
	From        Date             `json:"from"`
	To          Date             `json:"to"`
	StartARR    int64            `json:"start_arr_minor"`
	EndARR      int64            `json:"end_arr_minor"` // of the accounts that were customers at From
	Expansion   int64            `json:"expansion_minor"`
	Contraction int64            `json:"contraction_minor"`
	Churn       int64            `json:"churn_minor"`
	NRRPct      float64          `json:"nrr_pct"`
	GRRPct      float64          `json:"grr_pct"`
	Accounts    int              `json:"accounts"`
	ByMotion    map[Motion]int64 `json:"expansion_by_motion_minor"`
}

// ComputeRetention measures the cohort of accounts with ARR on `from`:
// NRR = ARR on `to` ÷ ARR on `from`; GRR caps each account at its starting
// ARR. Expansion by motion sums the increases in each account's ARR history
// within the period (unattributed increases count under "").
func ComputeRetention(accounts []*Account, from, to Date) Retention {
	r := Retention{From: from, To: to, ByMotion: map[Motion]int64{}}
	for _, a := range accounts {
		start := a.ARRAt(from)
		if start <= 0 {
			continue
		}
		end := a.ARRAt(to)
		r.Accounts++
		r.StartARR += start
		r.EndARR += end
		switch {
		case end == 0:
			r.Churn += start
		case end < start:
			r.Contraction += start - end
		case end > start:
			r.Expansion += end - start
		}
		prev := start
		for _, p := range a.ARRHistory {
			if p.Date <= from || p.Date > to {
				continue
			}
			if p.ARR > prev {
				r.ByMotion[p.Motion] += p.ARR - prev
			}
			prev = p.ARR
		}
	}
	if r.StartARR > 0 {
		r.NRRPct = round1(float64(r.EndARR) / float64(r.StartARR) * 100)
		r.GRRPct = round1(float64(r.StartARR-r.Contraction-r.Churn) / float64(r.StartARR) * 100)
	}
	return r
}

// Percentile returns the share (0–100) of values strictly below v: a value
// with percentile 80 is in the top 20%.
func Percentile(values []float64, v float64) float64 {
	if len(values) == 0 {
		return 0
	}
	below := 0
	for _, x := range values {
		if x < v {
			below++
		}
	}
	return round1(float64(below) / float64(len(values)) * 100)
}
