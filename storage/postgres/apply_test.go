package postgres_test

import (
	"context"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/accountbot/accountbot/domain"
)

// Apply writes a chunk's index moves as one statement per kind (removals
// first); these are the cases where the order of the patches inside one
// write matters, run on both backends so that PostgreSQL keeps Badger's
// answers.
func TestApplyIndexMovesInOneWrite(t *testing.T) {
	ctx := context.Background()
	onBothBackends(t, func(t *testing.T, s store) {
		a := acct("acme", "Acme Corp", "ana@example.com")
		a.ExternalIDs = domain.ExternalIDs{"hubspot": "101"}
		b := acct("bolt", "Bolt Inc", "bo@example.com")
		if _, err := s.Apply(ctx, []domain.Patch{{At: now, ID: "acme", Core: a}, {At: now, ID: "bolt", Core: b}}); err != nil {
			t.Fatal(err)
		}
		// bolt takes hubspot 101 before acme gives it up: refused (the
		// patches apply in order); acme first, then bolt: accepted.
		b2, a2 := *b, *a
		b2.ExternalIDs = domain.ExternalIDs{"hubspot": "101"}
		a2.ExternalIDs = domain.ExternalIDs{"hubspot": "102"}
		_, err := s.Apply(ctx, []domain.Patch{{At: now, ID: "bolt", Core: &b2}, {At: now, ID: "acme", Core: &a2}})
		if domain.ErrorCode(err) != domain.EINVALID {
			t.Fatalf("taking an external id before its holder gives it up: %v, want %s", err, domain.EINVALID)
		}
		if _, err := s.Apply(ctx, []domain.Patch{{At: now, ID: "acme", Core: &a2}, {At: now, ID: "bolt", Core: &b2}}); err != nil {
			t.Fatalf("moving an external id inside one write: %v", err)
		}
		for ref, want := range map[string]string{"101": "bolt", "102": "acme"} {
			if got, err := s.ResolveAccount(ctx, "hubspot", ref); err != nil || got != want {
				t.Errorf("hubspot %s: %q, %v; want %q", ref, got, err, want)
			}
		}
		// One account renamed twice in one write: only the last
		// name is indexed.
		a3, a4 := a2, a2
		a3.Name, a4.Name = "Initech", "Hooli"
		if _, err := s.Apply(ctx, []domain.Patch{{At: now, ID: "acme", Core: &a3}, {At: now, ID: "acme", Core: &a4}}); err != nil {
			t.Fatal(err)
		}
		for q, want := range map[string]string{"acme corp": "[]", "initech": "[]", "hooli": "[acme]"} {
			res, err := s.Resolve(ctx, q)
			if got := fmt.Sprint(res.IDs); err != nil || got != want {
				t.Errorf("resolve %q: %s, %v; want %s", q, got, err, want)
			}
		}
	})
}

// Writers creating the same new account at once: its record and names go
// in by plain inserts and its usage by COPY, which a later one finds taken
// (the same id, the same days); that write runs again, now updating, and
// all succeed with the usage all there and the name indexed.
func TestApplySameNewAccountConcurrently(t *testing.T) {
	ctx := context.Background()
	s := openPG(t)
	for round := range 5 {
		id := fmt.Sprintf("new-%d", round)
		var wg sync.WaitGroup
		errs := make([]error, 4)
		for w := range errs {
			wg.Go(func() {
				var usage []domain.Snapshot
				for d := range 30 { // the same days for every writer, and ten of its own
					usage = append(usage, domain.Snapshot{Date: day.AddDays(-d), ActiveUsers: w + 1, Usage: int64(d)})
				}
				for d := range 10 {
					usage = append(usage, domain.Snapshot{Date: day.AddDays(-100 - d - 10*w), ActiveUsers: w + 1})
				}
				_, errs[w] = s.Apply(ctx, []domain.Patch{{At: now, ID: id, Core: acct(id, "New "+id, "ana@example.com"), Usage: usage}})
			})
		}
		wg.Wait()
		for w, err := range errs {
			if err != nil {
				t.Fatalf("round %d writer %d: %v", round, w, err)
			}
		}
		a, err := s.Account(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if len(a.Usage) != 70 {
			t.Errorf("round %d: %d usage rows, want 70", round, len(a.Usage))
		}
		if res, err := s.Resolve(ctx, "New "+id); err != nil || fmt.Sprint(res.IDs) != "["+id+"]" {
			t.Errorf("round %d: resolving its name: %v, %v", round, res.IDs, err)
		}
	}
}

// A new account's usage goes in by a COPY in the binary format written by
// hand (copy.go): every column, at the ends of its range, reads back as
// written, and a day's usage written again in the same write replaces the
// first (Apply keys an account's rows by day only when it must).
func TestApplyNewAccountUsageRoundTrip(t *testing.T) {
	ctx := context.Background()
	id := "x:" + strings.Repeat("9", 126) // the longest id
	want := []domain.Snapshot{
		{Date: day.AddDays(-400), ActiveUsers: 0, Usage: 0, Tickets: 0},
		{Date: day.AddDays(-7), ActiveUsers: math.MaxInt32, Usage: math.MaxInt64, Tickets: math.MaxInt32},
		{Date: day, ActiveUsers: 1, Usage: 1 << 40, Tickets: 3},
	}
	stale := domain.Snapshot{Date: day, ActiveUsers: 9, Usage: 9, Tickets: 9}
	for name, ps := range map[string][][]domain.Snapshot{
		"in order, then the last day again": {append(slices.Clone(want[:2]), stale), want[2:]},
		"out of order, a day twice":         {{stale, want[1], want[0], want[2]}},
	} {
		t.Run(name, func(t *testing.T) {
			s := openPG(t)
			patches := []domain.Patch{{At: now, ID: id, Core: acct(id, "Long", "ana@example.com"), Usage: ps[0]}}
			for _, u := range ps[1:] {
				patches = append(patches, domain.Patch{At: now, ID: id, Usage: u})
			}
			if _, err := s.Apply(ctx, patches); err != nil {
				t.Fatal(err)
			}
			a, err := s.Account(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(a.Usage, want) {
				t.Errorf("usage read back:\n%+v\nwant\n%+v", a.Usage, want)
			}
		})
	}
}
