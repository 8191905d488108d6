package badger

import (
	"context"
	"github.com/accountbot/accountbot/storage"
	"testing"
	"time"

	"github.com/dgraph-io/badger/v4"

	"github.com/accountbot/accountbot/domain"
)

func TestPruneAudit(t *testing.T) {
	ctx := context.Background()
	db := openMem(t)
	t0 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range 2500 { // more than one prune batch
		e := domain.AuditEntry{At: t0.Add(time.Duration(i) * time.Hour), Platform: "slack", Email: "ana@example.com", Account: "acme", Kind: domain.AuditCommand, Result: domain.AuditOK}
		if err := db.AppendAudit(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	cut := t0.Add(2000 * time.Hour)
	n, err := db.PruneAudit(ctx, cut)
	if err != nil || n != 2000 {
		t.Fatalf("pruned %d (err %v); want 2000", n, err)
	}
	for _, q := range []storage.AuditQuery{{}, {Who: "ana@example.com"}, {Account: "acme"}} {
		got, err := db.Audit(ctx, q)
		if err != nil || len(got) != 500 || got[0].At.Before(cut) {
			t.Fatalf("after pruning, %+v gives %d records (err %v); want the 500 newest", q, len(got), err)
		}
	}
	// The index entries went with their records.
	left := 0
	for _, p := range [][]byte{prefixAuditWho, prefixAuditAccount} {
		it := db.db.NewTransaction(false)
		iter := it.NewIterator(badgerPrefix(p))
		for iter.Rewind(); iter.Valid(); iter.Next() {
			left++
		}
		iter.Close()
		it.Discard()
	}
	if left != 1000 {
		t.Fatalf("%d index entries left; want 1000", left)
	}
	if n, err := db.PruneAudit(ctx, cut); err != nil || n != 0 {
		t.Fatalf("second prune: %d, %v", n, err)
	}
}

// RunAuditPruning prunes at once, then every interval.
func TestRunAuditPruning(t *testing.T) {
	db := openMem(t)
	now := time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)
	for _, age := range []int{500, 401, 399, 1} {
		e := domain.AuditEntry{At: now.AddDate(0, 0, -age), Platform: "cli", Kind: domain.AuditCommand, Result: domain.AuditOK}
		if err := db.AppendAudit(context.Background(), e); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		db.RunAuditPruning(ctx, time.Hour, 400*24*time.Hour, func() time.Time { return now })
		close(done)
	}()
	deadline := time.Now().Add(5 * time.Second)
	for {
		got, _ := db.Audit(context.Background(), storage.AuditQuery{})
		if len(got) == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d records left; want the 2 within 400 days", len(got))
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	<-done
}

func badgerPrefix(p []byte) badger.IteratorOptions { return badger.IteratorOptions{Prefix: p} }
