package stripe

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/accountbot/accountbot/connector"
	st "github.com/accountbot/accountbot/stripe/stripetest"
)

const secret = "whsec_test_secret"

// memReplays is the store's inbound-event table in memory.
type memReplays struct {
	mu   sync.Mutex
	seen map[string]bool
}

func (m *memReplays) EventSeen(ctx context.Context, p, id string) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.seen[p+"|"+id], nil
}

func (m *memReplays) FirstSeen(ctx context.Context, p, id string, ttl time.Duration) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	first := !m.seen[p+"|"+id]
	m.seen[p+"|"+id] = true
	return first, nil
}

func webhookSetup(t *testing.T) (*env, *Handler, *memReplays) {
	e := setup(t)
	rp := &memReplays{seen: map[string]bool{}}
	h := &Handler{Secret: secret, Source: e.src, Runner: &connector.Runner{Store: e.store, Now: func() time.Time { return e.clock }}, Replays: rp}
	return e, h, rp
}

func post(h http.Handler, body []byte, sig string) (int, reply) {
	req := httptest.NewRequest(http.MethodPost, "/api/v1/stripe", bytes.NewReader(body))
	if sig != "" {
		req.Header.Set("Stripe-Signature", sig)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	var r reply
	_ = json.Unmarshal(w.Body.Bytes(), &r)
	return w.Code, r
}

func TestWebhookAppliesOnceAndRefusesBadDeliveries(t *testing.T) {
	e, h, _ := webhookSetup(t)
	sub := st.Subscription("sub_acme", "cus_acme", "active", true, now.AddDate(0, -6, 0), now.AddDate(0, 0, 10), monthly)
	ev := e.fake.Event("customer.subscription.updated", sub)
	body, sig := st.Signed(ev, secret, time.Now())

	code, r := post(h, body, sig)
	if code != 200 || r.Status != "applied" || r.Changed != 1 {
		t.Fatalf("first delivery: %d %+v", code, r)
	}
	acme := e.mem.Accounts["acme"]
	if len(acme.Billing.Cancelling()) != 1 {
		t.Fatalf("not applied: %+v", acme.Billing)
	}
	snapshot := func() string { b, _ := json.Marshal(e.mem.Accounts); return string(b) }
	before := snapshot()

	// Each of these changes nothing.
	forgedBody, forgedSig := st.Signed(ev, "whsec_attacker", time.Now())
	staleBody, staleSig := st.Signed(ev, secret, time.Now().Add(-6*time.Minute))
	other := e.fake.Event("customer.subscription.updated", st.Subscription("sub_acme", "cus_acme", "canceled", false, now, now, monthly))
	tampered, _ := json.Marshal(other)
	_, okSig := st.Signed(ev, secret, time.Now())
	notJSON := []byte("{not json")
	_, notJSONSig := signedRaw(notJSON)
	noObj, noObjSig := st.Signed(st.Obj{"id": "evt_x", "object": "event", "type": "customer.subscription.updated", "created": 1, "data": st.Obj{"object": st.Obj{"object": "subscription"}}}, secret, time.Now())
	resigned, resignedSig := st.Signed(ev, secret, time.Now().Add(time.Second)) // same event id, fresh signature

	tests := []struct {
		name   string
		body   []byte
		sig    string
		code   int
		status string
		want   string
	}{
		{"replayed delivery", body, sig, 200, "duplicate", ""},
		{"same event re-signed", resigned, resignedSig, 200, "duplicate", ""},
		{"forged signature", forgedBody, forgedSig, 400, "error", "signature"},
		{"stale timestamp", staleBody, staleSig, 400, "error", "300-second"},
		{"no signature", body, "", 400, "error", "no Stripe-Signature"},
		{"garbled header", body, "t=abc,v1=zz", 400, "error", "signature"},
		{"body swapped under a valid signature", tampered, okSig, 400, "error", "signature"},
		{"signed but not JSON", notJSON, notJSONSig, 400, "error", "malformed"},
		{"signed, no readable subscription", noObj, noObjSig, 400, "error", "readable subscription"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, r := post(h, tt.body, tt.sig)
			if code != tt.code || r.Status != tt.status || !strings.Contains(r.Error, tt.want) {
				t.Errorf("%d %+v, want %d %s %q", code, r, tt.code, tt.status, tt.want)
			}
			if after := snapshot(); after != before {
				t.Errorf("the store changed:\n%s\n%s", before, after)
			}
		})
	}
	big := bytes.Repeat([]byte("x"), maxBody+10)
	if code, _ := post(h, big, sig); code != http.StatusRequestEntityTooLarge {
		t.Errorf("oversized body: %d", code)
	}
	req := httptest.NewRequest(http.MethodGet, "/api/v1/stripe", nil)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	if w.Code != http.StatusMethodNotAllowed {
		t.Errorf("GET: %d", w.Code)
	}
}

func signedRaw(body []byte) ([]byte, string) { return st.SignedBytes(body, secret, time.Now()) }

func TestWebhookUnknownCustomerAndIgnoredTypes(t *testing.T) {
	e, h, rp := webhookSetup(t)
	ev := e.fake.Event("invoice.payment_failed", st.Invoice("in_1", "cus_anon", "open"))
	body, sig := st.Signed(ev, secret, time.Now())
	if code, r := post(h, body, sig); code != 200 || r.Status != "applied" || r.Review != 1 {
		t.Errorf("unknown customer: %d %+v", code, r)
	}
	if _, ok := e.mem.Unmatched[WebhookName+"|customer:cus_anon"]; !ok {
		t.Errorf("review list %+v", e.mem.Unmatched)
	}
	ev = e.fake.Event("invoice.payment_failed", st.Invoice("in_2", "cus_gone", "open")) // deleted customer: 404
	body, sig = st.Signed(ev, secret, time.Now())
	if code, r := post(h, body, sig); code != 200 || r.Review != 1 {
		t.Errorf("deleted customer: %d %+v", code, r)
	}
	ev = e.fake.Event("charge.refunded", st.Obj{"id": "ch_1", "object": "charge"})
	body, sig = st.Signed(ev, secret, time.Now())
	if code, r := post(h, body, sig); code != 200 || r.Status != "ignored" {
		t.Errorf("unhandled type: %d %+v", code, r)
	}
	if rp.seen["stripe|"+ev["id"].(string)] {
		t.Error("an ignored event was remembered")
	}
}

func TestWebhookFailedApplyIsRetriedNotDropped(t *testing.T) {
	e, h, rp := webhookSetup(t)
	ev := e.fake.Event("invoice.payment_failed", st.Invoice("in_9", "cus_beta", "open"))
	body, sig := st.Signed(ev, secret, time.Now())
	e.mem.FailCommit = func(int) error { return errors.New("disk full") }
	if code, r := post(h, body, sig); code != 500 || r.Status != "error" {
		t.Fatalf("failed apply: %d %+v", code, r)
	}
	if rp.seen["stripe|"+ev["id"].(string)] || e.mem.Accounts["beta"].Billing != nil {
		t.Fatal("a failed apply was remembered or half-applied")
	}
	e.mem.FailCommit = nil
	if code, r := post(h, body, sig); code != 200 || r.Status != "applied" {
		t.Fatalf("Stripe's retry: %d %+v", code, r)
	}
	if len(e.mem.Accounts["beta"].Billing.Failures) != 1 {
		t.Errorf("retry not applied: %+v", e.mem.Accounts["beta"].Billing)
	}
}
