package badger

import (
	"context"
	"strconv"
	"testing"

	"github.com/accountbot/accountbot/domain"
)

// The known set only ever vouches for stored accounts: what an Apply or a
// scan saw, and nothing a rollback may have taken away since.
func TestKnownAccountsFollowWritesScansAndRollbacks(t *testing.T) {
	ctx := context.Background()
	db, _, _ := reopenedBook(t, 100, Options{memTableSize: 1 << 20})
	defer db.Close()
	if db.known.has("j-0001") {
		t.Fatal("a freshly opened store vouches for an account it has not read")
	}
	if err := db.ForEach(ctx, func(*domain.Account) error { return nil }); err != nil {
		t.Fatal(err)
	}
	if !db.known.has("j-0001") || !db.known.has("j-0099") {
		t.Error("a whole-book scan did not make its accounts known")
	}

	// A reader that saw a new account in a snapshot taken while a big
	// Apply had committed part of its batches, and adds it after the
	// Apply failed and rolled back.
	gen := db.known.generation()
	ps := bigBook("j", 600)
	ps[599].Core.Currency = "not money" // found after batches committed
	if _, err := db.Apply(ctx, ps); domain.ErrorCode(err) != domain.EINVALID {
		t.Fatalf("apply = %v", err)
	}
	db.known.add(gen, "j-0300")
	if db.known.has("j-0300") || db.known.has("j-0001") {
		t.Error("the set kept ids across a rollback")
	}
	if ok, err := db.HasAccount(ctx, "j-0300"); ok || err != nil {
		t.Errorf("HasAccount(rolled back) = %v, %v", ok, err)
	}
	usage := domain.Patch{ID: "j-0300", Usage: []domain.Snapshot{{Date: day, ActiveUsers: 3}}}
	if _, err := db.Apply(ctx, []domain.Patch{usage}); domain.ErrorCode(err) != domain.ENOTFOUND {
		t.Fatalf("usage of a rolled-back account: %v, want ENOTFOUND", err)
	}

	// A successful Apply makes its accounts known; HasAccount reads once.
	if _, err := db.Apply(ctx, []domain.Patch{{ID: "j-0001", Usage: []domain.Snapshot{{Date: day, ActiveUsers: 5}}}}); err != nil {
		t.Fatal(err)
	}
	if !db.known.has("j-0001") {
		t.Error("an applied account is not known")
	}
	if ok, err := db.HasAccount(ctx, "j-0002"); !ok || err != nil || !db.known.has("j-0002") {
		t.Errorf("HasAccount(j-0002) = %v, %v; known %v", ok, err, db.known.has("j-0002"))
	}
	if ok, _ := db.HasAccount(ctx, "ghost"); ok || db.known.has("ghost") {
		t.Error("an unknown id became known")
	}
}

func TestKnownAccountsStopAtTheirCap(t *testing.T) {
	var k knownAccounts
	ids := make([]string, knownCap+10)
	for i := range ids {
		ids[i] = strconv.Itoa(i)
	}
	k.add(k.generation(), ids...)
	if n := len(k.ids); n > knownCap {
		t.Errorf("%d ids kept, cap %d", n, knownCap)
	}
}
