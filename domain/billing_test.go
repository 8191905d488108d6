package domain

import (
	"strings"
	"testing"
)

func item(price, product string, amount, qty int64, interval string) SubItem {
	return SubItem{Price: price, Product: product, UnitAmount: amount, Currency: "usd", Quantity: qty, Interval: interval, IntervalCount: 1}
}

func TestAnnualMinor(t *testing.T) {
	tests := []struct {
		it   SubItem
		want int64
	}{
		{item("p", "x", 100_00, 10, "month"), 12_000_00},
		{item("p", "x", 50_000_00, 1, "year"), 50_000_00},
		{SubItem{UnitAmount: 300_00, Quantity: 2, Interval: "month", IntervalCount: 3}, 2_400_00}, // quarterly
		{SubItem{UnitAmount: 10_00, Quantity: 1, Interval: "week", IntervalCount: 1}, 520_00},
		{SubItem{UnitAmount: 1, Quantity: 1, Interval: "day", IntervalCount: 1}, 365},
		{SubItem{UnitAmount: 99_00, Quantity: 3, Interval: "fortnight"}, 0}, // unknown interval: not counted
	}
	for _, tt := range tests {
		if got := tt.it.AnnualMinor(); got != tt.want {
			t.Errorf("%+v: %d, want %d", tt.it, got, tt.want)
		}
	}
}

func TestBillingARRSeatsRenewal(t *testing.T) {
	b := &Billing{Subscriptions: []Subscription{
		{ID: "a", Status: "active", Items: []SubItem{item("p1", "core", 1_000_00, 20, "year")}, PeriodEnd: today.AddDays(200)},
		{ID: "b", Status: "past_due", Items: []SubItem{item("p2", "addon", 100_00, 5, "month")}, PeriodEnd: today.AddDays(10)},
		{ID: "c", Status: "trialing", Items: []SubItem{item("p3", "x", 1_00, 1, "year")}},
		{ID: "d", Status: "canceled", Items: []SubItem{item("p4", "y", 9_00, 1, "year")}},
		{ID: "e", Status: "active", Items: []SubItem{{Price: "p5", UnitAmount: 500_00, Currency: "eur", Quantity: 1, Interval: "year"}}, PeriodEnd: today.AddDays(100)},
	}}
	got := b.ARR()
	want := []Money{{Minor: 500_00, Currency: "EUR"}, {Minor: 20_000_00 + 6_000_00, Currency: "USD"}}
	if len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
		t.Errorf("ARR = %+v, want %+v", got, want)
	}
	if n := b.Seats(); n != 26 {
		t.Errorf("seats = %d, want 26 (trial and canceled excluded)", n)
	}
	if d := b.RenewalDate(); d != today.AddDays(100) {
		t.Errorf("renewal = %s, want the nearest annual period end %s", d, today.AddDays(100))
	}
}

func TestApplySubscriptionWritesARRHistoryByMotion(t *testing.T) {
	a := baseAccount() // USD, no history
	sub := Subscription{ID: "sub_1", Status: "active", Start: today.AddDays(-200), AsOf: 100,
		Items: []SubItem{item("basic", "core", 100_00, 10, "month")}}
	steps := []struct {
		name   string
		change func(s *Subscription)
		on     Date
		want   []ARRPoint
	}{
		{"first sight starts the history at the start date", func(*Subscription) {}, today.AddDays(-100),
			[]ARRPoint{{Date: today.AddDays(-200), ARR: 12_000_00}}},
		{"more seats", func(s *Subscription) { s.Items[0].Quantity = 15 }, today.AddDays(-50),
			[]ARRPoint{{Date: today.AddDays(-200), ARR: 12_000_00}, {Date: today.AddDays(-50), ARR: 18_000_00, Motion: MotionSeats}}},
		{"plan upgrade", func(s *Subscription) { s.Items[0].Price, s.Items[0].UnitAmount = "pro", 200_00 }, today.AddDays(-20),
			[]ARRPoint{{Date: today.AddDays(-200), ARR: 12_000_00}, {Date: today.AddDays(-50), ARR: 18_000_00, Motion: MotionSeats},
				{Date: today.AddDays(-20), ARR: 36_000_00, Motion: MotionUpsell}}},
		{"add-on product", func(s *Subscription) { s.Items = append(s.Items, item("an", "analytics", 50_00, 1, "month")) }, today.AddDays(-10),
			[]ARRPoint{{Date: today.AddDays(-200), ARR: 12_000_00}, {Date: today.AddDays(-50), ARR: 18_000_00, Motion: MotionSeats},
				{Date: today.AddDays(-20), ARR: 36_000_00, Motion: MotionUpsell}, {Date: today.AddDays(-10), ARR: 36_600_00, Motion: MotionCrossSell}}},
		{"seat downgrade the same day replaces that day's point", func(s *Subscription) { s.Items[0].Quantity = 10 }, today.AddDays(-10),
			[]ARRPoint{{Date: today.AddDays(-200), ARR: 12_000_00}, {Date: today.AddDays(-50), ARR: 18_000_00, Motion: MotionSeats},
				{Date: today.AddDays(-20), ARR: 36_000_00, Motion: MotionUpsell}, {Date: today.AddDays(-10), ARR: 24_600_00, Motion: MotionSeats}}},
	}
	for i, st := range steps {
		next := sub
		next.Items = append([]SubItem(nil), sub.Items...)
		st.change(&next)
		next.AsOf = sub.AsOf + int64(i)
		if d := a.ApplySubscription("stripe", next, st.on); len(d) == 0 {
			t.Fatalf("%s: no change", st.name)
		}
		sub = next
		if !equalPoints(a.ARRHistory, st.want) {
			t.Fatalf("%s: history %+v, want %+v", st.name, a.ARRHistory, st.want)
		}
	}
	n := len(a.ARRHistory)
	if d := a.ApplySubscription("stripe", sub, today); d != nil || len(a.ARRHistory) != n {
		t.Errorf("the same state again changed %v", d)
	}
	stale := sub
	stale.Items = []SubItem{item("basic", "core", 100_00, 1, "month")}
	stale.AsOf = 1
	if d := a.ApplySubscription("stripe", stale, today); d != nil {
		t.Errorf("an older state was applied: %v", d)
	}
	r := ComputeRetention([]*Account{a}, today.AddDays(-100), today)
	// The same-day downgrade replaced the add-on's point: a day's last state counts.
	if r.ByMotion[MotionSeats] != 6_000_00 || r.ByMotion[MotionUpsell] != 18_000_00 || r.ByMotion[MotionCrossSell] != 0 {
		t.Errorf("expansion by motion %+v", r.ByMotion)
	}
}

func equalPoints(a, b []ARRPoint) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestBillingRulesAndReadiness(t *testing.T) {
	live := Subscription{ID: "sub_1", Status: "active", Items: []SubItem{item("p", "core", 500_00, 10, "year")}, PeriodEnd: today.AddDays(120)}
	tests := []struct {
		name      string
		b         *Billing
		payment   bool
		cancel    bool
		billing   Readiness
		readiness Readiness // overall, with an otherwise healthy account
	}{
		{"paying", &Billing{Subscriptions: []Subscription{live}}, false, false, Green, ""},
		{"payment failed", &Billing{Subscriptions: []Subscription{live}, Failures: []PaymentFailure{{Invoice: "in_1", Date: today.AddDays(-3)}}}, true, false, Red, ""},
		{"old failure ignored", &Billing{Subscriptions: []Subscription{live}, Failures: []PaymentFailure{{Invoice: "in_0", Date: today.AddDays(-200)}}}, false, false, Green, ""},
		{"cancel at period end: red", &Billing{Subscriptions: []Subscription{func() Subscription { s := live; s.CancelAtPeriodEnd = true; return s }()}}, false, true, Red, Red},
		{"nothing active", &Billing{Subscriptions: []Subscription{{ID: "x", Status: "canceled"}}}, false, false, Red, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := baseAccount()
			a.Billing = tt.b
			cfg := DefaultConfig()
			h := ScoreHealth(a, today, cfg.Health)
			if r := reasonOf(t, h, "payment_failed"); r.Met != tt.payment || (r.Met && r.Points != -10) {
				t.Errorf("payment_failed %+v", r)
			}
			if r := reasonOf(t, h, "cancelling"); r.Met != tt.cancel || (r.Met && r.Points != -20) {
				t.Errorf("cancelling %+v", r)
			}
			rs := AssessRenewal(a, h, 1, today, cfg)
			last := rs.Indicators[len(rs.Indicators)-1]
			if last.Name != "Billing" || last.Status != tt.billing {
				t.Errorf("billing indicator %+v, want %s", last, tt.billing)
			}
			if tt.readiness != "" && rs.Readiness != tt.readiness {
				t.Errorf("readiness %s, want %s", rs.Readiness, tt.readiness)
			}
		})
	}
	// Without a billing feed nothing is listed: scores stay as they were.
	h := ScoreHealth(baseAccount(), today, DefaultConfig().Health)
	for _, r := range h.Reasons {
		if r.Rule == "payment_failed" || r.Rule == "cancelling" {
			t.Errorf("billing rule on an account without billing: %+v", r)
		}
	}
}

func TestApplyPayment(t *testing.T) {
	a := baseAccount()
	if d := a.ApplyPayment("stripe", "in_1", false, today); len(d) != 1 {
		t.Fatalf("failure: %v", d)
	}
	if d := a.ApplyPayment("stripe", "in_1", false, today); d != nil {
		t.Errorf("replayed failure changed %v", d)
	}
	if d := a.ApplyPayment("stripe", "in_2", true, today); d != nil {
		t.Errorf("a paid invoice that never failed changed %v", d)
	}
	if d := a.ApplyPayment("stripe", "in_1", true, today); len(d) != 1 || len(a.Billing.Failures) != 0 {
		t.Errorf("paid: %v %+v", d, a.Billing.Failures)
	}
}

func TestCompareARR(t *testing.T) {
	usd := func(v int64) Money { return Money{Minor: v * 100, Currency: "USD"} }
	tests := []struct {
		name    string
		crm     Money
		billing []Money
		src     ARRSource
		used    Money
		diff    int64 // in major units
		noDiff  bool  // not comparable
		text    string
	}{
		{"agree", usd(120_000), []Money{usd(120_000)}, ARRFromCRM, usd(120_000), 0, false, "ARR $120,000 (CRM and billing agree)"},
		{"crm wins", usd(120_000), []Money{usd(132_000)}, ARRFromCRM, usd(120_000), 12_000, false, "ARR $120,000 from the CRM; billing charges $132,000 (billing $12,000 higher)"},
		{"billing wins", usd(120_000), []Money{usd(100_000)}, ARRFromBilling, usd(100_000), -20_000, false, "ARR $100,000 from billing; the CRM says $120,000 (billing $20,000 lower)"},
		{"other currency: crm kept", usd(120_000), []Money{{Minor: 90_000_00, Currency: "EUR"}}, ARRFromBilling, usd(120_000), 0, true, "ARR $120,000 from the CRM; billing has €90,000 (another currency: not compared)"},
		{"no subscription", usd(120_000), nil, ARRFromBilling, usd(120_000), 0, true, "ARR $120,000 from the CRM; billing has no active subscription"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := CompareARR(tt.crm, tt.billing, tt.src)
			if c.Used != tt.used || c.Text != tt.text {
				t.Errorf("used %+v text %q", c.Used, c.Text)
			}
			if tt.noDiff && c.Diff != nil || !tt.noDiff && (c.Diff == nil || c.Diff.Minor != tt.diff*100) {
				t.Errorf("diff %+v, want %d", c.Diff, tt.diff)
			}
		})
	}
}

func TestEvaluateUsesTheConfiguredARRSource(t *testing.T) {
	a := baseAccount() // $50,000 in the book
	a.Billing = &Billing{Subscriptions: []Subscription{{ID: "s", Status: "active", PeriodEnd: today.AddDays(40),
		Items: []SubItem{item("p", "core", 6_000_00, 20, "year")}}}} // $120,000, 20 seats
	cfg := DefaultConfig()
	e := Evaluate(a, today, cfg)
	if e.ARR.Minor != 50_000_00 || e.ARRCheck == nil || e.ARRCheck.Diff.Minor != 70_000_00 {
		t.Errorf("crm source: %+v %+v", e.ARR, e.ARRCheck)
	}
	cfg.Billing.ARRSource = ARRFromBilling
	e = Evaluate(a, today, cfg)
	if e.ARR.Minor != 120_000_00 || e.Renewal.RenewalDate != today.AddDays(40) || !strings.Contains(e.ARRCheck.Text, "from billing") {
		t.Errorf("billing source: %+v renewal %s %+v", e.ARR, e.Renewal.RenewalDate, e.ARRCheck)
	}
	if e.Tier.Tier != 1 {
		t.Errorf("tier from billing ARR: %d", e.Tier.Tier)
	}
	if a.ARR != 50_000_00 || a.SeatsPurchased != 0 {
		t.Error("Evaluate changed the stored account")
	}
}
