package domain

import (
	"fmt"
	"sort"
	"strings"
)

// ARRSource names the system whose ARR wins when billing and the CRM (or
// an import) disagree.
type ARRSource string

const (
	ARRFromCRM     ARRSource = "crm" // the default: the book's ARR as the CRM or import says
	ARRFromBilling ARRSource = "billing"
)

// BillingConfig is the billing feed's setting (billing: in the YAML).
type BillingConfig struct {
	ARRSource ARRSource `yaml:"arr_source" json:"arr_source"` // crm (default when empty) or billing
}

// BillingHealth holds the billing rule keys, embedded (inline) in
// HealthConfig. Both rules only look at accounts with a billing feed.
type BillingHealth struct {
	PaymentFailedPoints int `yaml:"payment_failed_points" json:"payment_failed_points"`
	CancellingPoints    int `yaml:"cancelling_points" json:"cancelling_points"`
}

// DefaultBillingHealth: a failed payment weighs like a competitor mention
// twice over; a subscription set to cancel is the strongest churn signal
// there is, so it weighs the most of any single rule.
func DefaultBillingHealth() BillingHealth {
	return BillingHealth{PaymentFailedPoints: 10, CancellingPoints: 20}
}

// validateFeeds checks the support and billing keys.
func (c Config) validateFeeds(check func(bool, string, string, ...any)) {
	inRange(check, "health.", 0, 100, "must be between 0 and 100 (deductions are written as positive numbers), got %v", []named[int]{
		{"urgent_tickets_points", c.Health.UrgentTicketsPoints},
		{"payment_failed_points", c.Health.PaymentFailedPoints}, {"cancelling_points", c.Health.CancellingPoints},
	})
	s := c.Billing.ARRSource
	check(s == "" || s == ARRFromCRM || s == ARRFromBilling, "billing.arr_source", "must be crm or billing, got %q", s)
}

// SubItem is one recurring price on a subscription.
type SubItem struct {
	Price         string `json:"price"`
	Product       string `json:"product,omitempty"`
	UnitAmount    int64  `json:"unit_amount_minor"`
	Currency      string `json:"currency"`
	Quantity      int64  `json:"quantity"`
	Interval      string `json:"interval"` // day, week, month, year
	IntervalCount int64  `json:"interval_count"`
}

// AnnualMinor is the item's yearly amount: price × quantity scaled from its
// billing interval to a year (52 weeks, 365 days), rounded to minor units.
func (i SubItem) AnnualMinor() int64 {
	n := max(i.IntervalCount, 1)
	perYear := map[string]int64{"day": 365, "week": 52, "month": 12, "year": 1}[i.Interval]
	return MulDiv(i.UnitAmount*i.Quantity, perYear, n)
}

// Subscription is one billing subscription as last seen.
type Subscription struct {
	ID                string    `json:"id"`
	Status            string    `json:"status"` // active, past_due, trialing, canceled, unpaid…
	Items             []SubItem `json:"items"`
	Start             Date      `json:"start,omitempty"`
	PeriodEnd         Date      `json:"period_end,omitempty"`
	CancelAtPeriodEnd bool      `json:"cancel_at_period_end,omitempty"`
	AsOf              int64     `json:"as_of"` // Unix seconds of the event or read this state is from
}

// Live reports whether the subscription is paid for: active, or past due
// (still under contract while a payment is retried). Trials are not ARR.
func (s Subscription) Live() bool { return s.Status == "active" || s.Status == "past_due" }

// Annual reports whether every item renews yearly (or less often).
func (s Subscription) Annual() bool {
	for _, it := range s.Items {
		if it.Interval != "year" {
			return false
		}
	}
	return len(s.Items) > 0
}

// PaymentFailure is an invoice whose payment failed and is not yet paid.
type PaymentFailure struct {
	Invoice string `json:"invoice"`
	Date    Date   `json:"date"`
}

// Billing is what a billing feed knows about an account.
type Billing struct {
	Source        string           `json:"source"`
	Customer      string           `json:"customer,omitempty"`
	Subscriptions []Subscription   `json:"subscriptions,omitempty"`
	Failures      []PaymentFailure `json:"payment_failures,omitempty"`
}

// ARR returns the annualised recurring amount of the live subscriptions by
// currency, sorted by currency.
func (b *Billing) ARR() []Money {
	sum := map[string]int64{}
	for _, s := range b.Subscriptions {
		if !s.Live() {
			continue
		}
		for _, it := range s.Items {
			sum[strings.ToUpper(it.Currency)] += it.AnnualMinor()
		}
	}
	out := make([]Money, 0, len(sum))
	for c, v := range sum {
		out = append(out, Money{Minor: v, Currency: c})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Currency < out[j].Currency })
	return out
}

// ARRIn returns the billing ARR in currency and whether billing has any.
func (b *Billing) ARRIn(currency string) (int64, bool) {
	for _, m := range b.ARR() {
		if m.Currency == strings.ToUpper(currency) {
			return m.Minor, true
		}
	}
	return 0, false
}

// Seats sums the quantities of the live subscriptions' items.
func (b *Billing) Seats() int {
	n := int64(0)
	for _, s := range b.Subscriptions {
		if s.Live() {
			for _, it := range s.Items {
				n += it.Quantity
			}
		}
	}
	return int(n)
}

// RenewalDate is the nearest period end of a live annual subscription.
func (b *Billing) RenewalDate() Date {
	var d Date
	for _, s := range b.Subscriptions {
		if s.Live() && s.Annual() && !s.PeriodEnd.IsZero() && (d.IsZero() || s.PeriodEnd < d) {
			d = s.PeriodEnd
		}
	}
	return d
}

// Cancelling returns the live subscriptions set to cancel at period end.
func (b *Billing) Cancelling() []Subscription {
	if b == nil {
		return nil
	}
	var out []Subscription
	for _, s := range b.Subscriptions {
		if s.Live() && s.CancelAtPeriodEnd {
			out = append(out, s)
		}
	}
	return out
}

// ChangeMotion classifies a subscription change for ARR history: a new or
// removed product is cross-sell, a new price on the same products is a plan
// change (upsell; a downgrade when the ARR falls), a quantity change is
// seats. A first subscription, a cancellation or nothing recognisable is "".
func ChangeMotion(old *Subscription, cur Subscription, hadLive bool) Motion {
	if old == nil || !old.Live() {
		if cur.Live() && hadLive {
			return MotionCrossSell
		}
		return ""
	}
	if !cur.Live() {
		return ""
	}
	products := func(s Subscription) string {
		p := make([]string, len(s.Items))
		for i, it := range s.Items {
			p[i] = it.Product + "|" + it.Price
		}
		sort.Strings(p)
		return strings.Join(p, ",")
	}
	prodOnly := func(s Subscription) string {
		p := make([]string, len(s.Items))
		for i, it := range s.Items {
			p[i] = it.Product
		}
		sort.Strings(p)
		return strings.Join(p, ",")
	}
	switch {
	case prodOnly(*old) != prodOnly(cur):
		return MotionCrossSell
	case products(*old) != products(cur):
		return MotionUpsell
	}
	return MotionSeats
}

// ApplySubscription records a subscription state on the account's billing
// and, when the billing ARR in the account's currency changes, an ARR
// history entry dated on with the change's motion. A state older than the
// stored one (events arrive out of order) changes nothing. It returns the
// changes in words (none: nothing changed).
func (a *Account) ApplySubscription(source string, sub Subscription, on Date) []string {
	b := a.billing(source)
	i := -1
	for k := range b.Subscriptions {
		if b.Subscriptions[k].ID == sub.ID {
			i = k
		}
	}
	var old *Subscription
	if i >= 0 {
		o := b.Subscriptions[i]
		if sub.AsOf < o.AsOf || equalSub(o, sub) {
			return nil
		}
		old = &o
	}
	hadLive := false
	for _, s := range b.Subscriptions {
		hadLive = hadLive || (s.Live() && s.ID != sub.ID)
	}
	before, had := b.ARRIn(a.Currency)
	if i >= 0 {
		b.Subscriptions[i] = sub
	} else {
		b.Subscriptions = append(b.Subscriptions, sub)
		sort.Slice(b.Subscriptions, func(x, y int) bool { return b.Subscriptions[x].ID < b.Subscriptions[y].ID })
	}
	diff := []string{fmt.Sprintf("subscription %s: %s", sub.ID, sub.Status)}
	after, has := b.ARRIn(a.Currency)
	if !had && !has || after == before && len(a.ARRHistory) > 0 {
		return diff // nothing billed in the book's currency, or no change: history untouched
	}
	motion := ChangeMotion(old, sub, hadLive)
	if len(a.ARRHistory) == 0 {
		first := sub.Start
		if first.IsZero() || first > on {
			first = on
		}
		if old == nil && !hadLive { // the first thing billing tells: the contract as it stands
			a.ARRHistory = []ARRPoint{{Date: first, ARR: after}}
			return append(diff, fmt.Sprintf("arr history starts %s at %s", first, a.Money(after).Format()))
		}
		a.ARRHistory = []ARRPoint{{Date: first, ARR: before}}
	}
	last := &a.ARRHistory[len(a.ARRHistory)-1]
	if last.ARR == after {
		return diff // the history (from the CRM or an import) already says so
	}
	if last.Date >= on {
		last.ARR, last.Motion = after, motion
	} else {
		a.ARRHistory = append(a.ARRHistory, ARRPoint{Date: on, ARR: after, Motion: motion})
	}
	return append(diff, fmt.Sprintf("arr %s → %s (%s)", a.Money(before).Format(), a.Money(after).Format(), orWord(string(motion), "no motion")))
}

func orWord(s, w string) string {
	if s == "" {
		return w
	}
	return s
}

func equalSub(a, b Subscription) bool {
	a.AsOf, b.AsOf = 0, 0
	return fmt.Sprint(a) == fmt.Sprint(b)
}

// billing returns the account's billing, creating it.
func (a *Account) billing(source string) *Billing {
	if a.Billing == nil {
		a.Billing = &Billing{Source: source}
	}
	return a.Billing
}

// ApplyPayment records a failed (paid false) or successful payment of an
// invoice: a failure is kept until that invoice is paid.
func (a *Account) ApplyPayment(source, invoice string, paid bool, on Date) []string {
	b := a.billing(source)
	for i, f := range b.Failures {
		if f.Invoice != invoice {
			continue
		}
		if !paid {
			return nil
		}
		b.Failures = append(b.Failures[:i], b.Failures[i+1:]...)
		return []string{"invoice " + invoice + " paid"}
	}
	if paid {
		return nil
	}
	b.Failures = append(b.Failures, PaymentFailure{Invoice: invoice, Date: on})
	return []string{"invoice " + invoice + " payment failed"}
}

// scoreBilling adds the billing rules to a health score.
func scoreBilling(a *Account, today Date, cfg HealthConfig, add func(Dimension, string, string, bool, int, string)) {
	if a.Billing == nil {
		return
	}
	var recent []PaymentFailure
	for _, f := range a.Billing.Failures {
		if f.Date <= today && f.Date > today.AddDays(-cfg.SignalRecencyDays) {
			recent = append(recent, f)
		}
	}
	ev := "payments up to date"
	if len(recent) > 0 {
		ev = fmt.Sprintf("payment of invoice %s failed on %s and is not paid", recent[len(recent)-1].Invoice, recent[len(recent)-1].Date)
	}
	add(RetentionRisk, "payment_failed", "A payment failed", len(recent) > 0, -cfg.PaymentFailedPoints, ev)
	c := a.Billing.Cancelling()
	ev = "no subscription set to cancel"
	if len(c) > 0 {
		ev = fmt.Sprintf("subscription %s is set to cancel at its period end (%s)", c[0].ID, c[0].PeriodEnd)
	}
	add(RetentionRisk, "cancelling", "Subscription set to cancel", len(c) > 0, -cfg.CancellingPoints, ev)
}

// billingIndicator is the readiness indicator "still paying for what they
// bought", present only for accounts with a billing feed.
func billingIndicator(a *Account, h Health) (Indicator, bool) {
	if a.Billing == nil {
		return Indicator{}, false
	}
	ind := Indicator{Name: "Billing", Status: Green, Evidence: "subscriptions active, payments up to date"}
	for _, r := range h.Reasons {
		if r.Rule == "payment_failed" && r.Met {
			ind.Status, ind.Evidence = Red, r.Evidence
		}
	}
	if c := a.Billing.Cancelling(); len(c) > 0 {
		ind.Status = Red
		ind.Evidence = fmt.Sprintf("subscription %s is set to cancel on %s", c[0].ID, c[0].PeriodEnd)
	}
	if len(a.Billing.ARR()) == 0 && ind.Status == Green {
		ind.Status, ind.Evidence = Red, "no active subscription"
	}
	return ind, true
}
