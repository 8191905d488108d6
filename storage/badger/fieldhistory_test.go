package badger

import (
	"context"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/accountbot/accountbot/connector"
	"github.com/accountbot/accountbot/domain"
)

// clockAt returns a settable clock starting on d.
func clockAt(d *domain.Date) func() time.Time {
	return func() time.Time { return d.Time().Add(10 * time.Hour) }
}

func adopted(h []domain.FieldState) []int {
	var out []int
	for _, s := range h {
		out = append(out, s.FeaturesAdopted)
	}
	return out
}

// Every apply path records the scored fields with the day they changed,
// once per change: imports (Apply), chat writes (ApplyOnce) and
// connectors (CommitPage); a write that changes nothing records nothing.
func TestFieldHistoryFollowsEveryWritePath(t *testing.T) {
	ctx := context.Background()
	db, _ := openTemp(t)
	now := day
	db.SetClock(clockAt(&now))
	a := acct("acme", "Acme", "ana@example.com")
	apply := func(a *domain.Account) {
		t.Helper()
		if _, err := db.Apply(ctx, []domain.Patch{{ID: a.ID, Core: a}}); err != nil {
			t.Fatal(err)
		}
	}
	apply(a) // created: 5 adopted on day
	now = day.AddDays(1)
	b := *a
	b.Name = "Acme Corp" // not a scored field: no history
	apply(&b)
	now = day.AddDays(2)
	b.FeaturesAdopted = 6
	apply(&b)
	b.FeaturesAdopted = 7 // the same day again: replaces the day's value
	apply(&b)
	now = day.AddDays(5)
	if _, _, err := db.ApplyOnce(ctx, "console|1", []domain.Patch{{ID: "acme", ReplaceStakeholders: true,
		Stakeholders: []domain.Stakeholder{{Name: "Cleo", Champion: true}}}}); err != nil {
		t.Fatal(err)
	}
	now = day.AddDays(9)
	c := b
	c.Stakeholders = []domain.Stakeholder{{Name: "Cleo", Champion: true}}
	c.FeaturesAdopted = 8
	if err := db.CommitPage(ctx, "hubspot", connector.Commit{Accounts: []connector.Linked{{Account: &c, ExternalID: "1"}}}); err != nil {
		t.Fatal(err)
	}
	h, err := db.FieldHistory(ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}
	wantDates := []domain.Date{day, day.AddDays(2), day.AddDays(5), day.AddDays(9)}
	if len(h) != len(wantDates) {
		t.Fatalf("history %+v", h)
	}
	for i, s := range h {
		if s.Date != wantDates[i] {
			t.Errorf("state %d dated %s, want %s", i, s.Date, wantDates[i])
		}
	}
	if got := adopted(h); got[0] != 5 || got[1] != 7 || got[2] != 7 || got[3] != 8 {
		t.Errorf("features adopted over time %v, want [5 7 7 8]", got)
	}
	if len(h[2].Stakeholders) != 1 || len(h[1].Stakeholders) != 0 {
		t.Errorf("stakeholders not dated: %+v", h)
	}
	// The reconstruction sees each day's values and nothing later.
	full, _ := db.Account(ctx, "acme")
	for _, tt := range []struct {
		d    domain.Date
		want int
	}{{day, 5}, {day.AddDays(3), 7}, {day.AddDays(8), 7}, {day.AddDays(30), 8}} {
		got, _, ok := domain.AsOf(full, h, tt.d)
		if !ok || got.FeaturesAdopted != tt.want {
			t.Errorf("as of %s: adopted %d (ok %v), want %d", tt.d, got.FeaturesAdopted, ok, tt.want)
		}
	}
}

func TestPutFieldHistoryAndOutcomes(t *testing.T) {
	ctx := context.Background()
	db, _ := openTemp(t)
	a := acct("acme", "Acme", "ana@example.com")
	past := domain.StateOf(a, day.AddDays(-100))
	if err := db.PutFieldHistory(ctx, map[string][]domain.FieldState{"acme": {past}}); err != nil {
		t.Fatal(err)
	}
	if err := db.PutFieldHistory(ctx, map[string][]domain.FieldState{"acme": {{}}}); domain.ErrorCode(err) != domain.EINVALID {
		t.Errorf("an undated state: %v", err)
	}
	if err := db.PutFieldHistory(ctx, map[string][]domain.FieldState{"a\x00b": {past}}); domain.ErrorCode(err) != domain.EINVALID {
		t.Errorf("a bad id: %v", err)
	}
	outs := []domain.Outcome{{AccountID: "acme", Date: day.AddDays(-3), Result: domain.Lost}, {AccountID: "acme", Date: day.AddDays(-3), Result: domain.Won}}
	if err := db.PutOutcomes(ctx, outs); err != nil {
		t.Fatal(err)
	}
	h, _ := db.FieldHistory(ctx, "acme")
	got, _ := db.Outcomes(ctx, day.AddDays(-10), day)
	if len(h) != 1 || h[0].Date != past.Date || len(got) != 2 {
		t.Errorf("history %+v outcomes %+v", h, got)
	}
}

// ForEachWithHistory hands every account over once with the history
// FieldHistory reads for it (each has today's state, from Apply, and some
// past ones), including ids that are prefixes of others: the merge join
// must not give one's states to the other.
func TestForEachWithHistoryIsFieldHistory(t *testing.T) {
	ctx := context.Background()
	db, _ := openTemp(t)
	past := map[string]int{"ab": 3, "ab-c": 0, "abc": 1, "b": 2}
	ids := []string{"ab", "ab-c", "abc", "b"}
	var patches []domain.Patch
	states := map[string][]domain.FieldState{}
	for i, id := range ids {
		a := acct(id, "Account "+id, "ana@example.com")
		patches = append(patches, domain.Patch{ID: id, Core: a})
		for k := range past[id] {
			s := domain.StateOf(a, day.AddDays(-30*(k+1)))
			s.FeaturesAdopted = 10*i + k
			states[id] = append(states[id], s)
		}
	}
	if _, err := db.Apply(ctx, patches); err != nil {
		t.Fatal(err)
	}
	if err := db.PutFieldHistory(ctx, states); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	got := map[string][]domain.FieldState{}
	err := db.ForEachWithHistory(ctx, 3, func(w int, a *domain.Account, hist []domain.FieldState) error {
		mu.Lock()
		defer mu.Unlock()
		if _, dup := got[a.ID]; dup {
			t.Errorf("%s handed over twice", a.ID)
		}
		got[a.ID] = hist
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range ids {
		want, err := db.FieldHistory(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if h, ok := got[id]; !ok || !reflect.DeepEqual(h, want) {
			t.Errorf("%s: history %+v, want %+v", id, h, want)
		}
	}
	if len(got["ab"]) != 4 || len(got["ab-c"]) != 1 || len(got["abc"]) != 2 {
		t.Errorf("the book is not what the test meant: %v", got)
	}
}
