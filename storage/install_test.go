package storage

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/accountbot/accountbot/domain"
)

func TestLearnInstallationFirstWins(t *testing.T) {
	ctx := context.Background()
	db := openMem(t)
	if _, found, err := db.Installation(ctx, "slack"); err != nil || found {
		t.Fatalf("fresh store: found %v err %v", found, err)
	}
	at := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	home := domain.Installation{Platform: "slack", Workspace: "T1HOME", AppID: "A1", LearnedAt: at}
	got, learned, err := db.LearnInstallation(ctx, home)
	if err != nil || !learned || got != home {
		t.Fatalf("first: %+v learned %v err %v", got, learned, err)
	}
	got, learned, err = db.LearnInstallation(ctx, domain.Installation{Platform: "slack", Workspace: "T2EVIL", LearnedAt: at})
	if err != nil || learned || got != home {
		t.Fatalf("second workspace: %+v learned %v err %v; want the first kept", got, learned, err)
	}
	// Platforms are independent.
	if _, learned, _ := db.LearnInstallation(ctx, domain.Installation{Platform: "teams", Workspace: "tenant-1"}); !learned {
		t.Fatal("teams not learned alongside slack")
	}
	if err := db.ForgetInstallation(ctx, "slack"); err != nil {
		t.Fatal(err)
	}
	if _, found, _ := db.Installation(ctx, "slack"); found {
		t.Fatal("installation still there after Forget")
	}
	if _, _, err := db.LearnInstallation(ctx, domain.Installation{Platform: "slack"}); err == nil {
		t.Fatal("learned an installation without a workspace")
	}
}

func TestLearnInstallationConcurrent(t *testing.T) {
	ctx := context.Background()
	db := openMem(t)
	var wg sync.WaitGroup
	results := make([]domain.Installation, 12)
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got, _, err := db.LearnInstallation(ctx, domain.Installation{Platform: "teams", Workspace: string(rune('a' + i))})
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
