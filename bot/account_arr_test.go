package bot_test

import (
	"context"
	"strings"
	"testing"

	"github.com/accountbot/accountbot/bot"
	"github.com/accountbot/accountbot/domain"
)

// TestOverviewShowsBothARRsWhenBillingDisagrees: the account card shows
// the CRM's and billing's ARR with the difference, and which one is used.
func TestOverviewShowsBothARRsWhenBillingDisagrees(t *testing.T) {
	billing := func(perYear int64) *domain.Billing {
		return &domain.Billing{Source: "stripe", Subscriptions: []domain.Subscription{{ID: "sub_1", Status: "active",
			Items: []domain.SubItem{{Price: "p", UnitAmount: perYear, Currency: "usd", Quantity: 1, Interval: "year"}}}}}
	}
	for _, tc := range []struct {
		name    string
		source  domain.ARRSource
		billing *domain.Billing
		want    string // "" = no comparison on the card
		diff    float64
	}{
		{"crm wins", domain.ARRFromCRM, billing(110_000_00), "ARR $100,000 from the CRM; billing charges $110,000 (billing $10,000 higher)", 10_000_00},
		{"billing wins", domain.ARRFromBilling, billing(90_000_00), "ARR $90,000 from billing; the CRM says $100,000 (billing $10,000 lower)", -10_000_00},
		{"agree", domain.ARRFromCRM, billing(100_000_00), "", 0},
		{"no billing feed", domain.ARRFromCRM, nil, "", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, db := newEngine(t)
			cfg := domain.DefaultConfig()
			cfg.Billing.ARRSource = tc.source
			e := bot.NewEngine(db, cfg, nil)
			a := &domain.Account{ID: "arrco", Name: "Arr Co", ARR: 100_000_00, Currency: "USD", Billing: tc.billing}
			if _, err := db.Apply(context.Background(), []domain.Patch{{ID: a.ID, Core: a}}); err != nil {
				t.Fatal(err)
			}
			m, d := ask(t, e, "account arrco", "")
			text := bot.RenderText(m)
			if m.Error {
				t.Fatal(text)
			}
			if tc.want == "" {
				if d["arr_check"] != nil || strings.Contains(text, "billing charges") || strings.Contains(text, "the CRM says") {
					t.Errorf("a comparison where there is no disagreement: %v\n%s", d["arr_check"], text)
				}
				return
			}
			if !strings.Contains(text, tc.want) {
				t.Errorf("card lacks %q:\n%s", tc.want, text)
			}
			c, _ := d["arr_check"].(map[string]any)
			diff, _ := c["difference"].(map[string]any)
			if c == nil || c["source"] != string(tc.source) || diff["minor"] != tc.diff {
				t.Errorf("arr_check = %v", d["arr_check"])
			}
		})
	}
}
