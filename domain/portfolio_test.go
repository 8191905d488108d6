package domain

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

func TestAllocationSeedExample(t *testing.T) {
	got := Allocate([3]int{10, 20, 20}, DefaultConfig().Allocation)
	want := []struct{ acc, time float64 }{{20, 60}, {40, 30}, {40, 10}}
	for i, w := range want {
		if got[i].AccountSharePct != w.acc || got[i].TimeSharePct != w.time {
			t.Errorf("tier %d: %v%% of accounts, %v%% of time; want %v/%v", i+1, got[i].AccountSharePct, got[i].TimeSharePct, w.acc, w.time)
		}
	}
	if got[0].HoursPerAccount != 2.4 || got[2].HoursPerAccount != 0.2 {
		t.Errorf("hours per account = %v, %v", got[0].HoursPerAccount, got[2].HoursPerAccount)
	}
	// An empty tier gives its time to the others.
	got = Allocate([3]int{0, 5, 5}, DefaultConfig().Allocation)
	if got[0].TimeSharePct != 0 || got[1].TimeSharePct != 75 || got[2].TimeSharePct != 25 {
		t.Errorf("empty tier 1: %+v", got)
	}
	if got := Allocate([3]int{}, DefaultConfig().Allocation); got[0].TimeSharePct != 0 {
		t.Errorf("no accounts: %+v", got)
	}
}

func TestTopNMatchesFullSort(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	prios := []Priority{PriorityTop, PriorityHigh, PriorityMedium, PriorityDecision}
	var all []Evaluation
	top := TopN{N: 5}
	for i := range 300 {
		e := Evaluation{AccountID: fmt.Sprintf("a%03d", i), Priority: prios[rng.IntN(4)], ARR: Money{Minor: int64(rng.IntN(20)) * 1000}}
		e.Renewal.RenewalDate = today.AddDays(rng.IntN(400))
		e.Renewal.DaysToRenewal = today.DaysUntil(e.Renewal.RenewalDate)
		all = append(all, e)
		top.Add(e)
	}
	Rank(all)
	for i := range 5 {
		if top.Items[i].AccountID != all[i].AccountID {
			t.Fatalf("position %d: %s, want %s", i, top.Items[i].AccountID, all[i].AccountID)
		}
	}
	if all[0].Priority != PriorityTop || all[len(all)-1].Priority != PriorityMedium {
		t.Error("ranking must follow the priority classes")
	}
}

func TestRetention(t *testing.T) {
	from, to := MustDate("2025-11-23"), MustDate("2026-11-23")
	d := func(s string) Date { return MustDate(s) }
	accounts := []*Account{
		{ID: "grow", ARRHistory: []ARRPoint{{d("2025-01-01"), 100_00, ""}, {d("2026-03-01"), 130_00, MotionUpsell}, {d("2026-06-01"), 150_00, MotionSeats}}},
		{ID: "shrink", ARRHistory: []ARRPoint{{d("2025-01-01"), 100_00, ""}, {d("2026-05-01"), 80_00, ""}}},
		{ID: "churn", ARRHistory: []ARRPoint{{d("2025-01-01"), 100_00, ""}, {d("2026-02-01"), 0, ""}}},
		{ID: "flat", ARR: 100_00, ContractStart: d("2024-01-01")},
		{ID: "new", ARR: 500_00, ContractStart: d("2026-01-01")}, // not in the cohort
	}
	r := ComputeRetention(accounts, from, to)
	// start 400, end 150+80+0+100 = 330 → NRR 82.5%; GRR (400-20-100)/400 = 70%.
	if r.Accounts != 4 || r.StartARR != 400_00 || r.EndARR != 330_00 || r.NRRPct != 82.5 || r.GRRPct != 70 {
		t.Errorf("retention = %+v", r)
	}
	if r.ByMotion[MotionUpsell] != 30_00 || r.ByMotion[MotionSeats] != 20_00 || r.Churn != 100_00 || r.Contraction != 20_00 {
		t.Errorf("by motion = %+v", r)
	}
}

func TestPercentile(t *testing.T) {
	vals := []float64{10, 20, 30, 40, 50, 60, 70, 80}
	if p := Percentile(vals, 70); p != 75 {
		t.Errorf("Percentile = %v", p)
	}
}

func TestChanges(t *testing.T) {
	prev := ScoreSnapshot{Tier: 2, EngagementBand: BandMedium, PotentialBand: BandLow, RiskBand: BandLow, Priority: PriorityMedium, Triggers: []string{"seats"}}
	cur := prev
	cur.Tier, cur.RiskBand, cur.Priority, cur.Triggers = 1, BandHigh, PriorityHigh, []string{"seats", "competitor"}
	ch := Changes(prev, cur)
	kinds := map[string]int{}
	for _, c := range ch {
		kinds[c.Kind]++
	}
	if kinds["tier"] != 1 || kinds["band"] != 1 || kinds["priority"] != 1 || kinds["trigger"] != 1 {
		t.Errorf("changes = %+v", ch)
	}
	if len(Changes(prev, prev)) != 0 {
		t.Error("no change expected")
	}
}
