package badger

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/accountbot/accountbot/domain"
)

func TestStoredEvaluationsAndTheirIndexes(t *testing.T) {
	ctx := context.Background()
	db := openMem(t)
	rec := func(id, owner string, impact int64) domain.EvalRecord {
		return domain.EvalRecord{ID: id, Owner: owner, Date: domain.MustDate("2026-11-23"), Impact: impact, Priority: domain.PriorityMedium}
	}
	ranked := func(owner string, book bool) []string {
		var ids []string
		if err := db.Ranked(ctx, owner, book, func(id string) bool { ids = append(ids, id); return true }); err != nil {
			t.Fatal(err)
		}
		return ids
	}
	err := db.PutEvaluations(ctx, []domain.EvalRecord{rec("a", "ana@example.com", 10), rec("b", "ana@example.com", 30),
		rec("c", "bo@example.com", 20), rec("d", "", 5)})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		owner string
		book  bool
		want  []string
	}{
		{"ana@example.com", false, []string{"b", "a"}},
		{"bo@example.com", false, []string{"c"}},
		{"", false, []string{"d"}},
		{"", true, []string{"b", "c", "a", "d"}},
	}
	check := func(when string) {
		t.Helper()
		for _, tc := range tests {
			if got := ranked(tc.owner, tc.book); !slices.Equal(got, tc.want) {
				t.Errorf("%s: Ranked(%q, %v) = %v, want %v", when, tc.owner, tc.book, got, tc.want)
			}
		}
	}
	check("written")
	// A rewrite moves the index entries: a to bo with the top impact; b deleted.
	if err := db.PutEvaluations(ctx, []domain.EvalRecord{rec("a", "bo@example.com", 99)}); err != nil {
		t.Fatal(err)
	}
	if err := db.DeleteEvaluation(ctx, "b"); err != nil {
		t.Fatal(err)
	}
	tests[0].want, tests[1].want, tests[3].want = nil, []string{"a", "c"}, []string{"a", "c", "d"}
	check("rewritten")
	owners, err := db.EvaluationOwners(ctx)
	if want := []domain.OwnerCount{{Owner: "", Accounts: 1}, {Owner: "bo@example.com", Accounts: 2}}; err != nil || !slices.Equal(owners, want) {
		t.Errorf("EvaluationOwners = %v, %v; want %v", owners, err, want)
	}
	// Stop early.
	var first []string
	db.Ranked(ctx, "", true, func(id string) bool { first = append(first, id); return false })
	if !slices.Equal(first, []string{"a"}) {
		t.Errorf("stopped early: %v", first)
	}
	// An owner with a separator or a hidden character is refused, nothing written.
	if err := db.PutEvaluations(ctx, []domain.EvalRecord{rec("e", "x\x00y", 1)}); domain.ErrorCode(err) != domain.EINVALID {
		t.Errorf("owner with NUL: %v", err)
	}
	if _, found, _ := db.Evaluation(ctx, "e"); found {
		t.Error("a refused record was stored")
	}
}

func TestWatchAccountsReportsEveryWriter(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	db := openMem(t)
	got := make(chan []string, 16)
	done := make(chan error, 1)
	live := make(chan struct{})
	go func() { done <- db.WatchAccounts(ctx, func(ids []string) { got <- ids }, func() { close(live) }) }()
	// Ready means live: the first write right after it is reported (the
	// evaluator's start-up check relies on it; a sleep here used to guess).
	select {
	case <-live:
	case <-time.After(5 * time.Second):
		t.Fatal("the watch never said it was live")
	}
	// Each write is awaited before the next: the change feed may hand two
	// quick writes over in one batch, which is still one report per write.
	reported := func(what string) {
		t.Helper()
		select {
		case ids := <-got:
			if !slices.Equal(ids, []string{"acme"}) {
				t.Errorf("%s: reported %v, want [acme]", what, ids)
			}
		case <-time.After(2 * time.Second):
			t.Fatalf("%s was not reported", what)
		}
	}
	d := domain.MustDate("2026-11-23")
	if _, err := db.Apply(ctx, []domain.Patch{{ID: "acme", Core: &domain.Account{ID: "acme", Name: "Acme", ARR: 100, Currency: "USD"},
		Usage: []domain.Snapshot{{Date: d, Usage: 5}}}}); err != nil {
		t.Fatal(err)
	}
	reported("an import with usage")
	if _, err := db.Apply(ctx, []domain.Patch{{ID: "acme", Signals: []domain.Signal{{Date: d, Kind: domain.SignalCompetitor, Note: "x"}}}}); err != nil {
		t.Fatal(err)
	}
	reported("a signal")
	// The evaluator's own writes are not reported back.
	if err := db.PutEvaluations(ctx, []domain.EvalRecord{{ID: "acme"}}); err != nil {
		t.Fatal(err)
	}
	select {
	case ids := <-got:
		t.Errorf("reported %v after the evaluator's own write", ids)
	case <-time.After(100 * time.Millisecond):
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("WatchAccounts after cancel = %v", err)
	}
}

func TestWatchedID(t *testing.T) {
	tests := []struct {
		key  string
		id   string
		want bool
	}{
		{"a/acme", "acme", true},
		{"u/acme\x00\x00\x00\x01\x02", "acme", true},
		{"s/acme.eu\x00\x00\x00\x01\x02hashhash", "acme.eu", true},
		{"u/\x00\x00", "", false},
		{"ev/acme", "", false},
		{"io/ana@example.com\x00acme", "", false},
	}
	for _, tc := range tests {
		if id, ok := watchedID([]byte(tc.key)); id != tc.id || ok != tc.want {
			t.Errorf("watchedID(%q) = %q, %v", tc.key, id, ok)
		}
	}
}
