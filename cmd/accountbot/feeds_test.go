package main

import (
	"bytes"
	"context"
	"github.com/accountbot/accountbot/storage/badger"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/accountbot/accountbot/stripe/stripetest"
	"github.com/accountbot/accountbot/zendesk/zendesktest"
)

func TestDemoFedFromFakes(t *testing.T) {
	dir := t.TempDir()
	r := run(t, nil, "", "--data", dir, "demo", "--accounts", "40", "--owners", "3", "--weeks", "20", "--feeds")
	if r.code != 0 || !strings.Contains(r.stdout, "Fed from fakes on loopback") {
		t.Fatalf("demo --feeds: %+v", r)
	}
	r = run(t, nil, "", "--data", dir, "sync", "status")
	for _, want := range []string{"zendesk", "stripe"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("sync status lacks %s:\n%s", want, r.stdout)
		}
	}
	// Account 1 (the first of the book) is set to cancel: red, with the reason.
	r = run(t, nil, "", "--data", dir, "ask", "account acct-00001 renewal")
	if !strings.Contains(r.stdout, "Billing: red") || !strings.Contains(r.stdout, "set to cancel") {
		t.Errorf("renewal card:\n%s", r.stdout)
	}
	// Account 10 has urgent tickets open.
	r = run(t, nil, "", "--data", dir, "ask", "account acct-00010 renewal")
	if !strings.Contains(r.stdout, "urgent, open") {
		t.Errorf("support indicator:\n%s", r.stdout)
	}
}

func TestSyncFeedsFromEnv(t *testing.T) {
	dir := t.TempDir()
	if r := run(t, nil, "", "--data", dir, "demo", "--accounts", "5", "--owners", "1", "--weeks", "4"); r.code != 0 {
		t.Fatalf("demo: %+v", r)
	}
	zd := zendesktest.New("ops@example.com", "zt")
	defer zd.Close()
	zd.Orgs[1] = zendesktest.Org{ID: 1, Name: "First", ExternalID: zendesktest.Str("acct-00001")}
	zd.Add(zendesktest.Ticket{ID: 7, Status: "open", Priority: zendesktest.Str("urgent"), OrganizationID: zendesktest.ID(1),
		CreatedAt: fixedNow.Add(-time.Hour), UpdatedAt: fixedNow.Add(-time.Hour)})
	env := map[string]string{"ZENDESK_API_URL": zd.URL(), "ZENDESK_EMAIL": "ops@example.com", "ZENDESK_API_TOKEN": "zt"}
	r := run(t, env, "", "--data", dir, "sync", "zendesk")
	if r.code != 0 {
		t.Fatalf("sync zendesk: %+v", r)
	}
	r = run(t, env, "", "--data", dir, "ask", "account acct-00001 renewal")
	if !strings.Contains(r.stdout, "#7 urgent") {
		t.Errorf("ticket not on the card:\n%s", r.stdout)
	}
	env["ZENDESK_API_TOKEN"] = "wrong"
	r = run(t, env, "", "--data", dir, "sync", "zendesk")
	if r.code == 0 || !strings.Contains(r.stderr+r.stdout, "ZENDESK_API_TOKEN") {
		t.Errorf("bad token: %+v", r)
	}
	r = run(t, map[string]string{}, "", "--data", dir, "sync", "stripe")
	if r.code == 0 || !strings.Contains(r.stderr+r.stdout, "STRIPE_API_KEY") {
		t.Errorf("unconfigured stripe: %+v", r)
	}
}

func TestStripeWebhookHandlerFromEnv(t *testing.T) {
	dir := t.TempDir()
	if r := run(t, nil, "", "--data", dir, "demo", "--accounts", "3", "--owners", "1", "--weeks", "4"); r.code != 0 {
		t.Fatalf("demo: %+v", r)
	}
	sp := stripetest.New("sk_test_x", time.Now())
	defer sp.Close()
	sp.Customer("cus_1", "First", "acct-00001")
	ctx := context.Background()
	db, err := badger.Open(ctx, dir, badger.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	m := NewMain()
	m.Getenv = func(k string) string {
		return map[string]string{"STRIPE_API_KEY": "sk_test_x", "STRIPE_API_URL": sp.URL()}[k]
	}
	if _, err := m.stripeWebhook(db); err == nil || !strings.Contains(err.Error(), "STRIPE_WEBHOOK_SECRET") {
		t.Errorf("no secret: %v", err)
	}
	m.Getenv = func(k string) string {
		return map[string]string{"STRIPE_API_KEY": "sk_test_x", "STRIPE_API_URL": sp.URL(), "STRIPE_WEBHOOK_SECRET": "whsec_1"}[k]
	}
	h, err := m.stripeWebhook(db)
	if err != nil {
		t.Fatal(err)
	}
	ev := sp.Event("invoice.payment_failed", stripetest.Invoice("in_1", "cus_1", "open"))
	body, sig := stripetest.Signed(ev, "whsec_1", time.Now())
	for i, want := range []string{`"applied"`, `"duplicate"`} {
		req := httptest.NewRequest(http.MethodPost, "/api/v1/stripe", bytes.NewReader(body))
		req.Header.Set("Stripe-Signature", sig)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code != 200 || !strings.Contains(w.Body.String(), want) {
			t.Errorf("delivery %d: %d %s", i+1, w.Code, w.Body)
		}
	}
	a, err := db.Account(ctx, "acct-00001")
	if err != nil || a.Billing == nil || len(a.Billing.Failures) != 1 {
		t.Errorf("not applied through the store: %+v %v", a.Billing, err)
	}
}
