package connector_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/accountbot/accountbot/connector"
	"github.com/accountbot/accountbot/connector/connectortest"
	"github.com/accountbot/accountbot/domain"
)

var now = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

// pages is a Source serving fixed pages; the cursor is the page index.
type pages struct {
	p     [][]connector.Record
	fail  int // Fetch of this page index fails (-1: never)
	begun []connector.Cursor
}

func (s *pages) Name() string { return "crm" }
func (s *pages) Begin(prev connector.Cursor, full bool, _ time.Time) connector.Cursor {
	s.begun = append(s.begun, prev)
	if full || prev == "" || prev == "done" {
		return "0"
	}
	return prev
}
func (s *pages) Fetch(ctx context.Context, cur connector.Cursor) (connector.Page, error) {
	i := int(cur[0] - '0')
	if i == s.fail {
		return connector.Page{}, errors.New("the CRM is down")
	}
	next := connector.Cursor(string(rune('0' + i + 1)))
	if i+1 == len(s.p) {
		next = "done"
	}
	return connector.Page{Records: s.p[i], Next: next, Done: i+1 == len(s.p)}, nil
}

func acme(name, owner string) connector.Record {
	return connector.Record{ExternalID: "1", Fields: connector.Fields{Has: connector.FieldName | connector.FieldOwner | connector.FieldARR,
		Name: name, Owner: owner, ARR: 100_00, Currency: "usd"}}
}

func TestMergeOwnership(t *testing.T) {
	stored := &domain.Account{ID: "acme", Name: "Acme", Owner: "old@example.com", ARR: 5, Currency: "USD", Plan: "gold",
		Stakeholders: []domain.Stakeholder{{Name: "Carla Diaz", Role: "CFO", Champion: true}, {Name: "Met In Chat"}}}
	for _, tc := range []struct {
		name    string
		rec     connector.Record
		check   func(t *testing.T, a *domain.Account)
		changed int
	}{
		{"crm fields overwritten, others kept", acme("Acme Inc", "New@Example.com"), func(t *testing.T, a *domain.Account) {
			if a.Name != "Acme Inc" || a.Owner != "new@example.com" || a.ARR != 100_00 || a.Plan != "gold" {
				t.Errorf("%+v", a)
			}
		}, 1},
		{"same values change nothing", connector.Record{ExternalID: "1", Fields: connector.Fields{Has: connector.FieldName, Name: "Acme"}}, nil, 0},
		{"stakeholders merged by name", connector.Record{ExternalID: "1", Fields: connector.Fields{Has: connector.FieldStakeholders,
			Stakeholders: []domain.Stakeholder{{Name: "carla diaz", Role: "Chief Financial Officer", Function: domain.FunctionFinance}, {Name: "New Person", Role: "CTO"}}}},
			func(t *testing.T, a *domain.Account) {
				if len(a.Stakeholders) != 3 || !a.Stakeholders[0].Champion || a.Stakeholders[0].Role != "Chief Financial Officer" || a.Stakeholders[1].Name != "Met In Chat" {
					t.Errorf("%+v", a.Stakeholders)
				}
			}, 1},
		{"invalid result refused", connector.Record{ExternalID: "1", Fields: connector.Fields{Has: connector.FieldOwner, Owner: "not-an-email"}}, nil, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := connectortest.New()
			a := *stored
			a.Stakeholders = append([]domain.Stakeholder(nil), stored.Stakeholders...)
			st.Accounts["acme"] = &a
			st.Link("crm", "1", "acme")
			r := &connector.Runner{Store: st, Now: func() time.Time { return now }}
			rep, err := r.Run(context.Background(), &pages{p: [][]connector.Record{{tc.rec}}, fail: -1}, connector.Options{})
			if err != nil {
				t.Fatal(err)
			}
			if rep.Status.Changed != tc.changed {
				t.Errorf("changed = %d, want %d (%+v)", rep.Status.Changed, tc.changed, rep.Changes)
			}
			if tc.check != nil {
				tc.check(t, st.Accounts["acme"])
			}
			if strings.HasPrefix(tc.name, "invalid") && (rep.Status.Refused != 1 || !strings.Contains(rep.Status.Refusals[0], "owner: must be the CSM's e-mail")) {
				t.Errorf("refusals = %v", rep.Status.Refusals)
			}
		})
	}
}

func TestFetchErrorKeepsCursorAndResumes(t *testing.T) {
	st := connectortest.New()
	src := &pages{p: [][]connector.Record{{acme("A", "")}, {{ExternalID: "2", Fields: connector.Fields{Has: connector.FieldName, Name: "B"}}}}, fail: 1}
	r := &connector.Runner{Store: st, Now: func() time.Time { return now }}
	opt := connector.Options{Create: true, DefaultCurrency: "USD", Every: 15 * time.Minute}
	if _, err := r.Run(context.Background(), src, opt); err == nil {
		t.Fatal("want the fetch error")
	}
	s := st.Statuses["crm"]
	if st.Cursors["crm"] != "1" || s.LastError != "the CRM is down" || !s.NextRun.Equal(now.Add(15*time.Minute)) || len(st.Accounts) != 1 {
		t.Fatalf("cursor %q status %+v", st.Cursors["crm"], s)
	}
	src.fail = -1
	if _, err := r.Run(context.Background(), src, opt); err != nil {
		t.Fatal(err)
	}
	if src.begun[1] != "1" || len(st.Accounts) != 2 || st.Statuses["crm"].LastError != "" || st.Cursors["crm"] != "done" {
		t.Errorf("resume: begun %v accounts %d status %+v", src.begun, len(st.Accounts), st.Statuses["crm"])
	}
}

func TestBackoff(t *testing.T) {
	for n, want := range map[int]time.Duration{1: 30 * time.Second, 2: time.Minute, 5: 8 * time.Minute, 8: time.Hour, 20: time.Hour} {
		if got := connector.Backoff(n); got != want {
			t.Errorf("Backoff(%d) = %s, want %s", n, got, want)
		}
	}
}

// Every change is counted and applied; only the first MaxChanges are
// listed, in words (the others are never put in words).
func TestChangesBeyondTheListAreCounted(t *testing.T) {
	var recs []connector.Record
	for i := range 5 {
		recs = append(recs, connector.Record{ExternalID: string(rune('a' + i)), Fields: connector.Fields{Has: connector.FieldName | connector.FieldARR | connector.FieldRenewal,
			Name: "Co " + string(rune('A'+i)), ARR: 1200_00, Currency: "eur", RenewalDate: domain.MustDate("2027-01-31")}})
	}
	st := connectortest.New()
	r := &connector.Runner{Store: st, Now: func() time.Time { return now }}
	rep, err := r.Run(context.Background(), &pages{p: [][]connector.Record{recs[:3], recs[3:]}, fail: -1}, connector.Options{Create: true, DefaultCurrency: "USD", MaxChanges: 2})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Status.Changed != 5 || rep.Status.Created != 5 || len(rep.Changes) != 2 || rep.More != 3 || len(st.Accounts) != 5 {
		t.Fatalf("status %+v, %d changes listed, %d more, %d accounts", rep.Status, len(rep.Changes), rep.More, len(st.Accounts))
	}
	want := []string{"new account crm-a", `name: "" → "Co A"`, "arr: $0 → €1,200", "renewal_date: none → 2027-01-31"}
	if got := rep.Changes[0].Details; strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("details = %q; want %q", got, want)
	}
	if a := st.Accounts["crm-e"]; a == nil || a.ARR != 1200_00 || a.Currency != "EUR" || a.RenewalDate != domain.MustDate("2027-01-31") {
		t.Errorf("unlisted change not applied: %+v", a)
	}
}
