package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/accountbot/accountbot/hubspot/hubspottest"
	"github.com/accountbot/accountbot/stripe/stripetest"
)

// TestServeSyncsOnScheduleAndTakesStripeWebhooks runs the real serve with
// a fake HubSpot and a fake Stripe configured: it syncs HubSpot at start
// and again on sync.every, receives a signed Stripe webhook at
// POST /api/v1/stripe, stops syncing when it shuts down, and `sync status`
// then shows both the HubSpot runs and the webhook's.
func TestServeSyncsOnScheduleAndTakesStripeWebhooks(t *testing.T) {
	dir := t.TempDir()
	if r := run(t, nil, "", "--data", dir, "demo", "--accounts", "3", "--owners", "1", "--weeks", "4"); r.code != 0 {
		t.Fatalf("demo: %+v", r)
	}
	hs := hubspottest.New(t, hubspottest.LoadPortal(t))
	sp := stripetest.New("sk_test_x", time.Now())
	defer sp.Close()
	sp.Customer("cus_1", "First", "acct-00001")
	cfg := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(cfg, []byte("sync:\n  every: 200ms\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"MICROSOFT_APP_ID": "11111111-2222-3333-4444-555555555555", "MICROSOFT_APP_PASSWORD": "pw",
		"MICROSOFT_OPENID_METADATA_URL": "http://127.0.0.1:1/openid", "MICROSOFT_TOKEN_URL": "http://127.0.0.1:1/token",
		"ACCOUNTBOT_ADDR": "127.0.0.1:0", "ACCOUNTBOT_CONFIG": cfg,
		"HUBSPOT_TOKEN": hs.Token, "HUBSPOT_API_URL": hs.URL(),
		"STRIPE_API_KEY": "sk_test_x", "STRIPE_API_URL": sp.URL(), "STRIPE_WEBHOOK_SECRET": "whsec_1"}
	start := time.Now()
	// The schedule is read on m.Now: a clock that moves with the wall.
	srv := startServe(t, dir, env, func(m *Main) {
		m.Now = func() time.Time { return fixedNow.Add(time.Since(start)) }
		// The sync loop and the nudges (due on the demo book) log while
		// serve prints: one writer at a time into the test's buffer.
		m.Stderr = &lockedWriter{w: m.Stderr}
	})
	requests := func() int {
		hs.Lock()
		defer hs.Unlock()
		return len(hs.Requests)
	}
	// The first run at start, then at least two more on the schedule.
	var counts []int
	for deadline := time.Now().Add(startWait); time.Now().Before(deadline) && len(counts) < 3; time.Sleep(20 * time.Millisecond) {
		if n := requests(); n > 0 && (len(counts) == 0 || n > counts[len(counts)-1]) {
			counts = append(counts, n)
		}
	}
	if len(counts) < 3 {
		t.Errorf("HubSpot requests over time %v: serve did not sync on its 200ms schedule", counts)
	}
	sp.Mu.Lock()
	polled := slices.ContainsFunc(sp.Requests, func(r string) bool {
		return strings.HasPrefix(r, "/v1/events") || strings.HasPrefix(r, "/v1/subscriptions")
	})
	sp.Mu.Unlock()
	if polled {
		t.Error("serve polled Stripe although its events come by webhook")
	}

	ev := sp.Event("invoice.payment_failed", stripetest.Invoice("in_1", "cus_1", "open"))
	body, sig := stripetest.Signed(ev, "whsec_1", time.Now())
	req, _ := http.NewRequest(http.MethodPost, "http://"+srv.addr+"/api/v1/stripe", bytes.NewReader(body))
	req.Header.Set("Stripe-Signature", sig)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(b), `"applied"`) {
		t.Errorf("webhook: %d %s", resp.StatusCode, b)
	}
	// Forged: refused, and the handler is the webhook's, not a 404.
	resp, err = http.Post("http://"+srv.addr+"/api/v1/stripe", "application/json", strings.NewReader(`{"id":"evt_forged"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("unsigned webhook: %d", resp.StatusCode)
	}

	out := srv.stop(t)
	if !strings.Contains(out, "Syncing hubspot every 200ms") || !strings.Contains(out, "Stripe webhooks at POST /api/v1/stripe") {
		t.Errorf("stderr = %s", out)
	}
	after := requests()
	time.Sleep(400 * time.Millisecond)
	if n := requests(); n != after {
		t.Errorf("still syncing after shutdown: %d more requests", n-after)
	}
	r := run(t, env, "", "--data", dir, "sync", "status")
	if !strings.Contains(r.stdout, "hubspot  ") || !strings.Contains(r.stdout, "stripe-webhook  ") {
		t.Fatalf("status: %s", r.stdout)
	}
	for _, line := range strings.Split(r.stdout, "\n") {
		if strings.HasPrefix(line, "stripe-webhook ") && strings.Contains(line, "never") {
			t.Errorf("the webhook's run is not in sync status: %s", line)
		}
		if strings.HasPrefix(line, "hubspot  ") && strings.Contains(line, "never") {
			t.Errorf("hubspot row: %s", line)
		}
	}
	// The same in chat, for admins.
	r = run(t, env, "", "--data", dir, "ask", "portfolio sync")
	if !strings.Contains(r.stdout, "hubspot: last run") || !strings.Contains(r.stdout, "stripe-webhook: last run") {
		t.Errorf("portfolio sync: %s %s", r.stdout, r.stderr)
	}
}

// TestScheduledSyncShowsConfigurationErrors: on serve's schedule, a source
// configured wrongly (a token, but a required field the mapping does not
// fill) has its error in status; sources not configured at all stay quiet.
func TestScheduledSyncShowsConfigurationErrors(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "config.yaml")
	os.WriteFile(cfg, []byte("sync:\n  every: 10m\n  hubspot:\n    mapping:\n      required: [name, plan]\n"), 0o600)
	env := map[string]string{"HUBSPOT_TOKEN": "pat-na1-x", "HUBSPOT_API_URL": "http://127.0.0.1:1"}
	m := NewMain()
	m.Getenv, m.Now, m.Stdout, m.Stderr = func(k string) string { return env[k] }, func() time.Time { return fixedNow }, io.Discard, io.Discard
	ctx := context.Background()
	if err := m.ParseFlags(ctx, []string{"--data", filepath.Join(dir, "data"), "--config", cfg, "sync", "status"}); err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	db, err := m.open(ctx)
	if err != nil {
		t.Fatal(err)
	}
	m.syncOnce(ctx, db, map[string]time.Time{})
	all, err := syncStatuses(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range all {
		switch {
		case st.Source == "hubspot" && !strings.Contains(st.LastError, "sync.hubspot.mapping.plan"):
			t.Errorf("hubspot status: %+v", st)
		case st.Source != "hubspot" && (st.LastError != "" || !st.LastRun.IsZero()):
			t.Errorf("%s is not configured, yet its status changed: %+v", st.Source, st)
		}
	}
}

// lockedWriter serialises writes to w.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
