package hubspot

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/accountbot/accountbot/connector"
	"github.com/accountbot/accountbot/connector/connectortest"
	"github.com/accountbot/accountbot/domain"
	"github.com/accountbot/accountbot/hubspot/hubspottest"
)

var testNow = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

// testClock never sleeps; it records the waits asked for.
type testClock struct{ slept []time.Duration }

func (c *testClock) Now() time.Time { return testNow }
func (c *testClock) Sleep(ctx context.Context, d time.Duration) error {
	c.slept = append(c.slept, d)
	return ctx.Err()
}

type env struct {
	f     *hubspottest.Fake
	clock *testClock
	store *connectortest.Mem
	src   *Source
	run   *connector.Runner
}

func setup(t testing.TB, cfg Config, p hubspottest.Portal) *env {
	f := hubspottest.New(t, p)
	clk := &testClock{}
	c := NewClient(f.URL(), f.Token, 0, f.Client(), clk)
	src, err := NewSource(c, cfg, "USD")
	if err != nil {
		t.Fatal(err)
	}
	st := connectortest.New()
	return &env{f: f, clock: clk, store: st, src: src, run: &connector.Runner{Store: st, Now: func() time.Time { return testNow }}}
}

func cfgWith(page int, mod func(*Config)) Config {
	c := Config{PageSize: page, Mapping: Mapping{Plan: "plan", Seats: "seats"}}
	if mod != nil {
		mod(&c)
	}
	return c
}

func (e *env) sync(t *testing.T, full bool) connector.Report {
	t.Helper()
	rep, err := e.run.Run(context.Background(), e.src, connector.Options{Full: full, Create: true, DefaultCurrency: "USD"})
	if err != nil {
		t.Fatalf("sync: %v", err)
	}
	return rep
}

func TestFullLoad(t *testing.T) {
	e := setup(t, cfgWith(2, nil), hubspottest.LoadPortal(t))
	rep := e.sync(t, true)
	if rep.Status.Created != 3 || rep.Status.Refused != 0 {
		t.Fatalf("status = %+v", rep.Status)
	}
	acme := e.store.Accounts["hubspot-1001"]
	if acme == nil {
		t.Fatalf("no account for company 1001: %v", e.store.Accounts)
	}
	want := domain.Account{ID: "hubspot-1001", Name: "Acme Corp", Owner: "ana@example.com", ARR: 12_000_000, Currency: "USD",
		Plan: "enterprise", SeatsPurchased: 250}
	if acme.Name != want.Name || acme.Owner != want.Owner || acme.ARR != want.ARR || acme.Currency != want.Currency || acme.Plan != want.Plan || acme.SeatsPurchased != want.SeatsPurchased {
		t.Errorf("acme = %+v", acme)
	}
	if acme.RenewalDate.String() != "2027-03-31" {
		t.Errorf("renewal = %s, want the latest open deal's close date 2027-03-31", acme.RenewalDate)
	}
	if len(acme.Stakeholders) != 2 || acme.Stakeholders[0].Function != domain.FunctionFinance || acme.Stakeholders[1].Function != domain.FunctionTech || acme.Stakeholders[0].Role != "CFO" {
		t.Errorf("stakeholders = %+v", acme.Stakeholders)
	}
	globex := e.store.Accounts["hubspot-1002"]
	if globex.ARR != 4_800_050 || globex.Currency != "EUR" || globex.RenewalDate.String() != "2027-01-15" {
		t.Errorf("globex: the closed-lost deal must be skipped; got %d %s %s", globex.ARR, globex.Currency, globex.RenewalDate)
	}
	var c cursor
	if err := jsonUnmarshal(e.store.Cursors[Name], &c); err != nil || c.Phase != phaseIdle || c.Since != testNow.Add(-lag).UnixMilli() {
		t.Errorf("cursor after a full load = %s", e.store.Cursors[Name])
	}
}

func TestFieldOwnershipAndIncremental(t *testing.T) {
	p := hubspottest.LoadPortal(t)
	e := setup(t, cfgWith(100, nil), p)
	e.sync(t, true)
	// AccountBot-owned data: usage, signals, a champion flag set in chat.
	a := e.store.Accounts["hubspot-1001"]
	a.Usage = []domain.Snapshot{{Date: domain.DateOf(testNow), ActiveUsers: 90}}
	a.Signals = []domain.Signal{{Date: domain.DateOf(testNow), Kind: domain.SignalNote, Note: "kept"}}
	a.Stakeholders[0].Champion = true
	// The CRM changes Acme's name and owner after the cursor.
	e.f.P.Companies[0].Properties["name"] = "Acme Corporation"
	e.f.P.Companies[0].Properties["hubspot_owner_id"] = "41629780"
	e.f.P.Companies[0].Properties["hs_lastmodifieddate"] = testNow.Add(time.Hour).Format(time.RFC3339)
	before := len(e.f.Requests)
	rep := e.sync(t, false)
	if rep.Status.Changed != 1 || rep.Status.Read != 1+1 { // Acme, and archived Old Co (never synced)
		t.Fatalf("incremental status = %+v", rep.Status)
	}
	a = e.store.Accounts["hubspot-1001"]
	if a.Name != "Acme Corporation" || a.Owner != "ben@example.com" {
		t.Errorf("CRM fields not overwritten: %q %q", a.Name, a.Owner)
	}
	if len(a.Usage) != 1 || len(a.Signals) != 1 || !a.Stakeholders[0].Champion {
		t.Errorf("AccountBot-owned fields lost: usage %v signals %v stakeholders %+v", a.Usage, a.Signals, a.Stakeholders)
	}
	if n := len(e.f.Requests) - before; n > 10 {
		t.Errorf("incremental run made %d requests; it should search, not list everything", n)
	}
}

// A renewal deal's new amount or a contact's new title changes the
// account although the company itself was not modified.
func TestIncrementalSeesDealAndContactChanges(t *testing.T) {
	e := setup(t, cfgWith(100, nil), hubspottest.LoadPortal(t))
	e.sync(t, true)
	later := testNow.Add(time.Hour).Format(time.RFC3339)
	e.f.Lock()
	e.f.P.Deals[0].Properties["amount"] = "130000"
	e.f.P.Deals[0].Properties["hs_lastmodifieddate"] = later
	e.f.P.Contacts[2].Properties["jobtitle"] = "CMO"
	e.f.P.Contacts[2].Properties["hs_lastmodifieddate"] = later
	e.f.Index()
	e.f.Unlock()
	rep := e.sync(t, false)
	if rep.Status.Changed != 2 {
		t.Fatalf("status = %+v, changes %+v", rep.Status, rep.Changes)
	}
	if a := e.store.Accounts["hubspot-1001"]; a.ARR != 13_000_000 {
		t.Errorf("acme ARR = %d, want the deal's new amount", a.ARR)
	}
	if g := e.store.Accounts["hubspot-1002"]; g.Stakeholders[0].Role != "CMO" {
		t.Errorf("globex stakeholders = %+v", g.Stakeholders)
	}
}

func TestMergedAndDeletedAreMarked(t *testing.T) {
	p := hubspottest.LoadPortal(t)
	e := setup(t, cfgWith(100, nil), p)
	e.store.Accounts["acct-old"] = &domain.Account{ID: "acct-old", Name: "Old Co", Currency: "USD"}
	e.store.Link(Name, "1008", "acct-old")
	e.store.Accounts["acct-merged"] = &domain.Account{ID: "acct-merged", Name: "Initech EU", Currency: "USD"}
	e.store.Link(Name, "1009", "acct-merged")
	e.sync(t, true)
	if m := e.store.Marks["acct-old"]; m.Kind != "deleted" {
		t.Errorf("archived company not marked deleted: %+v", m)
	}
	if m := e.store.Marks["acct-merged"]; m.Kind != "merged" || m.MergedInto != "1003" {
		t.Errorf("merged company not marked: %+v", m)
	}
	if e.store.Accounts["acct-old"] == nil {
		t.Error("a deleted company's account must be kept (marked), not removed")
	}
	// Restored in HubSpot: seen alive again, the mark goes.
	e.f.P.Companies = append(e.f.P.Companies, e.f.P.Archived[0])
	e.f.P.Archived = nil
	e.sync(t, true)
	if _, ok := e.store.Marks["acct-old"]; ok || e.store.Accounts["acct-old"].Name != "Old Co" {
		t.Errorf("restored company still marked: %+v", e.store.Marks)
	}
}

func TestDailyLimitIsNotRetried(t *testing.T) {
	calls := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls++
		w.WriteHeader(429)
		w.Write([]byte(`{"status":"error","message":"You have reached your daily limit.","errorType":"RATE_LIMIT","correlationId":"d1","policyName":"DAILY"}`))
	}))
	defer srv.Close()
	c := NewClient(srv.URL, "t", 0, srv.Client(), &testClock{})
	_, err := c.Owners(context.Background())
	if calls != 1 || err == nil || !strings.Contains(err.Error(), "daily API limit") {
		t.Errorf("calls %d, err %v", calls, err)
	}
}

// A hostile or broken response cannot smuggle a NUL byte (the storage key
// separator) or an endless id into the store.
func TestMalformedIDsRefused(t *testing.T) {
	p := hubspottest.LoadPortal(t)
	p.Companies[0].ID = "1001\x00a/evil"
	p.Companies[1].ID = strings.Repeat("9", 300)
	e := setup(t, cfgWith(100, nil), p)
	rep := e.sync(t, true)
	if rep.Status.Refused != 2 || len(e.store.Accounts) != 1 {
		t.Fatalf("status %+v, accounts %v", rep.Status, e.store.Accounts)
	}
	if !strings.Contains(rep.Status.Refusals[0], "control characters") {
		t.Errorf("refusals = %v", rep.Status.Refusals)
	}
}

func TestUnmatchedGoToReview(t *testing.T) {
	e := setup(t, cfgWith(100, nil), hubspottest.LoadPortal(t))
	rep, err := e.run.Run(context.Background(), e.src, connector.Options{Full: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(e.store.Accounts) != 0 || len(e.store.Unmatched) != 3 || rep.Status.Unmatched != 3 {
		t.Errorf("with create off, companies must go to review: accounts %d unmatched %v", len(e.store.Accounts), e.store.Unmatched)
	}
}

// A run killed between pages leaves the cursor at the last applied page;
// the next run resumes there and ends with the same book as one clean run.
func TestResumeAfterCrash(t *testing.T) {
	e := setup(t, cfgWith(1, nil), hubspottest.LoadPortal(t))
	crash := errors.New("killed")
	e.store.FailCommit = func(n int) error {
		if n == 2 {
			return crash
		}
		return nil
	}
	_, err := e.run.Run(context.Background(), e.src, connector.Options{Full: true, Create: true, DefaultCurrency: "USD"})
	if !errors.Is(err, crash) {
		t.Fatalf("err = %v", err)
	}
	if len(e.store.Accounts) != 2 {
		t.Fatalf("after the crash: %d accounts, want the 2 pages applied", len(e.store.Accounts))
	}
	var c cursor
	jsonUnmarshal(e.store.Cursors[Name], &c)
	if c.Phase != phaseFull || c.After != "2" {
		t.Fatalf("cursor after crash = %s, want full after=2", e.store.Cursors[Name])
	}
	if !strings.Contains(e.store.Statuses[Name].LastError, "killed") {
		t.Errorf("status does not show the failure: %+v", e.store.Statuses[Name])
	}
	e.store.FailCommit = nil
	listed := 0
	e.f.Requests = nil
	rep := e.sync(t, false)
	listed = len(e.f.Requests)
	if len(e.store.Accounts) != 3 || rep.Status.Created != 1 {
		t.Fatalf("resume: accounts %d, status %+v", len(e.store.Accounts), rep.Status)
	}
	if listed > 8 {
		t.Errorf("resume re-read from the start (%d requests)", listed)
	}
}

func TestRateLimitBackoff(t *testing.T) {
	e := setup(t, cfgWith(100, nil), hubspottest.LoadPortal(t))
	e.f.Throttle = 3
	e.sync(t, true)
	if len(e.store.Accounts) != 3 {
		t.Fatalf("accounts = %d", len(e.store.Accounts))
	}
	if want := []time.Duration{2 * time.Second, 2 * time.Second, 2 * time.Second}; !slices.Equal(e.clock.slept, want) {
		t.Errorf("waits = %v, want three Retry-After waits of 2s (and no extra interval wait on a 429)", e.clock.slept)
	}
	// Retries run out: a clear error, cursor unchanged.
	e2 := setup(t, cfgWith(100, nil), hubspottest.LoadPortal(t))
	e2.f.Throttle = 100
	_, err := e2.run.Run(context.Background(), e2.src, connector.Options{Full: true, Create: true, DefaultCurrency: "USD"})
	if err == nil || !strings.Contains(e2.store.Statuses[Name].LastError, "rate limit") || e2.store.Cursors[Name] != "" {
		t.Errorf("err %v, status %+v, cursor %q", err, e2.store.Statuses[Name], e2.store.Cursors[Name])
	}
}

func TestCredentialErrorsInStatus(t *testing.T) {
	for _, tc := range []struct {
		name, want string
		mod        func(*hubspottest.Fake)
	}{
		{"bad token", "HUBSPOT_TOKEN", func(f *hubspottest.Fake) { f.Token = "other" }},
		{"missing scope", "crm.objects.deals.read", func(f *hubspottest.Fake) { f.MissingScope = "/deals" }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := setup(t, cfgWith(100, nil), hubspottest.LoadPortal(t))
			tc.mod(e.f)
			_, err := e.run.Run(context.Background(), e.src, connector.Options{Full: true, Create: true, DefaultCurrency: "USD"})
			st := e.store.Statuses[Name]
			if err == nil || !strings.Contains(st.LastError, tc.want) {
				t.Errorf("last error = %q, want it to mention %s", st.LastError, tc.want)
			}
			if len(e.store.Accounts) != 0 || e.store.Cursors[Name] != "" {
				t.Error("a refused request must change nothing")
			}
		})
	}
}

func TestMappingErrors(t *testing.T) {
	t.Run("unmapped required field", func(t *testing.T) {
		_, err := NewSource(NewClient("http://x", "t", 0, nil, nil), Config{Mapping: Mapping{Required: []string{"name", "plan"}}}, "USD")
		if err == nil || !strings.Contains(domain.ErrorMessage(err), "sync.hubspot.mapping.plan") {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("malformed record", func(t *testing.T) {
		p := hubspottest.LoadPortal(t)
		p.Deals[2].Properties["amount"] = "48k"   // Globex's renewal deal
		p.Companies[2].Properties["seats"] = "-3" // Initech
		e := setup(t, cfgWith(100, nil), p)
		rep := e.sync(t, true)
		if rep.Status.Refused != 2 || rep.Status.Created != 1 {
			t.Fatalf("status = %+v", rep.Status)
		}
		joined := strings.Join(e.store.Statuses[Name].Refusals, "\n")
		if !strings.Contains(joined, `hubspot record 1002: deal 5003 amount: amount "48k" is not a number`) || !strings.Contains(joined, "1003") {
			t.Errorf("refusals = %s", joined)
		}
		if e.store.Accounts["hubspot-1002"] != nil || e.store.Accounts["hubspot-1001"] == nil {
			t.Error("only the malformed records may be left out")
		}
	})
	t.Run("owner not an active owner", func(t *testing.T) {
		p := hubspottest.LoadPortal(t)
		p.Companies[0].Properties["hubspot_owner_id"] = "999"
		e := setup(t, cfgWith(100, nil), p)
		e.store.Accounts["hubspot-1001"] = &domain.Account{ID: "hubspot-1001", Name: "Acme", Owner: "kept@example.com", Currency: "USD"}
		e.sync(t, true)
		if got := e.store.Accounts["hubspot-1001"].Owner; got != "kept@example.com" {
			t.Errorf("owner = %q: an unknown owner id must not clear or guess the owner", got)
		}
		e2 := setup(t, cfgWith(100, func(c *Config) { c.Mapping.Required = []string{"name", "owner"} }), p)
		rep := e2.sync(t, true)
		if rep.Status.Refused != 1 || !strings.Contains(rep.Status.Refusals[0], "owner 999 is not an active HubSpot owner") {
			t.Errorf("status = %+v", rep.Status)
		}
	})
	t.Run("required field empty", func(t *testing.T) {
		p := hubspottest.LoadPortal(t)
		delete(p.Companies[1].Properties, "hubspot_owner_id")
		e := setup(t, cfgWith(100, func(c *Config) { c.Mapping.Required = []string{"name", "owner"} }), p)
		rep := e.sync(t, true)
		if rep.Status.Refused != 1 || !strings.Contains(rep.Status.Refusals[0], "required field owner is empty") {
			t.Errorf("status = %+v", rep.Status)
		}
	})
}

func TestDryRunWritesNothing(t *testing.T) {
	e := setup(t, cfgWith(100, nil), hubspottest.LoadPortal(t))
	rep, err := e.run.Run(context.Background(), e.src, connector.Options{Full: true, DryRun: true, Create: true, DefaultCurrency: "USD"})
	if err != nil {
		t.Fatal(err)
	}
	if len(e.store.Accounts) != 0 || e.store.Cursors[Name] != "" || len(e.store.Statuses) != 0 {
		t.Error("dry run wrote to the store")
	}
	if len(rep.Changes) != 3 || rep.Changes[0].Action != "create" || !strings.Contains(strings.Join(rep.Changes[0].Details, ";"), `name: "" → "Acme Corp"`) {
		t.Errorf("changes = %+v", rep.Changes)
	}
}

func jsonUnmarshal(c connector.Cursor, v *cursor) error { return json.Unmarshal([]byte(c), v) }
