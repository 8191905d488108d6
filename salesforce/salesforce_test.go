package salesforce

import (
	"context"
	"crypto/rsa"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/accountbot/accountbot/connector"
	"github.com/accountbot/accountbot/connector/connectortest"
	"github.com/accountbot/accountbot/domain"
	"github.com/accountbot/accountbot/salesforce/salesforcetest"
)

var testNow = salesforcetest.Today

const (
	testClientID = salesforcetest.ClientID
	testUser     = salesforcetest.Username
)

func key(t testing.TB) (*rsa.PrivateKey, string) { return salesforcetest.Key(t) }

// testClock never sleeps; it records the waits asked for and moves on.
type testClock struct {
	mu    sync.Mutex
	now   time.Time
	slept []time.Duration
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *testClock) Sleep(ctx context.Context, d time.Duration) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.slept = append(c.slept, d)
	c.now = c.now.Add(d)
	return ctx.Err()
}

type env struct {
	f     *salesforcetest.Fake
	clock *testClock
	store *connectortest.Mem
	src   *Source
	run   *connector.Runner
	cl    *Client
}

func setup(t testing.TB, o salesforcetest.Org, cfg Config) *env {
	k, pemKey := key(t)
	f := salesforcetest.New(t, o, &k.PublicKey)
	clk := &testClock{now: testNow}
	cl := NewClient(Creds{ClientID: testClientID, Username: testUser, KeyPEM: pemKey, LoginURL: f.Srv.URL},
		Options{Clock: clk, SlowInterval: 2 * time.Second})
	if cfg.Mapping.Plan == "" {
		cfg.Mapping.Plan = "Plan__c"
	}
	src, err := NewSource(cl, cfg, "USD")
	if err != nil {
		t.Fatal(err)
	}
	st := connectortest.New()
	return &env{f: f, clock: clk, store: st, src: src, cl: cl, run: &connector.Runner{Store: st, Now: clk.Now}}
}

func (e *env) sync(t testing.TB, opt connector.Options) (connector.Report, error) {
	t.Helper()
	opt.Create, opt.DefaultCurrency = true, "USD"
	return e.run.Run(context.Background(), e.src, opt)
}

func (e *env) asked(prefix string) int {
	e.f.Mu.Lock()
	defer e.f.Mu.Unlock()
	n := 0
	for _, r := range e.f.Requests {
		if strings.HasPrefix(r, prefix) {
			n++
		}
	}
	return n
}

func account(t testing.TB, e *env, ext string) *domain.Account {
	t.Helper()
	a := e.store.Accounts["salesforce-"+ext]
	if a == nil {
		t.Fatalf("no account for %s; have %d", ext, len(e.store.Accounts))
	}
	return a
}

func TestFullLoadREST(t *testing.T) {
	e := setup(t, salesforcetest.LoadOrg(t), Config{})
	rep, err := e.sync(t, connector.Options{})
	if err != nil {
		t.Fatal(err)
	}
	st := rep.Status
	if st.Read != 5 || st.Created != 3 || st.Refused != 2 || st.LastError != "" {
		t.Fatalf("status = %+v", st)
	}
	nw := account(t, e, "001000000000001AAA")
	if nw.Name != "Northwind Traders" || nw.Owner != "alice@acme.example" || nw.ARR != 12_000_000 || nw.Currency != "USD" ||
		nw.RenewalDate.String() != "2027-03-31" || nw.Plan != "Enterprise" {
		t.Errorf("Northwind = %+v", nw)
	}
	if len(nw.Stakeholders) != 2 || nw.Stakeholders[0].Function != "executive" || nw.Stakeholders[1].Role != "VP Engineering" || nw.Stakeholders[1].Function != "tech" {
		t.Errorf("stakeholders = %+v", nw.Stakeholders)
	}
	if g := account(t, e, "001000000000002AAA"); g.ARR != 8_000_050 || g.Owner != "bob@acme.example" {
		t.Errorf("Globex = %+v", g)
	}
	if in := account(t, e, "001000000000003AAA"); in.ARR != 0 || !in.RenewalDate.IsZero() {
		t.Errorf("Initech's only renewal is closed-lost; got ARR %d renewal %s", in.ARR, in.RenewalDate)
	}
	refusals := strings.Join(st.Refusals, "\n")
	for _, want := range []string{"001000000000004AAA: opportunity 006000000000005AAA Amount: \"-5000\" is negative",
		"001000000000005AAA: required field name is empty (Salesforce Account.Name)"} {
		if !strings.Contains(refusals, want) {
			t.Errorf("refusals %q lack %q", refusals, want)
		}
	}
	if e.asked("GET jobs") != 0 || e.f.Logins != 1 {
		t.Errorf("5 accounts must load by REST with one login; jobs %d logins %d", e.asked("GET jobs"), e.f.Logins)
	}
	var c cursor
	if err := jsonUnmarshal(e.store.Cursors[Name], &c); err != nil || c.Phase != phaseIdle || !c.Since.Equal(testNow.Add(-time.Minute)) {
		t.Errorf("cursor = %s", e.store.Cursors[Name])
	}
}

func TestRESTPagingAndResumeAfterCrash(t *testing.T) {
	e := setup(t, salesforcetest.GenOrg(t, 450), Config{})
	e.store.FailCommit = func(n int) error {
		if n == 2 { // the count page and the first 200 accounts are applied
			return os.ErrDeadlineExceeded
		}
		return nil
	}
	if _, err := e.sync(t, connector.Options{}); err == nil {
		t.Fatal("the crash must fail the run")
	}
	if n := len(e.store.Accounts); n != 200 {
		t.Fatalf("after the crash %d accounts stored, want the first page's 200", n)
	}
	if !strings.Contains(e.store.Statuses[Name].LastError, "applying a page") {
		t.Errorf("status = %+v", e.store.Statuses[Name])
	}
	e.store.FailCommit = nil
	rep, err := e.sync(t, connector.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(e.store.Accounts) != 450 || rep.Status.Created != 250 {
		t.Fatalf("resumed run: %d accounts, status %+v", len(e.store.Accounts), rep.Status)
	}
	if e.asked("GET query/01gD") == 0 {
		t.Error("pages after the first must follow nextRecordsUrl")
	}
	a := account(t, e, "001000000000450AAA")
	if a.Owner != "csm1@acme.example" || len(a.Stakeholders) != 3 || a.ARR == 0 {
		t.Errorf("account 450 = %+v", a)
	}
}

func TestBulkFullLoadAndResume(t *testing.T) {
	e := setup(t, salesforcetest.GenOrg(t, 2500), Config{})
	e.src.ChunkSize = 1000
	e.store.FailCommit = func(n int) error {
		if n == 8 { // count + 7 pages of 200: inside the second results chunk
			return os.ErrDeadlineExceeded
		}
		return nil
	}
	if _, err := e.sync(t, connector.Options{}); err == nil {
		t.Fatal("the crash must fail the run")
	}
	if n := len(e.store.Accounts); n != 1400 {
		t.Fatalf("after the crash %d accounts stored, want 1400", n)
	}
	e.store.FailCommit = nil
	e.src.chunk = nil // a new process has no downloaded chunk
	if _, err := e.sync(t, connector.Options{}); err != nil {
		t.Fatal(err)
	}
	if len(e.store.Accounts) != 2500 {
		t.Fatalf("%d accounts after the resumed bulk load", len(e.store.Accounts))
	}
	if n := e.asked("POST jobs/query"); n != 1 {
		t.Errorf("%d query jobs created; a resumed run must reuse the job", n)
	}
	if e.asked("GET jobs/query/750D00000000001AAA/results") < 3 {
		t.Error("results must be read chunk by chunk with Sforce-Locator")
	}
	if len(e.clock.slept) == 0 || slices.Max(e.clock.slept) > 15*time.Second {
		t.Errorf("job polling waits %v", e.clock.slept)
	}
	if a := account(t, e, "001000000002500AAA"); a.Name != "Customer 2500" || a.Owner == "" || len(a.Stakeholders) != 3 {
		t.Errorf("last account = %+v", a)
	}
}

func TestIncremental(t *testing.T) {
	o := salesforcetest.LoadOrg(t)
	e := setup(t, o, Config{})
	if _, err := e.sync(t, connector.Options{}); err != nil {
		t.Fatal(err)
	}
	later := "2026-11-23T12:30:00.000+0000"
	e.f.Mu.Lock()
	e.f.ByID["001000000000002AAA"]["Name"], e.f.ByID["001000000000002AAA"]["SystemModstamp"] = "Globex Corporation", later
	nc := salesforcetest.Rec{"attributes": map[string]any{"type": "Contact"}, "Id": "003000000000009AAA", "AccountId": "001000000000001AAA",
		"FirstName": "Lee", "LastName": "Wong", "Title": "Director of Finance", "IsDeleted": false, "SystemModstamp": later}
	e.f.O.Objects["Contact"] = append(e.f.O.Objects["Contact"], nc)
	e.f.Index()
	in := e.f.ByID["001000000000003AAA"]
	in["IsDeleted"], in["MasterRecordId"], in["SystemModstamp"] = true, "001000000000001AAA", later
	e.f.Requests = nil
	e.f.Mu.Unlock()
	e.clock.now = testNow.Add(time.Hour)
	rep, err := e.sync(t, connector.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if e.asked("GET query/ SELECT COUNT()") != 0 || e.asked("GET sobjects/Account/updated") != 1 || e.asked("GET sobjects/Account/deleted") != 1 {
		t.Errorf("requests = %v", e.f.Requests)
	}
	if g := account(t, e, "001000000000002AAA"); g.Name != "Globex Corporation" {
		t.Errorf("Globex = %q", g.Name)
	}
	nw := account(t, e, "001000000000001AAA")
	if len(nw.Stakeholders) != 3 || nw.Stakeholders[2].Function != "finance" {
		t.Errorf("Northwind stakeholders = %+v", nw.Stakeholders)
	}
	if m := e.store.Marks["salesforce-001000000000003AAA"]; m.Kind != "merged" || m.MergedInto != "001000000000001AAA" {
		t.Errorf("Initech mark = %+v", m)
	}
	if rep.Status.Read != 3 || rep.Status.Changed != 2 || rep.Status.Marked != 1 {
		t.Errorf("status = %+v", rep.Status)
	}
}

func TestCursorOlderThan30DaysMakesAFullLoad(t *testing.T) {
	e := setup(t, salesforcetest.LoadOrg(t), Config{})
	if _, err := e.sync(t, connector.Options{}); err != nil {
		t.Fatal(err)
	}
	e.clock.now = testNow.Add(31 * 24 * time.Hour)
	e.f.Now = e.clock.now
	e.f.Requests = nil
	if _, err := e.sync(t, connector.Options{}); err != nil {
		t.Fatal(err)
	}
	if e.asked("GET sobjects/Account/updated") != 0 || e.asked("GET query/ SELECT COUNT() FROM Account") != 1 {
		t.Errorf("requests = %v", e.f.Requests)
	}
}

func TestIncrementalEdgesOfTheReplicationAPI(t *testing.T) {
	e := setup(t, salesforcetest.LoadOrg(t), Config{})
	if _, err := e.sync(t, connector.Options{}); err != nil {
		t.Fatal(err)
	}
	// 20 days later: `updated` still reaches, `deleted` only 15 days back.
	e.clock.now = testNow.Add(20 * 24 * time.Hour)
	e.f.Now = e.clock.now
	e.f.Requests = nil
	if _, err := e.sync(t, connector.Options{}); err != nil {
		t.Fatal(err)
	}
	if e.asked("GET sobjects/Account/deleted") != 1 || e.asked("GET query/ SELECT COUNT()") != 0 {
		t.Errorf("requests = %v", e.f.Requests)
	}
	// More changed ids than `updated` returns: a full load.
	e.f.Mu.Lock()
	e.f.IDLimit = 1
	for _, a := range e.f.O.Objects["Account"] {
		a["SystemModstamp"] = "2026-12-13T12:30:00.000+0000"
	}
	e.f.Requests = nil
	e.f.Mu.Unlock()
	e.clock.now = e.clock.now.Add(time.Hour)
	e.f.Now = e.clock.now
	if _, err := e.sync(t, connector.Options{}); err != nil {
		t.Fatal(err)
	}
	if e.asked("GET query/ SELECT COUNT()") != 1 || e.store.Statuses[Name].LastError != "" {
		t.Errorf("requests = %v, status %+v", e.f.Requests, e.store.Statuses[Name])
	}
}
