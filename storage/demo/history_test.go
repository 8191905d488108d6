package demo

import (
	"fmt"
	"reflect"
	"testing"

	"github.com/accountbot/accountbot/domain"
)

// The demo's past is deterministic, leaves the book itself unchanged, and
// tells the story the back-test needs: losses among the accounts at risk,
// gains among the growing ones, every date in the past.
func TestHistoryTellsTheStory(t *testing.T) {
	today := domain.MustDate("2026-11-23")
	o := Defaults(today)
	h, again := HistoryRange(o, 0, o.Accounts), HistoryRange(o, 0, o.Accounts)
	if !reflect.DeepEqual(h, again) {
		t.Fatal("same options must give the same history")
	}
	if !reflect.DeepEqual(Generate(o), Generate(o)) {
		t.Fatal("the book changed")
	}
	lost, won := map[archetype]int{}, map[archetype]int{}
	for _, oc := range h.Outcomes {
		var i int
		if _, err := fmtSscan(oc.AccountID, &i); err != nil {
			t.Fatal(err)
		}
		if oc.Date >= today || oc.Date < today.AddDays(-7*8) {
			t.Errorf("outcome of %s dated %s", oc.AccountID, oc.Date)
		}
		if oc.Result == domain.Lost {
			lost[kindOf(o, i-1)]++
		} else {
			won[kindOf(o, i-1)]++
		}
	}
	if lost[churnRisk]+lost[lostCause] < 30 || lost[healthyGrowth] != 0 || won[healthyGrowth] < 20 || won[churnRisk]+won[lostCause] != 0 {
		t.Errorf("lost %v won %v", lost, won)
	}
	for id, states := range h.States {
		for _, s := range states {
			if s.Date >= today {
				t.Errorf("%s: a state dated %s", id, s.Date)
			}
			for _, p := range s.Stakeholders {
				if p.LastContact > s.Date {
					t.Errorf("%s: a state of %s knows a contact on %s", id, s.Date, p.LastContact)
				}
			}
		}
	}
}

// fmtSscan reads the number out of an "acct-00042" id.
func fmtSscan(id string, i *int) (int, error) { return fmt.Sscanf(id, "acct-%05d", i) }
