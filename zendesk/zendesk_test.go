package zendesk

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/accountbot/accountbot/connector"
	"github.com/accountbot/accountbot/connector/connectortest"
	"github.com/accountbot/accountbot/domain"
	zt "github.com/accountbot/accountbot/zendesk/zendesktest"
)

var now = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

// fakeClock never sleeps: Sleep advances Now and records the wait.
type fakeClock struct {
	t     time.Time
	slept []time.Duration
}

func (c *fakeClock) Now() time.Time { return c.t }
func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	c.slept = append(c.slept, d)
	c.t = c.t.Add(d)
	return ctx.Err()
}

type env struct {
	fake  *zt.Fake
	mem   *connectortest.Mem
	store connector.Store
	clock *fakeClock
	src   *Source
}

func setup(t *testing.T, cfg Config, perMinute int) *env {
	t.Helper()
	f := zt.New("ana@example.com", "tok")
	t.Cleanup(f.Close)
	f.PageSize = 2
	f.Orgs[1] = zt.Org{ID: 1, Name: "Acme", ExternalID: zt.Str("acme")}
	f.Orgs[2] = zt.Org{ID: 2, Name: "Beta", ExternalID: zt.Str("beta"), Fields: map[string]any{"accountbot_id": "beta"}}
	f.Orgs[3] = zt.Org{ID: 3, Name: "Gamma Ltd"} // no external id: the review list
	mem := connectortest.New()
	for _, id := range []string{"acme", "beta"} {
		mem.Accounts[id] = &domain.Account{ID: id, Name: strings.ToUpper(id), Currency: "USD", Owner: "ana@example.com"}
	}
	clock := &fakeClock{t: now}
	c := NewClient(f.URL(), "ana@example.com", "tok", perMinute, nil, clock)
	store := connector.AccountIDs{Store: mem, Account: func(ctx context.Context, id string) (*domain.Account, error) {
		a, ok := mem.Accounts[id]
		if !ok {
			return nil, domain.Errorf(domain.ENOTFOUND, "no account %s", id)
		}
		cp := *a
		return &cp, nil
	}}
	return &env{fake: f, mem: mem, store: store, clock: clock, src: NewSource(c, cfg)}
}

func (e *env) run(t *testing.T, opt connector.Options) (connector.Report, error) {
	t.Helper()
	r := &connector.Runner{Store: e.store, Now: e.clock.Now}
	return r.Run(context.Background(), e.src, opt)
}

func ticket(id, org int64, daysAgo int, prio, status string, updated int) zt.Ticket {
	t := zt.Ticket{ID: id, Subject: "ticket", Status: status, CreatedAt: now.AddDate(0, 0, -daysAgo), UpdatedAt: now.Add(time.Duration(updated-1000) * time.Minute)}
	if prio != "" {
		t.Priority = zt.Str(prio)
	}
	if org != 0 {
		t.OrganizationID = zt.ID(org)
	}
	return t
}

func TestFullLoadThenIncrementalCountsEachTicketOnce(t *testing.T) {
	e := setup(t, Config{}, 0)
	for _, tk := range []zt.Ticket{
		ticket(101, 1, 3, "urgent", "open", 1),
		ticket(102, 1, 10, "normal", "solved", 2),
		ticket(103, 2, 5, "high", "pending", 3),
		ticket(104, 3, 1, "low", "new", 4),
		ticket(105, 0, 1, "low", "new", 5), // no organization: ignored
	} {
		e.fake.Add(tk)
	}
	rep, err := e.run(t, connector.Options{})
	if err != nil {
		t.Fatal(err)
	}
	acme := e.mem.Accounts["acme"]
	if acme.Support == nil || len(acme.Support.Tickets) != 2 || acme.Support.OpenedIn(domain.DateOf(now).AddDays(-30), domain.DateOf(now)) != 2 {
		t.Fatalf("acme support %+v", acme.Support)
	}
	if got := acme.Support.UrgentOpen(domain.DateOf(now)); len(got) != 1 || got[0].ID != "101" {
		t.Errorf("urgent open %+v", got)
	}
	if len(e.mem.Accounts["beta"].Support.Tickets) != 1 {
		t.Errorf("beta %+v", e.mem.Accounts["beta"].Support)
	}
	u, ok := e.mem.Unmatched["zendesk|org-3"]
	if !ok || !strings.Contains(u.Sample, "Gamma Ltd") || !strings.Contains(u.Sample, "external_id") {
		t.Errorf("review list %+v", e.mem.Unmatched)
	}
	if rep.Status.Read != 3 || rep.Status.Changed != 2 || rep.Status.Unmatched != 1 {
		t.Errorf("status %+v", rep.Status)
	}
	if !strings.Contains(e.fake.Requests[0], "start_time=") {
		t.Errorf("first request %s", e.fake.Requests[0])
	}

	// The urgent ticket is updated twice, then solved: still one ticket.
	e.fake.Add(ticket(101, 1, 3, "urgent", "pending", 10))
	e.fake.Add(ticket(101, 1, 3, "urgent", "solved", 11))
	e.fake.Requests = nil
	if _, err := e.run(t, connector.Options{}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(e.fake.Requests[0], "cursor=") {
		t.Errorf("incremental run did not continue from the cursor: %v", e.fake.Requests)
	}
	acme = e.mem.Accounts["acme"]
	if len(acme.Support.Tickets) != 2 || len(acme.Support.UrgentOpen(domain.DateOf(now))) != 0 {
		t.Errorf("after updates %+v", acme.Support.Tickets)
	}
	// Nothing new: a run changes nothing.
	rep, err = e.run(t, connector.Options{})
	if err != nil || rep.Status.Changed != 0 {
		t.Errorf("idle run: %+v %v", rep.Status, err)
	}
	// A deleted ticket leaves the count.
	e.fake.Add(ticket(102, 1, 10, "normal", "deleted", 12))
	if _, err := e.run(t, connector.Options{}); err != nil {
		t.Fatal(err)
	}
	if n := len(e.mem.Accounts["acme"].Support.Tickets); n != 1 {
		t.Errorf("after delete: %d tickets", n)
	}
}

func TestUnreadableOrganizationGoesToReview(t *testing.T) {
	e := setup(t, Config{}, 0)
	e.fake.Add(ticket(1, 99, 1, "high", "open", 1)) // organization 99 is gone
	e.fake.Add(ticket(2, 1, 1, "high", "open", 2))
	rep, err := e.run(t, connector.Options{})
	if err != nil || rep.Status.Unmatched != 1 {
		t.Fatalf("%v %+v", err, rep.Status)
	}
	if u := e.mem.Unmatched["zendesk|org-99"]; !strings.Contains(u.Sample, "not readable") {
		t.Errorf("review entry %+v", u)
	}
	if e.mem.Accounts["acme"].Support == nil {
		t.Error("the other organization's ticket was not applied")
	}
}

func TestTwoOrganizationsOfOneAccountInOnePage(t *testing.T) {
	e := setup(t, Config{}, 0)
	e.fake.Orgs[4] = zt.Org{ID: 4, Name: "Acme EMEA", ExternalID: zt.Str("acme")}
	e.fake.Add(ticket(1, 1, 1, "high", "open", 1))
	e.fake.Add(ticket(2, 4, 2, "low", "open", 2))
	if _, err := e.run(t, connector.Options{}); err != nil {
		t.Fatal(err)
	}
	if n := len(e.mem.Accounts["acme"].Support.Tickets); n != 2 {
		t.Errorf("%d tickets, want both organizations' 2", n)
	}
}

func TestMappedOrganizationField(t *testing.T) {
	e := setup(t, Config{OrgField: "accountbot_id"}, 0)
	e.fake.Add(ticket(1, 2, 1, "high", "open", 1))
	e.fake.Add(ticket(2, 1, 1, "high", "open", 2)) // Acme has no such field
	if _, err := e.run(t, connector.Options{}); err != nil {
		t.Fatal(err)
	}
	if e.mem.Accounts["beta"].Support == nil || e.mem.Accounts["acme"].Support != nil {
		t.Errorf("beta %+v acme %+v", e.mem.Accounts["beta"].Support, e.mem.Accounts["acme"].Support)
	}
	if u := e.mem.Unmatched["zendesk|org-1"]; !strings.Contains(u.Sample, "organization field accountbot_id") {
		t.Errorf("review entry %+v", u)
	}
}

func TestRateLimitAndRetryAfterWithoutSleeping(t *testing.T) {
	e := setup(t, Config{}, 10)
	for i := range 6 {
		e.fake.Add(ticket(int64(i+1), 1, 1, "normal", "open", i))
	}
	e.fake.Throttle, e.fake.RetryAfter = 1, 37
	start := time.Now()
	if _, err := e.run(t, connector.Options{}); err != nil {
		t.Fatal(err)
	}
	if time.Since(start) > 5*time.Second {
		t.Error("the test slept for real")
	}
	var total time.Duration // the pacing waits, without the Retry-After one
	saw37 := false
	for _, d := range e.clock.slept {
		if d == 37*time.Second && !saw37 {
			saw37 = true
			continue
		}
		total += d
	}
	if !saw37 {
		t.Errorf("Retry-After 37 s not honoured: slept %v", e.clock.slept)
	}
	// 4 export requests (one 429, three pages) at 10 a minute: the 37 s
	// wait refilled the one token, so the next two pages each wait 6 s.
	if exports := countExports(e.fake.Requests); exports != 4 || total < 12*time.Second {
		t.Errorf("%d export requests, %v slept", exports, total)
	}
	if n := len(e.mem.Accounts["acme"].Support.Tickets); n != 6 {
		t.Errorf("%d tickets", n)
	}
}

func countExports(reqs []string) int {
	n := 0
	for _, r := range reqs {
		if strings.Contains(r, "incremental") {
			n++
		}
	}
	return n
}

func TestBadInputChangesNothing(t *testing.T) {
	tests := []struct {
		name  string
		prep  func(e *env)
		want  string
		setup func() Config
	}{
		{"wrong token", func(e *env) { e.fake.Token = "other" }, "ZENDESK_API_TOKEN", nil},
		{"429 until retries run out", func(e *env) { e.fake.Throttle, e.fake.RetryAfter = 99, 1 }, "rate limit", nil},
		{"invalid account id in external_id", func(e *env) { e.fake.Orgs[1] = zt.Org{ID: 1, Name: "Acme", ExternalID: zt.Str("acme corp!")} }, "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := setup(t, Config{}, 0)
			e.fake.Add(ticket(1, 1, 1, "urgent", "open", 1))
			tt.prep(e)
			rep, err := e.run(t, connector.Options{})
			if tt.want != "" {
				if err == nil || !strings.Contains(rep.Status.LastError, tt.want) {
					t.Errorf("err %v, status error %q, want %q", err, rep.Status.LastError, tt.want)
				}
				if e.mem.Cursors[Name] != "" {
					t.Errorf("cursor moved to %q", e.mem.Cursors[Name])
				}
			} else if err != nil || rep.Status.Refused != 1 || !strings.Contains(rep.Status.Refusals[0], "not an account id") {
				t.Errorf("refusal: %v %+v", err, rep.Status)
			}
			if e.mem.Accounts["acme"].Support != nil {
				t.Errorf("acme changed: %+v", e.mem.Accounts["acme"].Support)
			}
		})
	}
}

func TestMalformedResponsesAndCursor(t *testing.T) {
	e := setup(t, Config{}, 0)
	if _, err := e.src.Fetch(context.Background(), "not json"); domain.ErrorCode(err) != domain.EINVALID || !strings.Contains(err.Error(), "--full") {
		t.Errorf("bad cursor: %v", err)
	}
	bad := NewClient(e.fake.URL()+"/nothing-here", "ana@example.com", "tok", 0, nil, e.clock)
	if _, err := bad.Export(context.Background(), "", now); err == nil {
		t.Error("a 404 passed")
	}
	// A server that speaks something else.
	e.fake.Server.Config.Handler = httpText("<html>login</html>")
	if _, err := e.src.client.Export(context.Background(), "", now); domain.ErrorCode(err) != domain.EINVALID || !strings.Contains(err.Error(), "ZENDESK_API_URL") {
		t.Errorf("html answer: %v", err)
	}
}

func TestEnvFrom(t *testing.T) {
	tests := []struct {
		env  map[string]string
		base string
		err  string
	}{
		{map[string]string{"ZENDESK_SUBDOMAIN": "acme", "ZENDESK_EMAIL": "a@b.co", "ZENDESK_API_TOKEN": "t"}, "https://acme.zendesk.com", ""},
		{map[string]string{"ZENDESK_API_URL": "http://127.0.0.1:9/", "ZENDESK_EMAIL": "a@b.co", "ZENDESK_API_TOKEN": "t"}, "http://127.0.0.1:9/", ""},
		{map[string]string{"ZENDESK_EMAIL": "a@b.co", "ZENDESK_API_TOKEN": "t"}, "", "ZENDESK_SUBDOMAIN"},
		{map[string]string{"ZENDESK_SUBDOMAIN": "acme.zendesk.com", "ZENDESK_EMAIL": "a@b.co", "ZENDESK_API_TOKEN": "t"}, "", "subdomain alone"},
		{map[string]string{"ZENDESK_SUBDOMAIN": "acme"}, "", "ZENDESK_API_TOKEN"},
	}
	for _, tt := range tests {
		e, err := EnvFrom(func(k string) string { return tt.env[k] })
		if tt.err == "" && (err != nil || e.BaseURL != tt.base) {
			t.Errorf("%v: %+v %v", tt.env, e, err)
		}
		if tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)) {
			t.Errorf("%v: err %v, want %q", tt.env, err, tt.err)
		}
	}
}

type httpText string

func (h httpText) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/html")
	w.Write([]byte(h))
}
