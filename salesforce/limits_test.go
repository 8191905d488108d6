package salesforce

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/accountbot/accountbot/connector"
	"github.com/accountbot/accountbot/salesforce/salesforcetest"
)

func TestLimitInfoSlowsDown(t *testing.T) {
	e := setup(t, salesforcetest.LoadOrg(t), Config{})
	e.f.Used, e.f.Max = 850, 1000 // 85 % of the daily allowance spent
	if _, err := e.sync(t, connector.Options{}); err != nil {
		t.Fatal(err)
	}
	calls := e.asked("")
	slow := 0
	for _, d := range e.clock.slept {
		if d == 2*time.Second {
			slow++
		}
	}
	// The first call learns the usage; every later one is spaced out.
	if slow != calls-1 {
		t.Errorf("%d calls, %d spaced out (sleeps %v)", calls, slow, e.clock.slept)
	}
	if len(e.store.Accounts) != 3 {
		t.Errorf("a slowed run still completes; %d accounts", len(e.store.Accounts))
	}
}

func TestLimitInfoStopsRunAndKeepsCursor(t *testing.T) {
	e := setup(t, salesforcetest.GenOrg(t, 450), Config{})
	e.f.Used, e.f.Max = 0, 6 // count, first page (+users, opps, contacts) and a little more
	_, err := e.sync(t, connector.Options{})
	if !errors.Is(err, ErrLimit) {
		t.Fatalf("err = %v", err)
	}
	st := e.store.Statuses[Name]
	if !strings.Contains(st.LastError, "paused: the Salesforce org has used") || !strings.Contains(st.LastError, "cursor is kept") {
		t.Errorf("last error = %q", st.LastError)
	}
	if n := len(e.store.Accounts); n != 200 {
		t.Fatalf("%d accounts stored; the first page must stay applied", n)
	}
	cur := e.store.Cursors[Name]
	// The allowance recovers (rolling 24 h): the next run resumes.
	e.f.Mu.Lock()
	e.f.Used, e.f.Max = 0, 15000
	e.f.Mu.Unlock()
	e.cl.m.used, e.cl.m.max = 0, 15000
	if _, err := e.sync(t, connector.Options{}); err != nil {
		t.Fatal(err)
	}
	if len(e.store.Accounts) != 450 || cur == "" || !strings.Contains(string(cur), `"phase":"rest"`) {
		t.Errorf("resume: %d accounts, cursor at the stop %s", len(e.store.Accounts), cur)
	}
}

func TestRequestLimitExceededStopsRun(t *testing.T) {
	e := setup(t, salesforcetest.LoadOrg(t), Config{})
	if _, err := e.sync(t, connector.Options{}); err != nil {
		t.Fatal(err)
	}
	before := e.store.Cursors[Name]
	e.f.Mu.Lock()
	e.f.Used, e.f.Max = 100, 100 // the org is over its allowance: 403
	e.f.Mu.Unlock()
	e.cl.m.used, e.cl.m.max = 0, 0 // AccountBot did not see it coming
	e.clock.now = testNow.Add(time.Hour)
	_, err := e.sync(t, connector.Options{})
	if !errors.Is(err, ErrLimit) {
		t.Fatalf("err = %v", err)
	}
	st := e.store.Statuses[Name]
	if !strings.Contains(st.LastError, "REQUEST_LIMIT_EXCEEDED") || !strings.Contains(st.LastError, "cursor is kept") {
		t.Errorf("last error = %q", st.LastError)
	}
	if e.store.Cursors[Name] != before {
		t.Error("the cursor must not move")
	}
	if n := e.asked(""); n > 50 {
		t.Errorf("%d requests: a 403 limit must stop the run, not retry", n)
	}
}

// Queries share one connection: each answer is read to its end (the
// newline after the JSON too), or the client would dial for every page.
func TestQueriesReuseTheConnection(t *testing.T) {
	base, err := salesforcetest.ReadOrg()
	if err != nil {
		t.Fatal(err)
	}
	k, pemKey := key(t)
	f := salesforcetest.New(t, salesforcetest.MakeOrg(base.Fields, 300), &k.PublicKey)
	var dials atomic.Int32
	tr := &http.Transport{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		dials.Add(1)
		return (&net.Dialer{}).DialContext(ctx, network, addr)
	}}
	defer tr.CloseIdleConnections()
	cl := NewClient(Creds{ClientID: testClientID, Username: testUser, KeyPEM: pemKey, LoginURL: f.Srv.URL}, Options{Clock: &testClock{now: testNow}, Transport: tr})
	for range 4 {
		p, err := cl.query(context.Background(), "SELECT Id, Name FROM Account ORDER BY Id", 2000, false)
		if err != nil || len(p.Rows) != 300 {
			t.Fatalf("%d rows, %v", len(p.Rows), err)
		}
	}
	if n := dials.Load(); n != 1 {
		t.Errorf("4 queries opened %d connections; want 1", n)
	}
}

// The benchmarks' fake reads SystemModstamp from a column (Freeze); it
// answers an incremental run as the record-by-record fake does.
func TestFrozenFakeAnswersAlike(t *testing.T) {
	later := testNow.Add(-30 * time.Minute).Format("2006-01-02T15:04:05.000+0000")
	var got []string
	for _, frozen := range []bool{false, true} {
		o := salesforcetest.GenOrg(t, 300)
		for _, i := range []int{0, 5, 9} {
			o.Objects["Account"][i]["SystemModstamp"] = later
		}
		o.Objects["Opportunity"][40]["SystemModstamp"] = later // account 21
		o.Objects["Contact"][90]["SystemModstamp"] = later     // account 31
		o.Objects["Contact"][93]["SystemModstamp"] = "not a date"
		e := setup(t, o, Config{})
		if frozen {
			e.f.Freeze()
		}
		e.store.Cursors[Name] = cursor{Phase: phaseIdle, Since: testNow.Add(-2 * time.Hour)}.encode()
		rep, err := e.sync(t, connector.Options{})
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, c := range rep.Changes {
			ids = append(ids, c.ExternalID)
		}
		got = append(got, fmt.Sprintf("read %d: %s", rep.Status.Read, strings.Join(ids, ",")))
	}
	if got[0] != got[1] || !strings.HasPrefix(got[0], "read 5:") {
		t.Errorf("record by record: %s\nfrozen:           %s", got[0], got[1])
	}
}
