package ingest

import (
	"context"
	"fmt"
	"github.com/accountbot/accountbot/storage/badger"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/accountbot/accountbot/domain"
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
