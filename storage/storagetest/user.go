package storagetest

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/accountbot/accountbot/domain"
	"github.com/accountbot/accountbot/storage"
)

func testAuditAppendAndQuery(t *testing.T, s Store) {
	ctx := context.Background()
	t0 := time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)
	recs := []domain.AuditEntry{
		{At: t0, Platform: "slack", Workspace: "T1", UserID: "U1", Email: "Ana@Example.com", Kind: domain.AuditCommand, Verb: "account health", Account: "acme", Result: domain.AuditOK},
		{At: t0.Add(time.Hour), Platform: "slack", Workspace: "T1", UserID: "U2", Email: "ben@example.com", Kind: domain.AuditWrite, Verb: "account outcome", Account: "acme",
			Args: []domain.AuditArg{{Name: "result", Value: "lost"}, {Name: "note", Value: strings.Repeat("n", 900)}}, Result: domain.AuditRefused, Reason: "needs manager"},
		{At: t0.Add(2 * time.Hour), Platform: "teams", Workspace: "tenant-evil", UserID: "29:x", Kind: domain.AuditSource, Result: domain.AuditRefused, Reason: "foreign tenant"},
		{At: t0.Add(3 * time.Hour), Platform: "slack", Workspace: "T1", UserID: "U1", Email: "ana@example.com", Kind: domain.AuditCommand, Verb: "portfolio top", Result: domain.AuditOK},
		{At: t0.Add(3 * time.Hour), Platform: "slack", Workspace: "T1", UserID: "U1", Email: "ana@example.com", Kind: domain.AuditButton, Verb: "snooze", Account: "globex", Result: domain.AuditOK},
	}
	for _, r := range recs {
		if err := s.AppendAudit(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	verbs := func(es []domain.AuditEntry) string {
		var v []string
		for _, e := range es {
			v = append(v, string(e.Kind)+":"+e.Verb)
		}
		return strings.Join(v, ",")
	}
	tests := []struct {
		name string
		q    storage.AuditQuery
		want string
	}{
		{"everything, oldest first", storage.AuditQuery{}, "command:account health,write:account outcome,source:,command:portfolio top,button:snooze"},
		{"since", storage.AuditQuery{Since: t0.Add(2 * time.Hour)}, "source:,command:portfolio top,button:snooze"},
		{"until is exclusive", storage.AuditQuery{Until: t0.Add(time.Hour)}, "command:account health"},
		{"who by e-mail, any case", storage.AuditQuery{Who: "ANA@example.com"}, "command:account health,command:portfolio top,button:snooze"},
		{"who by platform user id", storage.AuditQuery{Who: "U2"}, "write:account outcome"},
		{"account", storage.AuditQuery{Account: "acme"}, "command:account health,write:account outcome"},
		{"who and account", storage.AuditQuery{Who: "ana@example.com", Account: "globex"}, "button:snooze"},
		{"limit keeps the most recent", storage.AuditQuery{Limit: 2}, "command:portfolio top,button:snooze"},
		{"nobody", storage.AuditQuery{Who: "zed@example.com"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.Audit(ctx, tt.q)
			if err != nil {
				t.Fatal(err)
			}
			if verbs(got) != tt.want {
				t.Fatalf("got %s; want %s", verbs(got), tt.want)
			}
		})
	}
	all, _ := s.Audit(ctx, storage.AuditQuery{Who: "ben@example.com"})
	if len(all) != 1 || len([]rune(all[0].Args[1].Value)) != domain.AuditTextMax+1 || all[0].Email != "ben@example.com" {
		t.Fatalf("free text not truncated on write: %+v", all)
	}
}

func testLearnInstallationFirstWins(t *testing.T, s Store) {
	ctx := context.Background()
	if _, found, err := s.Installation(ctx, "slack"); err != nil || found {
		t.Fatalf("fresh store: found %v err %v", found, err)
	}
	at := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	home := domain.Installation{Platform: "slack", Workspace: "T1HOME", AppID: "A1", LearnedAt: at}
	got, learned, err := s.LearnInstallation(ctx, home)
	if err != nil || !learned || got != home {
		t.Fatalf("first: %+v learned %v err %v", got, learned, err)
	}
	got, learned, err = s.LearnInstallation(ctx, domain.Installation{Platform: "slack", Workspace: "T2EVIL", LearnedAt: at})
	if err != nil || learned || got != home {
		t.Fatalf("second workspace: %+v learned %v err %v; want the first kept", got, learned, err)
	}
	// Platforms are independent.
	if _, learned, _ := s.LearnInstallation(ctx, domain.Installation{Platform: "teams", Workspace: "tenant-1"}); !learned {
		t.Fatal("teams not learned alongside slack")
	}
	if err := s.ForgetInstallation(ctx, "slack"); err != nil {
		t.Fatal(err)
	}
	if _, found, _ := s.Installation(ctx, "slack"); found {
		t.Fatal("installation still there after Forget")
	}
	if _, _, err := s.LearnInstallation(ctx, domain.Installation{Platform: "slack"}); err == nil {
		t.Fatal("learned an installation without a workspace")
	}
}

func testLearnInstallationConcurrent(t *testing.T, s Store) {
	ctx := context.Background()
	var wg sync.WaitGroup
	results := make([]domain.Installation, 12)
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got, _, err := s.LearnInstallation(ctx, domain.Installation{Platform: "teams", Workspace: string(rune('a' + i))})
			if err != nil {
				t.Error(err)
			}
			results[i] = got
		}()
	}
	wg.Wait()
	for _, r := range results {
		if r != results[0] {
			t.Fatalf("concurrent first requests learned different tenants: %+v vs %+v", r, results[0])
		}
	}
}

func testEventSeenDoesNotRecord(t *testing.T, s Store) {
	ctx := context.Background()
	if seen, err := s.EventSeen(ctx, "stripe", "evt_1"); err != nil || seen {
		t.Fatalf("unknown event seen=%v err=%v", seen, err)
	}
	if seen, _ := s.EventSeen(ctx, "stripe", "evt_1"); seen {
		t.Fatal("EventSeen recorded the id")
	}
	if first, err := s.FirstSeen(ctx, "stripe", "evt_1", time.Hour); err != nil || !first {
		t.Fatalf("FirstSeen first=%v err=%v", first, err)
	}
	if seen, _ := s.EventSeen(ctx, "stripe", "evt_1"); !seen {
		t.Error("recorded event not seen")
	}
	if seen, _ := s.EventSeen(ctx, "slack", "evt_1"); seen {
		t.Error("another platform's id space")
	}
}
