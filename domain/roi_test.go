package domain

import (
	"math"
	"testing"
)

func TestSeedArithmetic(t *testing.T) {
	// Hours-saved values from the seeds.
	values := []struct {
		name   string
		centiH int64
		per    Period
		rate   int64
		want   int64
	}{
		{"4 h/week at $50 = $10,400", 400, PerWeek, 50_00, 10_400_00},
		{"6 h/week at $50 = $15,600", 600, PerWeek, 50_00, 15_600_00},
		{"320 h/month at $85 = $326,400", 32000, PerMonth, 85_00, 326_400_00},
		{"1,440 h/year at $50 = $72K", 144000, PerYear, 50_00, 72_000_00},
		{"4.5 h/week at $50.50 = $11,817", 450, PerWeek, 50_50, 11_817_00},
	}
	for _, tt := range values {
		if got := AnnualValueFromHours(tt.centiH, tt.per, tt.rate); got != tt.want {
			t.Errorf("%s: got %d", tt.name, got)
		}
	}

	// The renewal presentation: $72K value on $50K → ROI 144%. The seed's
	// "4.2 months" payback contradicts its own formula: 50/72×12 = 8.3.
	r, err := ComputeROI(72_000_00, 50_000_00)
	if err != nil || r.ReturnPct != 144 || r.NetReturnPct != 44 || r.PaybackMonths != 8.3 {
		t.Errorf("ROI = %+v, %v", r, err)
	}
	if _, err := ComputeROI(1, 0); ErrorCode(err) != EINVALID {
		t.Error("zero cost must be invalid")
	}
	if r, _ := ComputeROI(0, 10); !math.IsInf(r.PaybackMonths, 1) {
		t.Error("no value never pays back")
	}
	if got := AnnualCost(5_000_00, PerMonth); got != 60_000_00 {
		t.Errorf("AnnualCost = %d", got)
	}

	// £5K → upsell £2K → cross-sell £1K → 10% price increase (£0.8K) → seats £1.5K = £10.3K, 106%.
	e := BreakdownExpansion(5_000_00, []ExpansionStep{
		{Motion: MotionUpsell, Amount: 2_000_00},
		{Motion: MotionCrossSell, Amount: 1_000_00},
		{Motion: MotionPriceIncrease, PctBasis: 1000},
		{Motion: MotionSeats, Amount: 1_500_00},
	})
	if e.Final != 10_300_00 || e.ExpansionPct != 106 || e.Lines[2].Delta != 800_00 || e.Multiple != 2.06 {
		t.Errorf("expansion = %+v", e)
	}

	// Account-manager payback: £120K cost, £100K expansion ARR → 14.4 ("14 months").
	if m, err := ManagerPayback(120_000_00, 100_000_00); err != nil || m != 14.4 || math.Round(m) != 14 {
		t.Errorf("ManagerPayback = %v %v", m, err)
	}
	if _, err := ManagerPayback(1, 0); err == nil {
		t.Error("zero expansion must be an error")
	}
	// 10% bonus on £200K expansion = £20K.
	if got := VariableComp(200_000_00, 1000); got != 20_000_00 {
		t.Errorf("VariableComp = %d", got)
	}
	// $750K over 3 years = $2.25M; $750K → $1.2M = +60%; £100K → £120K = 20%.
	if got := ContractValue(750_000_00, 3); got != 2_250_000_00 {
		t.Errorf("ContractValue = %d", got)
	}
	if g := GrowthPct(750_000_00, 1_200_000_00); g != 60 {
		t.Errorf("GrowthPct = %v", g)
	}
	if g := GrowthPct(100_000_00, 120_000_00); g != 20 {
		t.Errorf("GrowthPct = %v", g)
	}
}

// The case study's "133% now → 287% at full adoption" needs value delivered
// and value at full adoption as separate inputs.
func TestReturnNowAndAtFullAdoption(t *testing.T) {
	a := &Account{ARR: 750_000_00, Currency: "USD", ValueDelivered: 1_000_000_00, ValueAtFullAdoption: 2_152_500_00}
	r, ok := ReturnOf(a)
	if !ok || r.Now.ReturnPct != 133.3 || r.Full == nil || r.Full.ReturnPct != 287 || r.BelowCost() || r.NowBasis.HoursKnown() {
		t.Fatalf("got %+v %v", r, ok)
	}
	// Hours now and at full adoption, at the customer's rate.
	a = &Account{ARR: 750_000_00, Currency: "USD", HoursSavedPerMonth: 320_00, HoursAtFullAdoptionPerMonth: 640_00, HourlyRate: 85_00}
	r, ok = ReturnOf(a)
	if !ok || r.Now.AnnualValue != 326_400_00 || r.Now.ReturnPct != 43.5 || !r.BelowCost() || !r.NowBasis.HoursKnown() || r.Full.AnnualValue != 652_800_00 {
		t.Fatalf("hours: %+v", r)
	}
	if _, ok := ReturnOf(&Account{ARR: 1}); ok {
		t.Error("no value input must give no return")
	}
}
