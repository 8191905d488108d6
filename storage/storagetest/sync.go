package storagetest

import (
	"context"
	"testing"
	"time"

	"github.com/accountbot/accountbot/connector"
	"github.com/accountbot/accountbot/domain"
)

func testSyncCommitPage(t *testing.T, s Store) {
	ctx := context.Background()
	old := acct("acme", "Acme", "old@example.com")
	if _, err := s.Apply(ctx, []domain.Patch{{ID: "acme", Core: old, Usage: []domain.Snapshot{{Date: 20000, ActiveUsers: 5}}}}); err != nil {
		t.Fatal(err)
	}
	if err := s.LinkExternal(ctx, "hubspot", "1001", "acme"); err != nil {
		t.Fatal(err)
	}
	m, err := s.Match(ctx, "hubspot", []string{"1001", "1002"})
	if err != nil || len(m) != 1 || m["1001"].ID != "acme" {
		t.Fatalf("match = %v, %v", m, err)
	}
	next := *m["1001"]
	next.Owner = "new@example.com"
	created := acct("hubspot-1002", "Globex", "ben@example.com")
	err = s.CommitPage(ctx, "hubspot", connector.Commit{
		Accounts:  []connector.Linked{{Account: &next, ExternalID: "1001"}, {Account: created, ExternalID: "1002", Created: true}},
		Marks:     []connector.Mark{{AccountID: "acme", Source: "hubspot", ExternalID: "1001", Kind: "merged", MergedInto: "1003"}},
		Unmatched: []connector.Unmatched{{Source: "hubspot", ExternalID: "1004"}},
		Cursor:    `{"phase":"full","after":"2"}`,
	})
	if err != nil {
		t.Fatal(err)
	}
	a, _ := s.Account(ctx, "acme")
	if a.Owner != "new@example.com" || len(a.Usage) != 1 {
		t.Errorf("acme = %+v: owner overwritten, usage kept", a)
	}
	if ids, _ := s.IDsByOwner(ctx, "new@example.com"); len(ids) != 1 {
		t.Error("the owner index was not moved with the record")
	}
	if ids, _ := s.IDsByOwner(ctx, "old@example.com"); len(ids) != 0 {
		t.Error("the old owner index entry was kept")
	}
	if ext, _ := s.ExternalID(ctx, "hubspot", "hubspot-1002"); ext != "1002" {
		t.Errorf("reverse link = %q", ext)
	}
	cur, _, _ := s.SyncState(ctx, "hubspot")
	marks, _ := s.SyncMarks(ctx)
	unm, _ := s.SyncUnmatched(ctx)
	if cur != `{"phase":"full","after":"2"}` || len(marks) != 1 || len(unm) != 1 {
		t.Errorf("cursor %q marks %v unmatched %v", cur, marks, unm)
	}
	// Seen alive again: the mark goes.
	if err := s.CommitPage(ctx, "hubspot", connector.Commit{Alive: []string{"acme", "hubspot-1002"}, Cursor: cur}); err != nil {
		t.Fatal(err)
	}
	if marks, _ := s.SyncMarks(ctx); len(marks) != 0 {
		t.Errorf("marks after the record was seen again: %v", marks)
	}
	// An invalid account aborts the whole page: nothing of it is applied.
	bad := acct("hubspot-1005", "", "x@example.com")
	if err := s.CommitPage(ctx, "hubspot", connector.Commit{Accounts: []connector.Linked{{Account: acct("hubspot-1006", "Ok", ""), ExternalID: "1006"}, {Account: bad, ExternalID: "1005"}}, Cursor: "later"}); err == nil {
		t.Fatal("want a validation error")
	}
	if cur, _, _ := s.SyncState(ctx, "hubspot"); cur != `{"phase":"full","after":"2"}` {
		t.Errorf("cursor moved on a failed page: %q", cur)
	}
	if _, err := s.Account(ctx, "hubspot-1006"); domain.ErrorCode(err) != domain.ENOTFOUND {
		t.Error("half a page was applied")
	}
}

func testOutbox(t *testing.T, s Store) {
	ctx := context.Background()
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	w := connector.Write{ID: "note:acme:1", Source: "hubspot", Kind: connector.WriteNote, AccountID: "acme", ExternalID: "1001", Body: "hi", At: now}
	s.Enqueue(ctx, w)
	s.Enqueue(ctx, w)
	due, err := s.Due(ctx, "hubspot", now, 10)
	if err != nil || len(due) != 1 {
		t.Fatalf("due = %v, %v", due, err)
	}
	w.Attempts, w.LastError, w.NextAttempt = 1, "HubSpot answered 502", now.Add(time.Minute)
	s.Reschedule(ctx, w)
	if due, _ := s.Due(ctx, "hubspot", now, 10); len(due) != 0 {
		t.Error("a rescheduled write is due early")
	}
	if p, f, last, _ := s.Pending(ctx, "hubspot"); p != 1 || f != 0 || last != "HubSpot answered 502" {
		t.Errorf("pending %d failed %d last %q", p, f, last)
	}
	s.Delivered(ctx, w, "9001")
	s.Enqueue(ctx, w) // a replay after delivery is ignored
	if p, _, _, _ := s.Pending(ctx, "hubspot"); p != 0 {
		t.Error("a delivered note was queued again")
	}
	props := connector.Write{ID: "props:acme", Source: "hubspot", Kind: connector.WriteProperties, AccountID: "acme", Properties: map[string]string{"h": "40"}}
	s.Enqueue(ctx, props)
	s.Delivered(ctx, props, "")
	if got, _ := s.Written(ctx, "hubspot", "acme"); got["h"] != "40" {
		t.Errorf("written = %v", got)
	}
}

// The CRM sync and ingest match on the same ids: an account imported with
// an external id is what the sync matches, a sync-written account is what
// ingest resolves, and both put unmatched records on one review list.
func testSyncSharesExternalIDs(t *testing.T, s Store) {
	ctx := context.Background()
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	imported := acct("acme", "Acme", "ann@example.com")
	imported.ExternalIDs = domain.ExternalIDs{"hubspot": "1001", "segment": "grp_1"}
	if _, err := s.Apply(ctx, []domain.Patch{{ID: "acme", Core: imported}}); err != nil {
		t.Fatal(err)
	}
	m, err := s.Match(ctx, "hubspot", []string{"1001"})
	if err != nil || m["1001"] == nil || m["1001"].ID != "acme" {
		t.Fatalf("an imported external id is not matched: %v, %v", m, err)
	}
	// Ingest had the CRM record on the review list; the sync's write clears it.
	if err := s.AddUnmatched(ctx, domain.UnmatchedRecord{Source: "hubspot", ExternalID: "1002", Kind: "group"}, now); err != nil {
		t.Fatal(err)
	}
	created := acct("hubspot-1002", "Globex", "ben@example.com")
	err = s.CommitPage(ctx, "hubspot", connector.Commit{
		Accounts:  []connector.Linked{{Account: created, ExternalID: "1002", Created: true}},
		Unmatched: []connector.Unmatched{{Source: "hubspot", ExternalID: "1004", Sample: "Initech"}},
		Cursor:    "c1",
	})
	if err != nil {
		t.Fatal(err)
	}
	if created.ExternalIDs != nil {
		t.Error("CommitPage changed the caller's account")
	}
	if id, err := s.ResolveAccount(ctx, "hubspot", "1002"); err != nil || id != "hubspot-1002" {
		t.Errorf("ingest resolves the synced id to %q, %v", id, err)
	}
	a, _ := s.Account(ctx, "hubspot-1002")
	if a.ExternalIDs["hubspot"] != "1002" {
		t.Errorf("the synced account's external ids = %v", a.ExternalIDs)
	}
	if ext, _ := s.ExternalID(ctx, "hubspot", "acme"); ext != "1001" {
		t.Errorf("write-back id of an imported account = %q", ext)
	}
	all, _ := s.Unmatched(ctx)
	if len(all) != 1 || all[0].ExternalID != "1004" || all[0].Source != "hubspot" || all[0].Sample != "Initech" {
		t.Errorf("review list = %+v: one list, the synced record cleared", all)
	}
	// A later import that gives an account the id takes it off the list.
	imported.ExternalIDs = domain.ExternalIDs{"hubspot": "1004"}
	imported.ID = "initech"
	if _, err := s.Apply(ctx, []domain.Patch{{ID: "initech", Core: imported}}); err != nil {
		t.Fatal(err)
	}
	if all, _ := s.Unmatched(ctx); len(all) != 0 {
		t.Errorf("review list after the import = %+v", all)
	}
	if m, _ := s.Match(ctx, "hubspot", []string{"1004"}); m["1004"] == nil || m["1004"].ID != "initech" {
		t.Errorf("match after the import = %v", m)
	}
}
