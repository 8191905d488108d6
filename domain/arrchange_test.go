package domain_test

import (
	"testing"

	"github.com/accountbot/accountbot/domain"
)

func TestApplyARRChange(t *testing.T) {
	today := domain.NewDate(2026, 11, 23)
	start := domain.NewDate(2025, 3, 1)
	base := func() *domain.Account {
		return &domain.Account{ID: "x", Name: "X", ARR: 100_000_00, Currency: "USD", ContractStart: start}
	}
	up := domain.ARRChange{Date: today, Motion: domain.MotionUpsell, Change: 20_000_00, From: 100_000_00, To: 120_000_00}
	tests := []struct {
		name    string
		change  func(c domain.ARRChange) domain.ARRChange
		code    string
		already bool
	}{
		{"recorded", func(c domain.ARRChange) domain.ARRChange { return c }, "", false},
		{"future", func(c domain.ARRChange) domain.ARRChange { c.Date = today.AddDays(1); return c }, domain.EINVALID, false},
		{"stale from", func(c domain.ARRChange) domain.ARRChange { c.From, c.To = 90_000_00, 110_000_00; return c }, domain.ECONFLICT, false},
		{"zero", func(c domain.ARRChange) domain.ARRChange { c.Change, c.To = 0, c.From; return c }, domain.EINVALID, false},
		{"wrong total", func(c domain.ARRChange) domain.ARRChange { c.To = 1; return c }, domain.EINVALID, false},
	}
	for _, tt := range tests {
		a := base()
		already, err := domain.ApplyARRChange(a, tt.change(up), today)
		if domain.ErrorCode(err) != tt.code && !(tt.code == "" && err == nil) || already != tt.already {
			t.Errorf("%s: already %v err %v", tt.name, already, err)
		}
	}
	// Recorded: the history starts with the old ARR at the contract start,
	// so the year's NRR is 120%; recording it again changes nothing.
	a := base()
	if _, err := domain.ApplyARRChange(a, up, today); err != nil {
		t.Fatal(err)
	}
	if a.ARR != 120_000_00 || len(a.ARRHistory) != 2 || a.ARRHistory[0] != (domain.ARRPoint{Date: start, ARR: 100_000_00}) {
		t.Fatalf("account after = %+v", a)
	}
	r := domain.ComputeRetention([]*domain.Account{a}, today.AddMonths(-12), today)
	if r.NRRPct != 120 || r.ByMotion[domain.MotionUpsell] != 20_000_00 {
		t.Errorf("retention = %+v", r)
	}
	if already, err := domain.ApplyARRChange(a, up, today); !already || err != nil || len(a.ARRHistory) != 2 || a.ARR != 120_000_00 {
		t.Errorf("second record: already %v err %v history %v", already, err, a.ARRHistory)
	}
	// Backdating before the last change is refused.
	back := domain.ARRChange{Date: today.AddDays(-30), Change: 1_00, From: 120_000_00, To: 120_000_01}
	if _, err := domain.ApplyARRChange(a, back, today); domain.ErrorCode(err) != domain.EINVALID {
		t.Errorf("backdated = %v", err)
	}
}
