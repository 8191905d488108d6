package storagetest

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/accountbot/accountbot/domain"
)

func testApplyAndRead(t *testing.T, s Store) {
	ctx := context.Background()
	a := acct("acme", "Acme Corp", "ana@example.com")
	a.Aliases = []string{"ACME Inc."}
	a.Stakeholders = []domain.Stakeholder{{Name: "Cleo", Executive: true}}
	patch := domain.Patch{ID: "acme", Core: a,
		Usage:   []domain.Snapshot{{Date: day, ActiveUsers: 10, Usage: 1 << 40, Tickets: 2}, {Date: day.AddDays(-7), ActiveUsers: 9}},
		Signals: []domain.Signal{{Date: day, Kind: domain.SignalCompetitor, Note: "Globex"}}}
	st, err := s.Apply(ctx, []domain.Patch{patch})
	if err != nil || st.Created != 1 || st.Snapshots != 2 || st.Signals != 1 {
		t.Fatalf("apply = %+v, %v", st, err)
	}
	// Importing the same data again changes nothing.
	st, err = s.Apply(ctx, []domain.Patch{patch})
	if err != nil || st.Unchanged != 1 || st.Snapshots != 0 || st.Signals != 0 {
		t.Fatalf("re-apply = %+v, %v", st, err)
	}
	got, err := s.Account(ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Usage) != 2 || got.Usage[0].Date != day.AddDays(-7) || got.Usage[1].Usage != 1<<40 || len(got.Signals) != 1 || got.Signals[0].Note != "Globex" || len(got.Stakeholders) != 1 {
		t.Errorf("read back %+v", got)
	}
	// Usage merges by date; a core-less patch keeps the record.
	st, err = s.Apply(ctx, []domain.Patch{{ID: "acme", Usage: []domain.Snapshot{{Date: day, ActiveUsers: 11}, {Date: day.AddDays(-14), ActiveUsers: 8}}}})
	if err != nil || st.Updated != 1 || st.Snapshots != 2 {
		t.Fatalf("merge = %+v %v", st, err)
	}
	got, _ = s.Account(ctx, "acme")
	if len(got.Usage) != 3 || got.Usage[2].ActiveUsers != 11 || got.Name != "Acme Corp" {
		t.Errorf("merged %+v", got.Usage)
	}
	if _, err := s.Account(ctx, "nope"); domain.ErrorCode(err) != domain.ENOTFOUND {
		t.Errorf("missing account err = %v", err)
	}
	if _, err := s.Apply(ctx, []domain.Patch{{ID: "ghost", Usage: []domain.Snapshot{{Date: day}}}}); domain.ErrorCode(err) != domain.ENOTFOUND {
		t.Errorf("patch of unknown account err = %v", err)
	}
}

func testIndexesFollowTheRecord(t *testing.T, s Store) {
	ctx := context.Background()
	a := acct("acme", "Acme", "ana@example.com")
	if _, err := s.Apply(ctx, []domain.Patch{{ID: "acme", Core: a}, {ID: "beta", Core: acct("beta", "Beta", "ana@example.com")}}); err != nil {
		t.Fatal(err)
	}
	b := *a
	b.Owner, b.Name, b.RenewalDate = "bo@example.com", "Acme Renamed", day.AddDays(300)
	if _, err := s.Apply(ctx, []domain.Patch{{ID: "acme", Core: &b}}); err != nil {
		t.Fatal(err)
	}
	if ids, _ := s.IDsByOwner(ctx, "ana@example.com"); len(ids) != 1 || ids[0] != "beta" {
		t.Errorf("old owner still indexed: %v", ids)
	}
	if ids, _ := s.IDsByOwner(ctx, "bo@example.com"); len(ids) != 1 || ids[0] != "acme" {
		t.Errorf("new owner = %v", ids)
	}
	if ids, _ := s.IDsRenewingBetween(ctx, day, day.AddDays(200)); len(ids) != 1 || ids[0] != "beta" {
		t.Errorf("renewals = %v", ids)
	}
	if r, _ := s.Resolve(ctx, "acme"); len(r.IDs) != 1 {
		t.Errorf("id lookup = %+v", r)
	}
	if r, _ := s.Resolve(ctx, "ACME renamed"); len(r.IDs) != 1 || r.IDs[0] != "acme" {
		t.Errorf("new name = %+v", r)
	}
	owners, _ := s.Owners(ctx)
	if len(owners) != 2 || owners[0].Owner != "ana@example.com" || owners[0].Accounts != 1 {
		t.Errorf("owners = %+v", owners)
	}
}

func testResolve(t *testing.T, s Store) {
	ctx := context.Background()
	globex := acct("g1", "Globex", "ana@example.com")
	globex.Aliases = []string{"GBX"}
	var ps []domain.Patch
	for _, a := range []*domain.Account{globex, acct("i1", "Initech", "a@b.co"), acct("i2", "Initrode", "a@b.co"), acct("u1", "Umbrella Corp", "a@b.co")} {
		ps = append(ps, domain.Patch{ID: a.ID, Core: a})
	}
	if _, err := s.Apply(ctx, ps); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		q       string
		ids     []string
		suggest []string
	}{
		{"gbx", []string{"g1"}, nil},
		{"GLOBEX", []string{"g1"}, nil},
		{"umbrella", []string{"u1"}, nil},
		{"init", []string{"i1", "i2"}, nil},
		{"globx", nil, []string{"g1"}},
		{"zzzzzz", nil, nil},
	}
	for _, tt := range tests {
		r, err := s.Resolve(ctx, tt.q)
		if err != nil || fmt.Sprint(r.IDs) != fmt.Sprint(tt.ids) || fmt.Sprint(r.Suggestions) != fmt.Sprint(tt.suggest) {
			t.Errorf("Resolve(%q) = %+v %v; want %v / %v", tt.q, r, err, tt.ids, tt.suggest)
		}
	}
}

func testScoreHistory(t *testing.T, s Store) {
	ctx := context.Background()
	var sc []domain.Scored
	for i := range 5 {
		sc = append(sc, domain.Scored{ID: "acme", Snapshot: domain.ScoreSnapshot{Date: day.AddDays(-7 * i), Combined: i}})
	}
	if err := s.PutScores(ctx, sc); err != nil {
		t.Fatal(err)
	}
	h, err := s.ScoreHistory(ctx, "acme", day.AddDays(-14), day)
	if err != nil || len(h) != 3 || h[0].Date != day.AddDays(-14) || h[2].Combined != 0 {
		t.Errorf("history = %+v %v", h, err)
	}
}

func testForEachConcurrentSeesEveryAccountOnce(t *testing.T, s Store) {
	ctx := context.Background()
	var ps []domain.Patch
	for i := range 300 {
		id := fmt.Sprintf("acc-%03d", i)
		ps = append(ps, domain.Patch{ID: id, Core: acct(id, "Name "+id, "o@example.com"),
			Usage:   []domain.Snapshot{{Date: day, ActiveUsers: i}, {Date: day.AddDays(-7), ActiveUsers: i + 1}},
			Signals: []domain.Signal{{Date: day, Kind: domain.SignalNote, Note: id}}})
	}
	if _, err := s.Apply(ctx, ps); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	seen := map[string]int{}
	workers := map[int]bool{}
	err := s.ForEachConcurrent(ctx, 4, func(w int, a *domain.Account) error {
		mu.Lock()
		defer mu.Unlock()
		seen[a.ID]++
		workers[w] = true
		if len(a.Usage) != 2 || a.Usage[0].Date >= a.Usage[1].Date || a.Usage[0].ActiveUsers != a.Usage[1].ActiveUsers+1 || len(a.Signals) != 1 || a.Signals[0].Note != a.ID {
			t.Errorf("%s loaded wrongly: %+v %+v", a.ID, a.Usage, a.Signals)
		}
		return nil
	})
	if err != nil || len(seen) != 300 {
		t.Fatalf("seen %d, err %v", len(seen), err)
	}
	for id, n := range seen {
		if n != 1 {
			t.Errorf("%s seen %d times", id, n)
		}
	}
	// An error from fn stops the scan and is returned.
	boom := fmt.Errorf("boom")
	if err := s.ForEachConcurrent(ctx, 2, func(int, *domain.Account) error { return boom }); err != boom {
		t.Errorf("err = %v", err)
	}
}

// TestSuggestionsForEveryUnknownName: a name that matches nothing gets up
// to three close names, whether the typo is in a one-word query against a
// longer name or across the whole name.
func testSuggestionsForEveryUnknownName(t *testing.T, s Store) {
	ctx := context.Background()
	names := map[string]string{"gb": "Gringotts Bank", "gh": "Gringotts Holdings", "gv": "Gringotts Ventures", "gt": "Gringotts Trust",
		"sh": "Sterling Health", "g1": "Globex", "hs": "Hooli Systems", "ac": "Acme"}
	var ps []domain.Patch
	for id, n := range names {
		ps = append(ps, domain.Patch{ID: id, Core: acct(id, n, "ana@example.com")})
	}
	if _, err := s.Apply(ctx, ps); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		q    string
		want []string // suggestions that must be there (in any order); nil: none at all
		n    int      // how many suggestions
	}{
		{"gringots", []string{}, 3},          // one letter short of four names: three of them
		{"gringots bank", []string{"gb"}, 1}, // the whole name, one letter short
		{"holdngs", []string{"gh"}, 1},       // a misspelt second word
		{"sterlng", []string{"sh"}, 1},       // a misspelt first word
		{"helth", []string{"sh"}, 1},         // a misspelt last word
		{"globx", []string{"g1"}, 1},         // as before: the whole name
		{"hooly", []string{"hs"}, 1},         // a typo in the first word of two
		{"acne", []string{"ac"}, 1},          // a short name with one typo
		{"zzzzzz", nil, 0},                   // nothing close
		{"bank of nowhere at all", nil, 0},   // sharing a word is not close enough
		{"xyz", nil, 0},                      // short queries must match closely
	}
	for _, tt := range tests {
		r, err := s.Resolve(ctx, tt.q)
		if err != nil || len(r.IDs) != 0 {
			t.Fatalf("Resolve(%q) = %+v, %v; want no match", tt.q, r, err)
		}
		ok := len(r.Suggestions) == tt.n
		for _, id := range tt.want {
			ok = ok && slices.Contains(r.Suggestions, id)
		}
		if !ok {
			t.Errorf("Resolve(%q) suggests %v; want %d including %v", tt.q, r.Suggestions, tt.n, tt.want)
		}
	}
	if r, _ := s.Resolve(ctx, "gringots"); len(r.Suggestions) == 3 {
		for _, id := range r.Suggestions {
			if id[0] != 'g' || id == "g1" {
				t.Errorf("gringots suggests %v", r.Suggestions)
			}
		}
	}
}

func testOwnsAccounts(t *testing.T, s Store) {
	ctx := context.Background()
	withAccount(t, s, "acme", "ana@example.com")
	for email, want := range map[string]bool{
		"ana@example.com":         true,
		"ANA@example.com ":        true,
		"an@example.com":          false, // a prefix of an owner is not an owner
		"ana@example.co":          false,
		"":                        false,
		"ana@example.com\x00acme": false,
	} {
		if got, err := s.OwnsAccounts(ctx, email); err != nil || got != want {
			t.Errorf("OwnsAccounts(%q) = %v, %v; want %v", email, got, err, want)
		}
	}
}
