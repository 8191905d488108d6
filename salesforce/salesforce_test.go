package salesforce

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"os"
	"path/filepath"
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

func TestExpiredSessionLogsInAgain(t *testing.T) {
	e := setup(t, salesforcetest.LoadOrg(t), Config{})
	if _, err := e.sync(t, connector.Options{}); err != nil {
		t.Fatal(err)
	}
	e.f.Expire()
	e.clock.now = testNow.Add(time.Hour)
	if _, err := e.sync(t, connector.Options{Full: true}); err != nil {
		t.Fatal(err)
	}
	if e.f.Logins != 2 {
		t.Errorf("logins = %d, want a second JWT bearer login after INVALID_SESSION_ID", e.f.Logins)
	}
}

func TestLoginFailuresAreClearAndChangeNothing(t *testing.T) {
	other, _ := rsa.GenerateKey(rand.Reader, 2048)
	b, _ := x509.MarshalPKCS8PrivateKey(other)
	wrongKey := string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: b}))
	for _, tc := range []struct {
		name string
		edit func(*Creds)
	}{
		{"unknown user", func(c *Creds) { c.Username = "someone@else.example" }},
		{"wrong client id", func(c *Creds) { c.ClientID = "3MVG9Other" }},
		{"key not matching the certificate", func(c *Creds) { c.KeyPEM = wrongKey }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := setup(t, salesforcetest.LoadOrg(t), Config{})
			tc.edit(&e.cl.cr)
			_, err := e.sync(t, connector.Options{})
			if err == nil {
				t.Fatal("want an error")
			}
			st := e.store.Statuses[Name]
			if !strings.Contains(st.LastError, "refused the JWT bearer login") || !strings.Contains(st.LastError, "pre-authorised") {
				t.Errorf("last error = %q", st.LastError)
			}
			if len(e.store.Accounts) != 0 || e.store.Cursors[Name] != "" || e.store.Commits != 0 {
				t.Error("a failed login must change nothing")
			}
		})
	}
}

func TestCredsFromEnv(t *testing.T) {
	_, pemKey := key(t)
	dir := t.TempDir()
	kf := filepath.Join(dir, "key.pem")
	os.WriteFile(kf, []byte(pemKey), 0o600)
	envs := map[string]string{"SALESFORCE_CLIENT_ID": testClientID, "SALESFORCE_USERNAME": testUser, "SALESFORCE_PRIVATE_KEY_FILE": kf}
	cr, err := Config{}.Creds(func(k string) string { return envs[k] })
	if err != nil || cr.LoginURL != DefaultLoginURL || cr.KeyPEM != pemKey {
		t.Fatalf("creds = %+v, %v", cr, err)
	}
	_, err = Config{}.Creds(func(string) string { return "" })
	if err == nil || !strings.Contains(err.Error(), "SALESFORCE_CLIENT_ID") || !strings.Contains(err.Error(), "SALESFORCE_PRIVATE_KEY_FILE") {
		t.Errorf("missing creds: %v", err)
	}
	os.WriteFile(kf, []byte("not a key"), 0o600)
	if _, err := (Config{}).Creds(func(k string) string { return envs[k] }); err == nil || !strings.Contains(err.Error(), "not a PEM private key") {
		t.Errorf("bad key file: %v", err)
	}
}

func TestPermissionAndMappingErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  Config
		deny string
		want string
	}{
		{"no read on Opportunity", Config{}, "Opportunity", "lacks a permission (INVALID_TYPE"},
		{"mapped field missing", Config{Mapping: Mapping{Plan: "Tier_Name__c"}}, "", "No such column 'Tier_Name__c' on entity 'Account'"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := setup(t, salesforcetest.LoadOrg(t), tc.cfg)
			e.f.Deny = tc.deny
			if _, err := e.sync(t, connector.Options{}); err == nil {
				t.Fatal("want an error")
			}
			st := e.store.Statuses[Name]
			if !strings.Contains(st.LastError, tc.want) {
				t.Errorf("last error = %q, want %q", st.LastError, tc.want)
			}
			if len(e.store.Accounts) != 0 {
				t.Error("nothing may be stored")
			}
		})
	}
	for _, tc := range []struct {
		cfg  Config
		want string
	}{
		{Config{Mapping: Mapping{Required: []string{"seats"}}}, "set sync.salesforce.mapping.seats"},
		{Config{Mapping: Mapping{Required: []string{"arr"}, ARRFrom: "account"}}, "account_arr"},
		{Config{Mapping: Mapping{Plan: "Plan__c FROM User--"}}, "not a Salesforce field API name"},
		{Config{WriteBack: Writes{Tasks: true}}, "write_id_field"},
	} {
		if _, err := NewSource(nil, tc.cfg, "USD"); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: err = %v, want %q", tc.cfg, err, tc.want)
		}
	}
}

func TestRequiredFieldRefusesRecord(t *testing.T) {
	e := setup(t, salesforcetest.LoadOrg(t), Config{Mapping: Mapping{Required: []string{"name", "plan"}}})
	rep, err := e.sync(t, connector.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := e.store.Accounts["salesforce-001000000000003AAA"]; ok {
		t.Error("Initech has no plan and must be refused")
	}
	if !strings.Contains(strings.Join(rep.Status.Refusals, "\n"), "001000000000003AAA: required field plan is empty (Salesforce Account.Plan__c)") {
		t.Errorf("refusals = %q", rep.Status.Refusals)
	}
}

func TestDryRunStoresNothing(t *testing.T) {
	e := setup(t, salesforcetest.LoadOrg(t), Config{})
	rep, err := e.sync(t, connector.Options{DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Changes) == 0 || len(e.store.Accounts) != 0 || e.store.Commits != 0 || len(e.store.Statuses) != 0 {
		t.Errorf("dry run changed the store or listed nothing: %+v", rep)
	}
}

func jsonUnmarshal(c connector.Cursor, v any) error { return json.Unmarshal([]byte(c), v) }

func TestQuoteEscapesSOQL(t *testing.T) {
	for in, want := range map[string]string{`a'b`: `'a\'b'`, `x\' OR Name != '`: `'x\\\' OR Name != \''`, "l1\nl2": `'l1\nl2'`} {
		if got := quote(in); got != want {
			t.Errorf("quote(%q) = %s, want %s", in, got, want)
		}
	}
}

func TestFlatten(t *testing.T) {
	var rec map[string]json.RawMessage
	json.Unmarshal([]byte(`{"attributes":{"type":"Account"},"Id":"001","Name":"A \"quoted\" \u00e9","Amount":1200.5,"IsWon":true,"Plan__c":null,"Owner":{"Email":"x"}}`), &rec)
	got := flatten(rec)
	want := row{"Id": "001", "Name": `A "quoted" é`, "Amount": "1200.5", "IsWon": "true"}
	if len(got) != len(want) {
		t.Fatalf("flatten = %v", got)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %q, want %q", k, got[k], v)
		}
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
