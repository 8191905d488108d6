package domain_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/accountbot/accountbot/domain"
)

// The seed's worked figures: £120K cost on £100K expansion pays back in
// 14.4 months ("14 months, acceptable"); 10% × £200K = £20K variable pay;
// £100K → £120K over two years is 20% ACV growth (target 15–25%).
func TestEconomicsSeedFigures(t *testing.T) {
	today := domain.NewDate(2026, 11, 23)
	cfg := domain.DefaultEconomics()
	gbp := func(id, owner string, tier int, arr int64, hist ...domain.ARRPoint) domain.TieredAccount {
		return domain.TieredAccount{Account: &domain.Account{ID: id, Owner: owner, Currency: "GBP", ARR: arr * 100, ARRHistory: hist}, Tier: tier}
	}
	twoYears, lastYear := today.AddMonths(-24), today.AddMonths(-6)
	var book []domain.TieredAccount
	// ana: 8 Enterprise accounts, one grown £100K → £200K in the window
	// (£100K expansion); 2 years ago it was £100K.
	book = append(book, gbp("a0", "ana", 1, 200_000, domain.ARRPoint{Date: twoYears, ARR: 100_000_00}, domain.ARRPoint{Date: lastYear, ARR: 200_000_00, Motion: domain.MotionUpsell}))
	for i := 1; i < 8; i++ {
		book = append(book, gbp(fmt.Sprint("a", i), "ana", 1, 100_000))
	}
	// bo: 18 mid-market accounts and £200K of expansion on one of them.
	book = append(book, gbp("b0", "bo", 2, 250_000, domain.ARRPoint{Date: twoYears, ARR: 50_000_00}, domain.ARRPoint{Date: lastYear, ARR: 250_000_00, Motion: domain.MotionCrossSell}))
	for i := 1; i < 18; i++ {
		book = append(book, gbp(fmt.Sprint("b", i), "bo", 2, 30_000))
	}
	// cy: 12 Enterprise accounts (above 1:10), no expansion; and a USD
	// account, which is left out.
	for i := 0; i < 12; i++ {
		book = append(book, gbp(fmt.Sprint("c", i), "cy", 1, 150_000))
	}
	book = append(book, domain.TieredAccount{Account: &domain.Account{ID: "u", Owner: "cy", Currency: "USD", ARR: 1}, Tier: 3})

	e := domain.ComputeEconomics(book, today, cfg)
	if e.Currency != "GBP" || e.Excluded != 1 || e.Cost != 120_000_00 {
		t.Fatalf("currency %s excluded %d cost %d", e.Currency, e.Excluded, e.Cost)
	}
	segs := []struct {
		accounts, owners int
		perOwner         float64
		versus           string
	}{{20, 2, 10, "within"}, {18, 1, 18, "within"}, {0, 0, 0, ""}}
	for i, want := range segs {
		s := e.Segments[i]
		if s.Accounts != want.accounts || s.Owners != want.owners || s.AccountsPerOwner != want.perOwner || s.Versus != want.versus {
			t.Errorf("segment %s = %+v", s.Name, s)
		}
	}
	byOwner := map[string]domain.OwnerLoad{}
	for _, o := range e.Owners {
		byOwner[o.Owner] = o
	}
	ana, bo, cy := byOwner["ana"], byOwner["bo"], byOwner["cy"]
	if ana.Expansion != 100_000_00 || ana.PaybackMonths == nil || *ana.PaybackMonths != 14.4 || !ana.PaybackOK || ana.VariablePay != 10_000_00 || ana.LoadPct != 80 {
		t.Errorf("ana = %+v", ana)
	}
	if bo.Expansion != 200_000_00 || *bo.PaybackMonths != 7.2 || !bo.PaybackOK || bo.VariablePay != 20_000_00 || bo.LoadPct != 90 {
		t.Errorf("bo = %+v", bo)
	}
	if cy.PaybackMonths != nil || cy.PaybackOK || cy.LoadPct != 120 || cy.Accounts != [3]int{12, 0, 0} {
		t.Errorf("cy = %+v", cy)
	}
	// ACV of the accounts present two years ago (ARR history or a flat ARR).
	if e.ACVCohort != 38 {
		t.Errorf("ACV cohort = %d", e.ACVCohort)
	}
	if g := domain.GrowthPct(100_000_00, 120_000_00); g != 20 || domain.Versus(g, cfg.ACVGrowthPct) != "within" {
		t.Errorf("£100K → £120K = %v%%", g)
	}
	for _, tt := range []struct {
		v      float64
		target [2]float64
		want   string
	}{{104.9, [2]float64{105, 120}, "below"}, {120, [2]float64{105, 120}, "within"}, {151, [2]float64{130, 150}, "above"}, {12, [2]float64{5, 0}, "within"}} {
		if got := domain.Versus(tt.v, tt.target); got != tt.want {
			t.Errorf("Versus(%v, %v) = %s", tt.v, tt.target, got)
		}
	}
	if p, _ := domain.ManagerPayback(120_000_00, 100_000_00); p != 14.4 {
		t.Errorf("payback = %v", p)
	}
	if v := domain.VariableComp(200_000_00, 1000); v != 20_000_00 {
		t.Errorf("variable comp = %v", v)
	}
}

func TestEconomicsConfigIsValidated(t *testing.T) {
	cfg := domain.DefaultConfig()
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	cfg.Economics.RatioMax[0] = 3 // below ratio_min 5
	cfg.Economics.ManagerCost = 0
	err := cfg.Validate()
	for _, want := range []string{"economics.ratio_max[0]", "economics.manager_cost"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("want %s in %v", want, err)
		}
	}
}
