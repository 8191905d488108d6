package badger

import (
	"context"
	"slices"
	"testing"

	"github.com/accountbot/accountbot/domain"
)

// A cached evaluation is returned only while it is the stored one: every
// rewrite, a rewrite to the same values, a delete and a re-creation are
// read back as stored, and a caller changing what it was given changes
// nothing for the next reader.
func TestEvaluationCacheFollowsTheStore(t *testing.T) {
	ctx := context.Background()
	db := openMem(t)
	rec := func(action string, alerts ...string) domain.EvalRecord {
		return domain.EvalRecord{ID: "a", Owner: "ana@example.com", Date: domain.MustDate("2026-11-23"), Priority: domain.PriorityHigh,
			Action: domain.Action{Text: action}, Alerts: alerts}
	}
	put := func(r domain.EvalRecord) {
		t.Helper()
		if err := db.PutEvaluations(ctx, []domain.EvalRecord{r}); err != nil {
			t.Fatal(err)
		}
	}
	read := func() (domain.EvalRecord, bool) {
		t.Helper()
		r, found, err := db.Evaluation(ctx, "a")
		if err != nil {
			t.Fatal(err)
		}
		return r, found
	}
	steps := []struct {
		name  string
		write func()
		want  *domain.EvalRecord // nil: not found
	}{
		{"first write", func() { put(rec("Call", "x")) }, new(rec("Call", "x"))},
		{"read again (cached)", func() {}, new(rec("Call", "x"))},
		{"rewritten", func() { put(rec("Email", "x", "y")) }, new(rec("Email", "x", "y"))},
		{"rewritten with the same text, other alerts", func() { put(rec("Email", "z")) }, new(rec("Email", "z"))},
		{"deleted", func() { db.DeleteEvaluation(ctx, "a") }, nil},
		{"written again", func() { put(rec("Visit")) }, new(rec("Visit"))},
	}
	for _, s := range steps {
		s.write()
		for range 2 { // a miss then a hit
			got, found := read()
			if s.want == nil {
				if found {
					t.Errorf("%s: found %+v, want none", s.name, got)
				}
				continue
			}
			if !found || got.Action != s.want.Action || !slices.Equal(got.Alerts, s.want.Alerts) {
				t.Errorf("%s: got %+v (found %v), want %+v", s.name, got, found, *s.want)
			}
			if len(got.Alerts) > 0 {
				got.Alerts[0] = "changed by the caller"
			}
		}
	}
}
