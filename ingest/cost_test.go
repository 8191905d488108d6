package ingest

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/accountbot/accountbot/domain"
	"github.com/accountbot/accountbot/storage/badger"
)

// readsAccounts counts the full-account reads (record, usage history and
// signals) the API makes.
type readsAccounts struct {
	*badger.DB
	n *atomic.Int64
}

func (r readsAccounts) Account(ctx context.Context, id string) (*domain.Account, error) {
	r.n.Add(1)
	return r.DB.Account(ctx, id)
}

// Usage, signals and stakeholders only need to know that their account
// exists: reading each record's whole account (52 weeks of usage for a
// demo account) was half of an ingest request's CPU.
func TestRecordsCheckTheirAccountWithoutReadingIt(t *testing.T) {
	var n atomic.Int64
	e := newEnv(t, nil, func(db *badger.DB) Store { return readsAccounts{db, &n} })
	var body strings.Builder
	for i := range 100 {
		fmt.Fprintf(&body, "{\"account_id\":%q,\"date\":\"2026-11-%02d\",\"active_users\":%d,\"usage\":%d}\n", []string{"acme", "hooli"}[i%2], 1+i%20, i, i*10)
	}
	body.WriteString("{\"account_id\":\"nobody\",\"date\":\"2026-11-20\",\"active_users\":1}\n")
	w := e.do("POST", "/api/v1/usage?partial=true", ScopeIngest, body.String(), map[string]string{"Content-Type": "application/x-ndjson"})
	a := decode[Answer](t, w)
	if w.Code != 200 || a.Applied != 100 || a.Rejected != 1 || len(a.Errors) != 1 || a.Errors[0].Index != 100 {
		t.Fatalf("answer %d %+v", w.Code, a)
	}
	if got := n.Load(); got != 0 {
		t.Errorf("%d full account reads for 101 usage records, want 0", got)
	}
}

// looksUp counts the per-account existence look-ups the API makes.
type looksUp struct {
	*badger.DB
	n *atomic.Int64
}

func (l looksUp) HasAccount(ctx context.Context, id string) (bool, error) {
	l.n.Add(1)
	return l.DB.HasAccount(ctx, id)
}

// A good body is checked by the write itself: no look-up per account
// before it. A body naming a missing account is still refused whole (or
// stored but for it with ?partial=true), with every missing account named
// at its record's index.
func TestGoodRecordsAreNotLookedUpBeforeTheWrite(t *testing.T) {
	var n atomic.Int64
	e := newEnv(t, nil, func(db *badger.DB) Store { return looksUp{db, &n} })
	nd := map[string]string{"Content-Type": "application/x-ndjson"}
	good := "{\"account_id\":\"acme\",\"date\":\"2026-11-21\",\"active_users\":3}\n{\"account_id\":\"hooli\",\"date\":\"2026-11-21\",\"active_users\":4}\n"
	if w := e.do("POST", "/api/v1/usage", ScopeIngest, good, nd); w.Code != 200 {
		t.Fatalf("good body: %d %s", w.Code, w.Body)
	}
	if got := n.Load(); got != 0 {
		t.Errorf("%d look-ups for a good body, want 0", got)
	}
	missing := good + "{\"account_id\":\"nobody\",\"date\":\"2026-11-22\",\"active_users\":1}\n{\"account_id\":\"acme\",\"date\":\"2026-11-22\",\"active_users\":9}\n{\"account_id\":\"ghost\",\"date\":\"2026-11-22\",\"active_users\":1}\n"
	w := e.do("POST", "/api/v1/usage", ScopeIngest, missing, nd)
	errs := decode[ErrorBody](t, w).Error.Errors
	if w.Code != 422 || len(errs) != 2 || errs[0].Index != 2 || errs[1].Index != 4 || errs[0].Field != "account_id" {
		t.Fatalf("body with missing accounts: %d %+v", w.Code, errs)
	}
	if s, _ := e.account("acme").SnapshotAt(domain.MustDate("2026-11-22")); s.ActiveUsers == 9 {
		t.Error("a refused body stored acme's record")
	}
	w = e.do("POST", "/api/v1/usage?partial=true", ScopeIngest, missing, nd)
	if a := decode[Answer](t, w); w.Code != 200 || a.Applied != 3 || a.Rejected != 2 {
		t.Fatalf("partial: %d %+v", w.Code, a)
	}
	if s, _ := e.account("acme").SnapshotAt(domain.MustDate("2026-11-22")); s.ActiveUsers != 9 {
		t.Errorf("partial did not store acme's record: %+v", s)
	}
}
