package stripe

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	stripego "github.com/stripe/stripe-go/v85"

	"github.com/accountbot/accountbot/connector"
	"github.com/accountbot/accountbot/domain"
)

// change is one billing fact about a customer: a subscription state or an
// invoice's payment outcome, at a time.
type change struct {
	customer string
	sub      *stripego.Subscription
	invoice  string
	paid     bool
	at       int64 // Unix seconds on Stripe's clock: a state older than the stored one is ignored
	on       int64 // Unix seconds: the date of the change (at, for events)
}

// Handled lists the event types AccountBot reads; others are skipped.
var Handled = []stripego.EventType{
	"customer.subscription.created", "customer.subscription.updated", "customer.subscription.deleted",
	"customer.subscription.paused", "customer.subscription.resumed",
	"invoice.payment_failed", "invoice.paid", "invoice.payment_succeeded",
}

// parseEvent reads a handled event; ok is false for other types. A handled
// event whose object cannot be read is an error naming the event.
func parseEvent(ev *stripego.Event) (change, bool, error) {
	if ev.Data == nil {
		return change{}, false, domain.Errorf(domain.EINVALID, "Stripe event %s has no data object", ev.ID)
	}
	t := string(ev.Type)
	switch {
	case strings.HasPrefix(t, "customer.subscription."):
		var sub stripego.Subscription
		if err := json.Unmarshal(ev.Data.Raw, &sub); err != nil || sub.ID == "" || sub.Customer == nil {
			return change{}, false, domain.Errorf(domain.EINVALID, "Stripe event %s (%s) does not hold a readable subscription", ev.ID, t)
		}
		return change{customer: sub.Customer.ID, sub: &sub, at: ev.Created, on: ev.Created}, true, nil
	case t == "invoice.payment_failed" || t == "invoice.paid" || t == "invoice.payment_succeeded":
		var inv stripego.Invoice
		if err := json.Unmarshal(ev.Data.Raw, &inv); err != nil || inv.ID == "" || inv.Customer == nil {
			return change{}, false, domain.Errorf(domain.EINVALID, "Stripe event %s (%s) does not hold a readable invoice", ev.ID, t)
		}
		return change{customer: inv.Customer.ID, invoice: inv.ID, paid: t != "invoice.payment_failed", at: ev.Created, on: ev.Created}, true, nil
	}
	return change{}, false, nil
}

// records groups changes by customer into one record per account, applied
// in order; customers naming no account id become review-list records.
func (s *Source) records(ctx context.Context, chs []change) ([]connector.Record, error) {
	var order []string
	by := map[string][]change{}
	for _, ch := range chs {
		if _, ok := by[ch.customer]; !ok {
			order = append(order, ch.customer)
		}
		by[ch.customer] = append(by[ch.customer], ch)
	}
	recs := make([]connector.Record, 0, len(order))
	for _, cus := range order {
		c, err := s.customer(ctx, cus)
		if err != nil {
			return nil, err
		}
		recs = append(recs, record(c, s.cfg.key(), by[cus]))
	}
	return connector.Combine(recs), nil
}

func (s *Source) customer(ctx context.Context, id string) (*stripego.Customer, error) {
	if c, ok := s.customers[id]; ok {
		return c, nil
	}
	c, err := s.api.V1Customers.Retrieve(ctx, id, nil)
	if err != nil {
		if se, ok := err.(*stripego.Error); ok && se.HTTPStatusCode == 404 {
			c = &stripego.Customer{ID: id, Deleted: true}
		} else {
			return nil, apiError("reading Stripe customer "+id, err)
		}
	}
	s.customers[id] = c
	return c, nil
}

// record is one customer's changes as a connector record.
func record(c *stripego.Customer, key string, chs []change) connector.Record {
	acct := strings.TrimSpace(c.Metadata[key])
	sample := fmt.Sprintf("Stripe customer %s", c.ID)
	if c.Name != "" {
		sample += fmt.Sprintf(" (%s)", c.Name)
	}
	if acct == "" {
		return connector.Record{ExternalID: "customer:" + c.ID, Sample: sample + ": set its metadata " + key + " to the AccountBot account id"}
	}
	rec := connector.Record{ExternalID: acct, Sample: sample}
	if !domain.ValidID(acct) {
		rec.Err = domain.Errorf(domain.EINVALID, "metadata %s %q of customer %s is not an account id", key, acct, c.ID)
		return rec
	}
	facts := make([]fact, 0, len(chs))
	for _, ch := range chs {
		facts = append(facts, toFact(ch))
	}
	rec.Contribute = func(a *domain.Account) []string { return contribute(a, c.ID, facts) }
	return rec
}

// fact is a change in domain terms.
type fact struct {
	sub     *domain.Subscription
	invoice string
	paid    bool
	on      domain.Date
}

func toFact(ch change) fact {
	f := fact{invoice: ch.invoice, paid: ch.paid, on: domain.DateOf(time.Unix(ch.on, 0).UTC())}
	if ch.sub != nil {
		sub := toSubscription(ch.sub, ch.at)
		f.sub = &sub
	}
	return f
}

// toSubscription keeps what the rules need. Metered and tiered prices have
// no fixed amount and are left out of ARR (they are not recurring revenue
// known in advance); the item period end is read where API versions since
// 2025 put it, the subscription's where older ones did.
func toSubscription(s *stripego.Subscription, at int64) domain.Subscription {
	out := domain.Subscription{ID: s.ID, Status: string(s.Status), CancelAtPeriodEnd: s.CancelAtPeriodEnd, AsOf: at}
	if s.StartDate > 0 {
		out.Start = domain.DateOf(time.Unix(s.StartDate, 0).UTC())
	}
	var end int64
	if s.Items != nil {
		for _, it := range s.Items.Data {
			if it == nil || it.Price == nil || it.Price.Recurring == nil {
				continue
			}
			if it.CurrentPeriodEnd > 0 && (end == 0 || it.CurrentPeriodEnd < end) {
				end = it.CurrentPeriodEnd
			}
			r := it.Price.Recurring
			if r.UsageType == stripego.PriceRecurringUsageTypeMetered || it.Price.BillingScheme == stripego.PriceBillingSchemeTiered {
				continue
			}
			product := ""
			if it.Price.Product != nil {
				product = it.Price.Product.ID
			}
			out.Items = append(out.Items, domain.SubItem{Price: it.Price.ID, Product: product, UnitAmount: it.Price.UnitAmount,
				Currency: strings.ToUpper(string(it.Price.Currency)), Quantity: it.Quantity, Interval: string(r.Interval), IntervalCount: r.IntervalCount})
		}
	}
	if end > 0 {
		out.PeriodEnd = domain.DateOf(time.Unix(end, 0).UTC())
	}
	return out
}

// contribute applies one customer's facts to its account, in order.
func contribute(a *domain.Account, customer string, facts []fact) []string {
	if a.Billing != nil { // copy: the runner's old record must stay as it was
		b := *a.Billing
		b.Subscriptions = append([]domain.Subscription(nil), b.Subscriptions...)
		b.Failures = append([]domain.PaymentFailure(nil), b.Failures...)
		a.Billing = &b
	}
	a.ARRHistory = append([]domain.ARRPoint(nil), a.ARRHistory...)
	var diff []string
	for _, f := range facts {
		if f.sub != nil {
			diff = append(diff, a.ApplySubscription(Name, *f.sub, f.on)...)
		} else {
			diff = append(diff, a.ApplyPayment(Name, f.invoice, f.paid, f.on)...)
		}
	}
	if a.Billing != nil && a.Billing.Customer != customer {
		a.Billing.Customer = customer
	}
	return diff
}
