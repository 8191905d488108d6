package stripe

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/accountbot/accountbot/connector"
	"github.com/accountbot/accountbot/connector/connectortest"
	"github.com/accountbot/accountbot/domain"
	st "github.com/accountbot/accountbot/stripe/stripetest"
)

var now = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

type env struct {
	fake  *st.Fake
	mem   *connectortest.Mem
	store connector.Store
	src   *Source
	clock time.Time
}

func setup(t *testing.T) *env {
	t.Helper()
	f := st.New("sk_test_1", now.AddDate(0, 0, -40))
	t.Cleanup(f.Close)
	f.Customer("cus_acme", "Acme", "acme")
	f.Customer("cus_beta", "Beta", "beta")
	f.Customer("cus_anon", "Anon Inc", "")
	f.Customer("cus_ghost", "Ghost", "ghost")
	mem := connectortest.New()
	for _, id := range []string{"acme", "beta"} {
		mem.Accounts[id] = &domain.Account{ID: id, Name: strings.ToUpper(id), Currency: "USD", Owner: "ana@example.com", ARR: 10_000_00}
	}
	store := connector.AccountIDs{Store: mem, Account: func(ctx context.Context, id string) (*domain.Account, error) {
		a, ok := mem.Accounts[id]
		if !ok {
			return nil, domain.Errorf(domain.ENOTFOUND, "no account %s", id)
		}
		cp := *a
		return &cp, nil
	}}
	e := &env{fake: f, mem: mem, store: store, clock: now}
	e.src = NewSource(NewAPI("sk_test_1", f.URL(), nil), Config{}, func() time.Time { return e.clock })
	return e
}

func (e *env) run(t *testing.T, opt connector.Options) (connector.Report, error) {
	t.Helper()
	r := &connector.Runner{Store: e.store, Now: func() time.Time { return e.clock }}
	return r.Run(context.Background(), e.src, opt)
}

var (
	monthly = st.Item{Price: "price_basic", Product: "prod_core", Amount: 100_00, Qty: 10, Currency: "usd", Interval: "month"}
	annual  = st.Item{Price: "price_annual", Product: "prod_core", Amount: 12_000_00, Qty: 5, Currency: "usd", Interval: "year"}
)

func (e *env) books(t *testing.T) {
	start := now.AddDate(0, -6, 0)
	e.fake.SetSubscription(st.Subscription("sub_acme", "cus_acme", "active", false, start, now.AddDate(0, 0, 10), monthly))
	e.fake.SetSubscription(st.Subscription("sub_beta", "cus_beta", "active", false, start, now.AddDate(0, 0, 200), annual))
	e.fake.SetSubscription(st.Subscription("sub_anon", "cus_anon", "active", false, start, now.AddDate(0, 0, 10), monthly))
	e.fake.SetSubscription(st.Subscription("sub_ghost", "cus_ghost", "canceled", false, start, now.AddDate(0, 0, 10), monthly))
	e.fake.Event("customer.subscription.created", st.Subscription("sub_acme", "cus_acme", "active", false, start, now.AddDate(0, 0, 10), monthly))
}

func TestFullLoadThenEvents(t *testing.T) {
	e := setup(t)
	e.books(t)
	e.src.PageSize = 2 // subscriptions over two pages
	rep, err := e.run(t, connector.Options{})
	if err != nil {
		t.Fatal(err)
	}
	acme, beta := e.mem.Accounts["acme"], e.mem.Accounts["beta"]
	if got := acme.Billing.ARR(); len(got) != 1 || got[0].Minor != 12_000_00 {
		t.Errorf("acme ARR %+v", got)
	}
	if beta.Billing.Seats() != 5 || beta.Billing.RenewalDate() != domain.DateOf(now.AddDate(0, 0, 200)) {
		t.Errorf("beta seats %d renewal %s", beta.Billing.Seats(), beta.Billing.RenewalDate())
	}
	if len(acme.ARRHistory) != 1 || acme.ARRHistory[0].ARR != 12_000_00 {
		t.Errorf("acme history %+v", acme.ARRHistory)
	}
	if _, ok := e.mem.Unmatched["stripe|customer:cus_anon"]; !ok {
		t.Errorf("customer without metadata not on the review list: %+v", e.mem.Unmatched)
	}
	if u, ok := e.mem.Unmatched["stripe|ghost"]; !ok || !strings.Contains(u.Sample, "cus_ghost") {
		t.Errorf("customer naming no account not on the review list: %+v", e.mem.Unmatched)
	}
	if rep.Status.Unmatched != 2 || rep.Status.Changed != 2 {
		t.Errorf("status %+v", rep.Status)
	}
	if !hasRequest(e.fake.Requests, "/v1/subscriptions", "starting_after=sub_") {
		t.Errorf("no starting_after paging: %v", e.fake.Requests)
	}

	// After the first load: seats up, a failed payment, a cancellation.
	e.fake.Requests = nil
	more := monthly
	more.Qty = 15
	e.fake.Event("customer.subscription.updated", st.Subscription("sub_acme", "cus_acme", "active", false, now.AddDate(0, -6, 0), now.AddDate(0, 0, 10), more))
	e.fake.Event("invoice.payment_failed", st.Invoice("in_beta_1", "cus_beta", "open"))
	e.fake.Event("customer.subscription.updated", st.Subscription("sub_beta", "cus_beta", "active", true, now.AddDate(0, -6, 0), now.AddDate(0, 0, 200), annual))
	e.fake.Event("charge.succeeded", st.Obj{"id": "ch_1", "object": "charge"})
	e.clock = now.Add(time.Hour)
	e.src.PageSize = 2 // events over two pages
	if _, err := e.run(t, connector.Options{}); err != nil {
		t.Fatal(err)
	}
	if !hasRequest(e.fake.Requests, "/v1/events", "ending_before=evt_1") {
		t.Errorf("events not polled from the noted event: %v", e.fake.Requests)
	}
	acme, beta = e.mem.Accounts["acme"], e.mem.Accounts["beta"]
	if h := acme.ARRHistory; len(h) != 2 || h[1].ARR != 18_000_00 || h[1].Motion != domain.MotionSeats {
		t.Errorf("acme history %+v", h)
	}
	if len(beta.Billing.Failures) != 1 || len(beta.Billing.Cancelling()) != 1 {
		t.Errorf("beta billing %+v", beta.Billing)
	}
	ev := domain.Evaluate(beta, domain.DateOf(now), domain.DefaultConfig())
	if ev.Renewal.Readiness != domain.Red || ev.ARRCheck == nil {
		t.Errorf("beta readiness %s check %+v", ev.Renewal.Readiness, ev.ARRCheck)
	}
	// Polling again changes nothing.
	rep, err = e.run(t, connector.Options{})
	if err != nil || rep.Status.Changed != 0 {
		t.Errorf("idle run %+v %v", rep.Status, err)
	}
	// The payment goes through.
	e.fake.Event("invoice.paid", st.Invoice("in_beta_1", "cus_beta", "paid"))
	if _, err := e.run(t, connector.Options{}); err != nil {
		t.Fatal(err)
	}
	if n := len(e.mem.Accounts["beta"].Billing.Failures); n != 0 {
		t.Errorf("failure kept after payment: %d", n)
	}
}

func hasRequest(reqs []string, path, param string) bool {
	for _, r := range reqs {
		if strings.HasPrefix(r, path) && strings.Contains(r, param) {
			return true
		}
	}
	return false
}

func TestFirstLoadWithNoEventsYet(t *testing.T) {
	e := setup(t)
	e.fake.SetSubscription(st.Subscription("sub_acme", "cus_acme", "active", false, now.AddDate(0, -1, 0), now.AddDate(0, 0, 10), monthly))
	e.fake.Now = now // the events below are after the first load began
	if _, err := e.run(t, connector.Options{}); err != nil {
		t.Fatal(err)
	}
	e.fake.Requests = nil
	e.fake.Event("invoice.payment_failed", st.Invoice("in_1", "cus_acme", "open"))
	if _, err := e.run(t, connector.Options{}); err != nil {
		t.Fatal(err)
	}
	if !hasRequest(e.fake.Requests, "/v1/events", "created") {
		t.Errorf("events not listed from the first load's start: %v", e.fake.Requests)
	}
	if len(e.mem.Accounts["acme"].Billing.Failures) != 1 {
		t.Fatalf("event not applied: %+v", e.mem.Accounts["acme"].Billing)
	}
	e.fake.Requests = nil
	if _, err := e.run(t, connector.Options{}); err != nil || !hasRequest(e.fake.Requests, "/v1/events", "ending_before=evt_1") {
		t.Errorf("then polled from the event: %v %v", err, e.fake.Requests)
	}
}

func TestSourceErrors(t *testing.T) {
	e := setup(t)
	e.books(t)
	e.fake.Key = "sk_other"
	rep, err := e.run(t, connector.Options{})
	if err == nil || !strings.Contains(rep.Status.LastError, "STRIPE_API_KEY") || e.mem.Cursors[Name] != "" {
		t.Errorf("bad key: %v %q cursor %q", err, rep.Status.LastError, e.mem.Cursors[Name])
	}
	if _, err := e.src.Fetch(context.Background(), `{"phase":"moon"}`); domain.ErrorCode(err) != domain.EINVALID || !strings.Contains(err.Error(), "--full") {
		t.Errorf("bad cursor: %v", err)
	}
	if _, err := EnvFrom(func(string) string { return "" }); err == nil || !strings.Contains(err.Error(), "STRIPE_API_KEY") {
		t.Errorf("no key: %v", err)
	}
}

func TestUnreadableEventIsRefusedNotBlocking(t *testing.T) {
	e := setup(t)
	e.books(t)
	if _, err := e.run(t, connector.Options{}); err != nil {
		t.Fatal(err)
	}
	e.fake.Event("customer.subscription.updated", st.Obj{"object": "subscription", "status": "active"}) // no id, no customer
	e.fake.Event("invoice.payment_failed", st.Invoice("in_7", "cus_acme", "open"))
	rep, err := e.run(t, connector.Options{})
	if err != nil || rep.Status.Refused != 1 || !strings.Contains(rep.Status.Refusals[0], "readable subscription") {
		t.Fatalf("%v %+v", err, rep.Status)
	}
	if len(e.mem.Accounts["acme"].Billing.Failures) != 1 {
		t.Error("the event after the unreadable one was not applied")
	}
}

func TestBadMetadataIsRefused(t *testing.T) {
	e := setup(t)
	e.fake.Customer("cus_bad", "Bad", "not an id!")
	e.fake.SetSubscription(st.Subscription("sub_bad", "cus_bad", "active", false, now, now.AddDate(1, 0, 0), annual))
	rep, err := e.run(t, connector.Options{})
	if err != nil || rep.Status.Refused != 1 || !strings.Contains(rep.Status.Refusals[0], "not an account id") {
		t.Errorf("%v %+v", err, rep.Status)
	}
}
