package domain

import "fmt"

// ARRCheck compares the book's ARR (from the CRM or an import) with what
// billing charges, and says which one the rules use. Cards show it when
// the two differ.
type ARRCheck struct {
	Source  ARRSource `json:"source"`  // the source whose value is used
	Used    Money     `json:"used"`    // the ARR the rules use
	CRM     Money     `json:"crm"`     // the book's ARR
	Billing []Money   `json:"billing"` // billing's ARR, by currency
	// Diff is billing − CRM in the account's currency; nil when billing has
	// nothing in that currency (not comparable).
	Diff *Money `json:"difference,omitempty"`
	Text string `json:"text"`
}

// Agree reports whether billing and the CRM say the same.
func (c ARRCheck) Agree() bool { return c.Diff != nil && c.Diff.Minor == 0 }

// CompareARR decides which ARR wins under src and words the difference.
// Billing wins only when it has an amount in the CRM's currency: amounts
// in different currencies are shown, never converted or compared.
func CompareARR(crm Money, billing []Money, src ARRSource) ARRCheck {
	c := ARRCheck{Source: ARRFromCRM, Used: crm, CRM: crm, Billing: billing}
	var same *Money
	for i := range billing {
		if billing[i].Currency == crm.Currency {
			same = &billing[i]
		}
	}
	if same == nil {
		c.Text = fmt.Sprintf("ARR %s from the CRM; billing has %s", crm.Format(), listMoney(billing))
		if len(billing) > 0 {
			c.Text += " (another currency: not compared)"
		}
		return c
	}
	d := Money{Minor: same.Minor - crm.Minor, Currency: crm.Currency}
	c.Diff = &d
	if src == ARRFromBilling {
		c.Source, c.Used = ARRFromBilling, *same
	}
	switch {
	case d.Minor == 0:
		c.Text = fmt.Sprintf("ARR %s (CRM and billing agree)", crm.Format())
	case c.Source == ARRFromBilling:
		c.Text = fmt.Sprintf("ARR %s from billing; the CRM says %s (billing %s)", same.Format(), crm.Format(), signed(d))
	default:
		c.Text = fmt.Sprintf("ARR %s from the CRM; billing charges %s (billing %s)", crm.Format(), same.Format(), signed(d))
	}
	return c
}

func signed(d Money) string {
	if d.Minor > 0 {
		return d.Format() + " higher"
	}
	return Money{Minor: -d.Minor, Currency: d.Currency}.Format() + " lower"
}

func listMoney(ms []Money) string {
	if len(ms) == 0 {
		return "no active subscription"
	}
	s := ""
	for i, m := range ms {
		if i > 0 {
			s += " + "
		}
		s += m.Format()
	}
	return s
}

// WithBilling returns the account the rules should see under cfg, and the
// ARR comparison (nil without a billing feed). With arr_source billing,
// billing's ARR, seats and annual renewal date replace the book's values in
// a copy; the stored account is never changed.
func WithBilling(a *Account, cfg BillingConfig) (*Account, *ARRCheck) {
	if a.Billing == nil {
		return a, nil
	}
	c := CompareARR(a.Money(a.ARR), a.Billing.ARR(), cfg.ARRSource)
	if c.Source != ARRFromBilling {
		return a, &c
	}
	cp := *a
	cp.ARR = c.Used.Minor
	if n := a.Billing.Seats(); n > 0 {
		cp.SeatsPurchased = n
	}
	if d := a.Billing.RenewalDate(); !d.IsZero() {
		cp.RenewalDate = d
	}
	return &cp, &c
}
