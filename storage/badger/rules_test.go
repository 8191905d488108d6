package badger

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/accountbot/accountbot/domain"
)

func TestRulesVersionsNumberDiffAndOrder(t *testing.T) {
	ctx := context.Background()
	db := openMem(t)
	if _, found, err := db.LatestRules(ctx); err != nil || found {
		t.Fatalf("empty store: found=%v err=%v", found, err)
	}
	at := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	v1cfg := domain.DefaultConfig()
	v1cfg.Access.Admins = []string{"eve@example.com"} // not versioned: never stored
	v1, err := db.AddRulesVersion(ctx, domain.RulesVersion{By: "config file", At: at, Rules: v1cfg}, &v1cfg)
	if err != nil || v1.Version != 1 || v1.Changes != nil {
		t.Fatalf("v1 = %+v, %v", v1, err)
	}
	v2cfg := domain.DefaultConfig()
	v2cfg.Health.WhitespacePoints = 15
	v2, err := db.AddRulesVersion(ctx, domain.RulesVersion{By: "ana", At: at.Add(time.Hour), Note: "more whitespace", Rules: v2cfg}, nil)
	if err != nil || v2.Version != 2 || len(v2.Changes) != 1 || v2.Changes[0].Key != "health.whitespace_points" {
		t.Fatalf("v2 = %+v, %v", v2, err)
	}
	// A rollback is a new version equal to the old one.
	back, err := db.AddRulesVersion(ctx, domain.RulesVersion{By: "ana", At: at.Add(2 * time.Hour), Note: "undo", RestoredFrom: 1, Rules: v1.Rules}, nil)
	if err != nil || back.Version != 3 || len(back.Changes) != 1 || back.Changes[0].New != "10" {
		t.Fatalf("rollback = %+v, %v", back, err)
	}
	all, err := db.RulesVersions(ctx)
	if err != nil || len(all) != 3 {
		t.Fatalf("history = %d, %v", len(all), err)
	}
	for i, v := range all {
		if v.Version != i+1 {
			t.Errorf("history[%d] is v%d", i, v.Version)
		}
	}
	if all[0].Rules.Access.Admins != nil {
		t.Errorf("access stored: %v", all[0].Rules.Access)
	}
	if cur, found, _ := db.LatestRules(ctx); !found || cur.Version != 3 || cur.RestoredFrom != 1 || cur.Note != "undo" {
		t.Errorf("latest = %+v", cur)
	}
	if got, err := db.RulesVersion(ctx, 2); err != nil || got.Rules.Health.WhitespacePoints != 15 || !got.At.Equal(at.Add(time.Hour)) {
		t.Errorf("v2 read back = %+v, %v", got.Rules.Health.WhitespacePoints, err)
	}
	if _, err := db.RulesVersion(ctx, 9); domain.ErrorCode(err) != domain.ENOTFOUND {
		t.Errorf("v9: %v", err)
	}
	if f, found, _ := db.RulesFile(ctx); !found || f.Access.Admins != nil || diffCount(v1cfg, f) != 0 {
		t.Errorf("file rules as seen: %v %+v", found, f.Access)
	}
}

// diffCount counts the rule keys that differ.
func diffCount(a, b domain.Config) int { return len(domain.DiffRules(a, b)) }

// Two applies at once get two numbers, never one version overwritten.
func TestRulesVersionsConcurrentApplies(t *testing.T) {
	ctx := context.Background()
	db := openMem(t)
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Go(func() {
			c := domain.DefaultConfig()
			c.Health.BudgetPoints = i + 1
			if _, err := db.AddRulesVersion(ctx, domain.RulesVersion{By: fmt.Sprint(i), Rules: c}, nil); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	all, _ := db.RulesVersions(ctx)
	if len(all) != 4 || all[3].Version != 4 {
		t.Errorf("versions: %d", len(all))
	}
}
