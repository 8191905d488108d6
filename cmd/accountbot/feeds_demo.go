package main

import (
	"fmt"
	"strings"
	"time"

	"github.com/accountbot/accountbot/domain"
	"github.com/accountbot/accountbot/stripe/stripetest"
	"github.com/accountbot/accountbot/zendesk/zendesktest"
)

// The fakes' credentials: loopback only, never real ones.
const (
	demoZendeskEmail = "demo@accountbot.invalid"
	demoZendeskToken = "demo-token"
	demoStripeKey    = "sk_test_demo"
)

// fakeFeeds starts a fake Zendesk and a fake Stripe holding the demo
// book's tickets and subscriptions, derived from each account's position
// (deterministic). A few organizations and customers carry no account id,
// so the review list has something to show.
func fakeFeeds(book []*domain.Account, today domain.Date, now time.Time) (*zendesktest.Fake, *stripetest.Fake) {
	zd := zendesktest.New(demoZendeskEmail, demoZendeskToken)
	sp := stripetest.New(demoStripeKey, now.Add(-time.Hour))
	prios := []string{"low", "normal", "normal", "high", "urgent", "normal"}
	tid := int64(1000)
	updated := now.Add(-48 * time.Hour)
	for i, a := range book {
		org := int64(i + 1)
		o := zendesktest.Org{ID: org, Name: a.Name, ExternalID: zendesktest.Str(a.ID)}
		if i%50 == 7 {
			o.ExternalID = nil
		}
		zd.Orgs[org] = o
		for j := range (i * 7) % 6 {
			tid++
			updated = updated.Add(time.Minute)
			t := zendesktest.Ticket{ID: tid, Subject: fmt.Sprintf("%s: question %d", a.Name, j+1), Status: "solved",
				Priority: zendesktest.Str(prios[(i+j)%len(prios)]), OrganizationID: zendesktest.ID(org),
				CreatedAt: now.AddDate(0, 0, -((i*13 + j*17) % 120)), UpdatedAt: updated}
			switch {
			case j == 0 && i%9 == 0:
				t.Priority, t.Status, t.Subject = zendesktest.Str("urgent"), "open", a.Name+": production outage"
			case j == 0 && i%9 == 3:
				t.Priority, t.Status = zendesktest.Str("high"), "pending"
			case j == 1:
				t.Status = "open"
			}
			zd.Tickets = append(zd.Tickets, t)
		}
	}
	for i, a := range book {
		id := fmt.Sprintf("cus_%d", i)
		acct := a.ID
		if i%60 == 11 {
			acct = ""
		}
		sp.Customer(id, a.Name, acct)
		sp.SetSubscription(demoSub(i, a, today, 0))
	}
	sp.Event("customer.created", stripetest.Obj{"id": "cus_0", "object": "customer"}) // polling starts after it
	return zd, sp
}

// demoSub is account i's annual subscription: the book's ARR over its
// seats (every 7th billed 10% above the book, so the ARR check has
// differences to show); change 1 adds 20% seats, 2 moves to a dearer plan,
// 3 sets it to cancel at period end.
func demoSub(i int, a *domain.Account, today domain.Date, change int) stripetest.Obj {
	qty := int64(max(a.SeatsPurchased, 1))
	unit := a.ARR / qty
	if i%7 == 0 {
		unit = unit * 11 / 10
	}
	price := "price_" + strings.ToLower(orDefault(a.Plan, "standard"))
	status, cancel := "active", false
	if i%31 == 5 {
		status = "past_due"
	}
	switch change {
	case 1:
		qty += max(qty/5, 1)
	case 2:
		price, unit = "price_enterprise", unit*3/2
	case 3:
		cancel = true
	}
	start := a.ContractStart
	if start.IsZero() {
		start = today.AddDays(-200)
	}
	end := a.RenewalDate
	if end.IsZero() || end <= today {
		end = today.AddDays(180)
	}
	item := stripetest.Item{Price: price, Product: "prod_accountbot", Amount: unit, Qty: qty, Currency: a.Currency, Interval: "year"}
	return stripetest.Subscription(fmt.Sprintf("sub_%d", i), fmt.Sprintf("cus_%d", i), status, cancel, start.Time(), end.Time(), item)
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

// billingChanges records the events after the first load: seat upgrades,
// plan upgrades, cancellations and failed payments. It returns how many.
func billingChanges(sp *stripetest.Fake, book []*domain.Account, now time.Time) int {
	today := domain.DateOf(now)
	n := 0
	for i, a := range book {
		change := 0
		switch {
		case i%11 == 0:
			change = 3
		case i%17 == 2:
			change = 2
		case i%5 == 0:
			change = 1
		}
		if change > 0 {
			s := demoSub(i, a, today, change)
			sp.SetSubscription(s)
			sp.Event("customer.subscription.updated", s)
			n++
		}
		if i%13 == 0 {
			sp.Event("invoice.payment_failed", stripetest.Invoice(fmt.Sprintf("in_%d", i), fmt.Sprintf("cus_%d", i), "open"))
			n++
		}
	}
	return n
}
