package badger_test

import (
	"context"
	"fmt"
	"github.com/accountbot/accountbot/storage/badger"
	"runtime"
	"testing"

	"github.com/accountbot/accountbot/connector"
	"github.com/accountbot/accountbot/domain"
)

func openMem(t testing.TB) *badger.DB {
	t.Helper()
	db, err := badger.Open(context.Background(), "", badger.Options{InMemory: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func extAcct(id string, ext domain.ExternalIDs) domain.Patch {
	return domain.Patch{ID: id, Core: &domain.Account{ID: id, Name: id, Currency: "USD", ARR: 100, ExternalIDs: ext}}
}

// The external-id checks of a write of many accounts see the claims and
// releases made earlier in the same write (external.go's extClaims), as
// well as what was committed before it.
func TestExternalIDClaimsWithinOneWrite(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name    string
		before  []domain.Patch
		write   []domain.Patch
		wantErr bool
		want    map[string]string // crm external id → holder after the write
	}{
		{name: "two accounts claim one id in one write",
			write:   []domain.Patch{extAcct("a", domain.ExternalIDs{"crm": "X"}), extAcct("b", domain.ExternalIDs{"crm": "X"})},
			wantErr: true},
		{name: "an id held before cannot be taken",
			before:  []domain.Patch{extAcct("a", domain.ExternalIDs{"crm": "X"})},
			write:   []domain.Patch{extAcct("c", nil), extAcct("b", domain.ExternalIDs{"crm": "X"})},
			wantErr: true, want: map[string]string{"X": "a"}},
		{name: "released earlier in the write, taken later in it",
			before: []domain.Patch{extAcct("a", domain.ExternalIDs{"crm": "X"})},
			write:  []domain.Patch{extAcct("a", domain.ExternalIDs{"crm": "Y"}), extAcct("b", domain.ExternalIDs{"crm": "X"})},
			want:   map[string]string{"X": "b", "Y": "a"}},
		{name: "taken earlier in the write, released later: the release comes too late",
			before:  []domain.Patch{extAcct("a", domain.ExternalIDs{"crm": "X"})},
			write:   []domain.Patch{extAcct("b", domain.ExternalIDs{"crm": "X"}), extAcct("a", domain.ExternalIDs{"crm": "Y"})},
			wantErr: true, want: map[string]string{"X": "a"}},
		{name: "two accounts swap ids through a third",
			before: []domain.Patch{extAcct("a", domain.ExternalIDs{"crm": "X"}), extAcct("b", domain.ExternalIDs{"crm": "Y"})},
			write: []domain.Patch{extAcct("a", domain.ExternalIDs{"crm": "T"}), extAcct("b", domain.ExternalIDs{"crm": "X"}),
				extAcct("a", domain.ExternalIDs{"crm": "Y"})},
			want: map[string]string{"X": "b", "Y": "a", "T": ""}},
		{name: "an account rewritten with its own new id twice",
			write: []domain.Patch{extAcct("a", domain.ExternalIDs{"crm": "X"}), extAcct("a", domain.ExternalIDs{"crm": "X", "billing": "cus_1"})},
			want:  map[string]string{"X": "a"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db := openMem(t)
			if len(tt.before) > 0 {
				if _, err := db.Apply(ctx, tt.before); err != nil {
					t.Fatal(err)
				}
			}
			_, err := db.Apply(ctx, tt.write)
			if tt.wantErr != (err != nil) {
				t.Fatalf("Apply error = %v, want error %v", err, tt.wantErr)
			}
			if err != nil && domain.ErrorCode(err) != domain.EINVALID {
				t.Errorf("error code = %q (%v), want EINVALID", domain.ErrorCode(err), err)
			}
			for ext, want := range tt.want {
				got, err := db.ResolveAccount(ctx, "crm", ext)
				if want == "" && domain.ErrorCode(err) != domain.ENOTFOUND {
					t.Errorf("crm %s resolves to %q (%v), want nobody", ext, got, err)
				} else if want != "" && got != want {
					t.Errorf("crm %s resolves to %q (%v), want %q", ext, got, err, want)
				}
			}
		})
	}
}

// A CRM page naming one external id for two accounts is refused whole.
func TestCommitPageRefusesOneExternalIDForTwoAccounts(t *testing.T) {
	ctx := context.Background()
	db := openMem(t)
	a := extAcct("hubspot-1", nil).Core
	b := extAcct("other", nil).Core
	err := db.CommitPage(ctx, "hubspot", connector.Commit{
		Accounts: []connector.Linked{{Account: a, ExternalID: "1", Created: true}, {Account: b, ExternalID: "1"}},
		Cursor:   "next",
	})
	if domain.ErrorCode(err) != domain.EINVALID {
		t.Fatalf("CommitPage = %v, want EINVALID", err)
	}
	if _, err := db.Account(ctx, "hubspot-1"); domain.ErrorCode(err) != domain.ENOTFOUND {
		t.Error("half the page was written")
	}
}

// A page's cost grows with its size, not with its size squared: Badger
// sorts all of a transaction's pending writes for each iterator opened in
// it, so an iterator per account (the external-id check) made a page of
// 2,000 accounts allocate 16 times what a page of 500 does, not 4 times.
// Allocation is counted, not time: the machine may be busy.
func TestCommitPageAllocatesLinearly(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 2,500 accounts")
	}
	page := func(db *badger.DB, first, n int) connector.Commit {
		var c connector.Commit
		for i := first; i < first+n; i++ {
			id := fmt.Sprintf("hubspot-%d", i)
			c.Accounts = append(c.Accounts, connector.Linked{Account: extAcct(id, nil).Core, ExternalID: fmt.Sprint(i), Created: true})
		}
		c.Cursor = "next"
		return c
	}
	alloc := func(n int) uint64 {
		db := openMem(t)
		c := page(db, 0, n)
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		if err := db.CommitPage(context.Background(), "hubspot", c); err != nil {
			t.Fatal(err)
		}
		runtime.ReadMemStats(&after)
		return after.TotalAlloc - before.TotalAlloc
	}
	small, large := alloc(500), alloc(2000)
	ratio := float64(large) / float64(small)
	t.Logf("2,000 vs 500 accounts: %.1f times the allocation", ratio)
	if ratio > 8 {
		t.Errorf("a page of 2,000 accounts allocates %.1f times what one of 500 does (%d vs %d bytes): want about 4", ratio, large, small)
	}
}

// Match looks a page's ids up with one iterator, seeking back and forth.
func TestMatchSeeksInAnyOrder(t *testing.T) {
	ctx := context.Background()
	db := openMem(t)
	if _, err := db.Apply(ctx, []domain.Patch{extAcct("a", domain.ExternalIDs{"hubspot": "30"}), extAcct("b", domain.ExternalIDs{"hubspot": "10"}),
		extAcct("c", domain.ExternalIDs{"hubspot": "200"}), extAcct("hubspot-20", nil)}); err != nil {
		t.Fatal(err)
	}
	m, err := db.Match(ctx, "hubspot", []string{"30", "10", "3", "20", "200", "1", "300"})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"30": "a", "10": "b", "200": "c", "20": "hubspot-20"}
	if len(m) != len(want) {
		t.Errorf("matched %d ids, want %d", len(m), len(want))
	}
	for ext, id := range want {
		if m[ext] == nil || m[ext].ID != id {
			t.Errorf("%s matched %v, want %s", ext, m[ext], id)
		}
	}
}

// Match reads a page's ids in key order, stepping over a few index keys
// instead of seeking: every id, near or far from the one before, found or
// not, ids that are prefixes of others, matches as ResolveAccount says.
func TestMatchStepsThroughTheIndex(t *testing.T) {
	ctx := context.Background()
	db := openMem(t)
	var ps []domain.Patch
	for i := 0; i < 400; i += 1 + i%7 { // gaps of 0 to 6 missing ids
		ps = append(ps, extAcct(fmt.Sprintf("acct-%d", i), domain.ExternalIDs{"hubspot": fmt.Sprint(i), "crm": fmt.Sprintf("c%d", i)}))
	}
	ps = append(ps, extAcct("hubspot-401", nil), extAcct("zz", domain.ExternalIDs{"salesforce": "401"}))
	if _, err := db.Apply(ctx, ps); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for i := 0; i < 420; i++ {
		ids = append(ids, fmt.Sprint(i))
	}
	for _, page := range [][]string{ids, ids[:1], ids[395:], {"401", "40", "4", "400"}, {"1", "10", "100", "1000", "11"}, {"x", " 1", ""}} {
		m, err := db.Match(ctx, "hubspot", page)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range page {
			want, err := db.ResolveAccount(ctx, "hubspot", e)
			if domain.ErrorCode(err) == domain.ENOTFOUND {
				want = ""
			}
			if want == "" && e != "" {
				if a, err := db.Account(ctx, "hubspot-"+e); err == nil {
					want = a.ID
				}
			}
			got := ""
			if m[e] != nil {
				got = m[e].ID
			}
			if got != want {
				t.Errorf("Match(%q) = %q; want %q", e, got, want)
			}
		}
	}
}
