package storagetest

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/accountbot/accountbot/domain"
	"github.com/accountbot/accountbot/storage"
)

// The tricky cases of the contract: atomicity, dedupe and ordering.

// An invalid or unknown patch anywhere in a call rejects the whole call:
// nothing of the accounts before it is written.
func testApplyIsAllOrNothing(t *testing.T, s Store) {
	ctx := context.Background()
	withAccount(t, s, "acme", "ana@example.com")
	renamed := acct("acme", "Acme Renamed", "bo@example.com")
	bad := acct("bad", "Bad", "ana@example.com")
	bad.ARR = -5
	tests := []struct {
		name string
		last domain.Patch
		code string
	}{
		{"invalid account last", domain.Patch{ID: "bad", Core: bad}, domain.EINVALID},
		{"unknown account last", domain.Patch{ID: "ghost", Usage: []domain.Snapshot{{Date: day}}}, domain.ENOTFOUND},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := s.Apply(ctx, []domain.Patch{
				{ID: "new1", Core: acct("new1", "New One", "ana@example.com")},
				{ID: "acme", Core: renamed, Usage: []domain.Snapshot{{Date: day, ActiveUsers: 3}}},
				tt.last,
			})
			if domain.ErrorCode(err) != tt.code {
				t.Fatalf("err = %v, want %s", err, tt.code)
			}
			if _, err := s.Account(ctx, "new1"); domain.ErrorCode(err) != domain.ENOTFOUND {
				t.Errorf("the new account of a failed call was written: %v", err)
			}
			a, err := s.Account(ctx, "acme")
			if err != nil || a.Name != "acme" || len(a.Usage) != 0 {
				t.Errorf("the update of a failed call was written: %+v %v", a, err)
			}
			if ids, _ := s.IDsByOwner(ctx, "bo@example.com"); len(ids) != 0 {
				t.Errorf("an index entry of a failed call was written: %v", ids)
			}
			if r, _ := s.Resolve(ctx, "new one"); len(r.IDs) != 0 {
				t.Errorf("a name of a failed call was indexed: %+v", r)
			}
		})
	}
	// ApplyOnce too, and a failed call leaves its write id free.
	if _, _, err := s.ApplyOnce(ctx, "w1", []domain.Patch{{ID: "new2", Core: acct("new2", "N2", "")}, {ID: "bad", Core: bad}}); domain.ErrorCode(err) != domain.EINVALID {
		t.Fatalf("ApplyOnce err = %v", err)
	}
	if _, err := s.Account(ctx, "new2"); domain.ErrorCode(err) != domain.ENOTFOUND {
		t.Errorf("ApplyOnce wrote half a call: %v", err)
	}
	if seen, _ := s.WriteSeen(ctx, "w1"); seen {
		t.Error("a failed ApplyOnce recorded its id")
	}
}

// Later patches of one call see the earlier ones: the same account twice
// is created, then updated, and its usage merges.
func testApplySeesItsOwnPatches(t *testing.T, s Store) {
	ctx := context.Background()
	st := apply(t, s,
		domain.Patch{ID: "acme", Core: acct("acme", "Acme", "ana@example.com"), Usage: []domain.Snapshot{{Date: day, ActiveUsers: 1}}},
		domain.Patch{ID: "acme", Usage: []domain.Snapshot{{Date: day, ActiveUsers: 2}, {Date: day.AddDays(-7), ActiveUsers: 1}, {Date: day.AddDays(-7), ActiveUsers: 1}}},
		domain.Patch{ID: "acme", Signals: []domain.Signal{{Date: day, Kind: domain.SignalNote, Note: "x"}, {Date: day, Kind: domain.SignalNote, Note: "x"}}},
	)
	want := domain.ApplyStats{Created: 1, Updated: 2, Snapshots: 3, Signals: 1}
	if st != want {
		t.Errorf("stats = %+v, want %+v", st, want)
	}
	a, err := s.Account(ctx, "acme")
	if err != nil || fmt.Sprint(a.Usage) != fmt.Sprint([]domain.Snapshot{{Date: day.AddDays(-7), ActiveUsers: 1}, {Date: day, ActiveUsers: 2}}) || len(a.Signals) != 1 {
		t.Errorf("account = %+v, %v", a, err)
	}
	// The same signal text on another day, or of another kind, is another signal.
	st = apply(t, s, domain.Patch{ID: "acme", Signals: []domain.Signal{{Date: day.AddDays(1), Kind: domain.SignalNote, Note: "x"}, {Date: day, Kind: domain.SignalCompetitor, Note: "x"}, {Date: day, Kind: domain.SignalNote, Note: "x"}}})
	if st.Signals != 2 || st.Updated != 1 {
		t.Errorf("stats = %+v", st)
	}
	if empty, err := s.Empty(ctx); err != nil || empty {
		t.Errorf("Empty = %v, %v", empty, err)
	}
}

// Resolve's ranking: an id beats a name, an exact name beats a prefix,
// ties come in id order, prefixes stop at domain.MaxPrefixMatches.
func testResolveRanking(t *testing.T, s Store) {
	ctx := context.Background()
	if r, err := s.Resolve(ctx, "anything"); err != nil || len(r.IDs)+len(r.Suggestions) != 0 {
		t.Fatalf("empty store: %+v %v", r, err)
	}
	var ps []domain.Patch
	add := func(id, name string, aliases ...string) {
		a := acct(id, name, "ana@example.com")
		a.Aliases = aliases
		ps = append(ps, domain.Patch{ID: id, Core: a})
	}
	add("zeta", "Twin Peaks")
	add("alpha", "Twin Peaks")
	add("globex", "Initech") // an id that is another account's name
	add("initech", "Globex Corp", "Globex")
	for i := range 14 {
		add(fmt.Sprintf("p%02d", 13-i), fmt.Sprintf("Pine %02d", i))
	}
	add("multi", "Pine Tree", "Pine Cone") // two names with one prefix: one match
	apply(t, s, ps...)
	tests := []struct{ q, ids, suggest string }{
		{"twin peaks", "[alpha zeta]", "[]"},
		{"globex", "[globex]", "[]"},                                    // the id wins
		{"GLOBEX CORP", "[initech]", "[]"},                              // a name
		{"initech", "[initech]", "[]"},                                  // the id, not the name "Initech"
		{"  initech ", "[initech]", "[]"},                               // trimmed
		{"Initech", "[globex]", "[]"},                                   // ids are case-sensitive: a name
		{"twin", "[alpha zeta]", "[]"},                                  // a prefix shared by two
		{"pine", "[p13 p12 p11 p10 p09 p08 p07 p06 p05 p04 p03]", "[]"}, // (name, id) order, at most 11
		{"pine t", "[multi]", "[]"},
		{"twin peask", "[]", "[alpha zeta]"}, // a tie in suggestions: by id
		{"", "[]", "[]"},
		{"!!!", "[]", "[]"},
	}
	for _, tt := range tests {
		r, err := s.Resolve(ctx, tt.q)
		if err != nil || fmt.Sprint(r.IDs) != tt.ids || fmt.Sprint(r.Suggestions) != tt.suggest {
			t.Errorf("Resolve(%q) = %v / %v (%v); want %s / %s", tt.q, r.IDs, r.Suggestions, err, tt.ids, tt.suggest)
		}
	}
}

// The ledger: the last write of a key wins; LedgerSince is newest first.
func testLedger(t *testing.T, s Store) {
	ctx := context.Background()
	if _, found, err := s.LedgerGet(ctx, "digest|2026-11-23|ana@example.com"); err != nil || found {
		t.Fatalf("empty ledger: found %v err %v", found, err)
	}
	e := func(key string, state domain.LedgerState, at time.Time) domain.LedgerEntry {
		return domain.LedgerEntry{Key: key, Kind: domain.NudgeDigest, Recipient: "ana@example.com", State: state, DueAt: now, UpdatedAt: at}
	}
	puts := []domain.LedgerEntry{
		e("digest|2026-11-23|ana@example.com", domain.LedgerSending, now),
		e("digest|2026-11-22|ana@example.com", domain.LedgerSent, now.Add(-24*time.Hour)),
		e("digest|2026-11-23|bo@example.com", domain.LedgerFailed, now.Add(time.Minute)),
		e("digest|2026-11-23|ana@example.com", domain.LedgerSent, now.Add(2*time.Minute)), // the send finished
	}
	for _, p := range puts {
		if err := s.LedgerPut(ctx, p); err != nil {
			t.Fatal(err)
		}
	}
	got, found, err := s.LedgerGet(ctx, "digest|2026-11-23|ana@example.com")
	if err != nil || !found || got.State != domain.LedgerSent || !got.UpdatedAt.Equal(now.Add(2*time.Minute)) {
		t.Errorf("LedgerGet = %+v %v %v; want the last write", got, found, err)
	}
	since, err := s.LedgerSince(ctx, now)
	if err != nil || len(since) != 2 || since[0].State != domain.LedgerSent || since[1].State != domain.LedgerFailed {
		t.Errorf("LedgerSince = %+v %v; want the two of today, newest first", since, err)
	}
}

// Dedupe keys: of many concurrent first deliveries, exactly one is first;
// platforms have separate id spaces.
func testFirstSeenIsPutIfAbsent(t *testing.T, s Store) {
	ctx := context.Background()
	var wg sync.WaitGroup
	var mu sync.Mutex
	firsts := 0
	for range 16 {
		wg.Go(func() {
			first, err := s.FirstSeen(ctx, "slack", "Ev1", time.Hour)
			if err != nil {
				t.Error(err)
			}
			if first {
				mu.Lock()
				firsts++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if firsts != 1 {
		t.Fatalf("%d first deliveries; want 1", firsts)
	}
	if first, _ := s.FirstSeen(ctx, "slack", "Ev1", time.Hour); first {
		t.Error("a redelivery was first")
	}
	if first, _ := s.FirstSeen(ctx, "teams", "Ev1", time.Hour); !first {
		t.Error("another platform's id was taken for a redelivery")
	}
}

// Segment: a messageId is accepted once, within a call and across calls;
// the inbox is oldest first and applying removes what it applied.
func testSegmentInbox(t *testing.T, s Store) {
	ctx := context.Background()
	in := func(ids ...string) []storage.SegmentIn {
		var out []storage.SegmentIn
		for _, id := range ids {
			out = append(out, storage.SegmentIn{MessageID: id, Raw: []byte(`{"messageId":"` + id + `"}`)})
		}
		return out
	}
	acc, dup, err := s.AcceptSegment(ctx, in("m1", "m2", "m1"))
	if err != nil || acc != 2 || dup != 1 {
		t.Fatalf("accept = %d, %d, %v", acc, dup, err)
	}
	if acc, dup, _ := s.AcceptSegment(ctx, in("m2", "m3")); acc != 1 || dup != 1 {
		t.Fatalf("second accept = %d, %d", acc, dup)
	}
	box, err := s.SegmentInbox(ctx, 10)
	if err != nil || len(box) != 3 || string(box[0].Raw) != `{"messageId":"m1"}` || string(box[2].Raw) != `{"messageId":"m3"}` {
		t.Fatalf("inbox = %+v %v; want m1 m2 m3", box, err)
	}
	if first, _ := s.SegmentInbox(ctx, 1); len(first) != 1 || first[0].Seq != box[0].Seq {
		t.Errorf("limit 1 = %+v", first)
	}
	withAccount(t, s, "acme", "ana@example.com")
	track := func(user string, usage int64) *storage.SegmentTrack {
		return &storage.SegmentTrack{AccountID: "acme", Date: day, UserID: user, Usage: usage, Tickets: 1}
	}
	err = s.ApplySegment(ctx, []storage.SegmentEffect{
		{Seq: box[0].Seq, Member: [2]string{"u1", "acme"}, Track: track("u1", 5)},
		{Seq: box[1].Seq, Track: track("u1", 7)}, // the same user the same day: counted once
	}, now)
	if err != nil {
		t.Fatal(err)
	}
	a, _ := s.Account(ctx, "acme")
	if len(a.Usage) != 1 || a.Usage[0] != (domain.Snapshot{Date: day, ActiveUsers: 1, Usage: 12, Tickets: 2}) {
		t.Errorf("usage = %+v", a.Usage)
	}
	if acct, ok, _ := s.SegmentUserAccount(ctx, "u1"); !ok || acct != "acme" {
		t.Errorf("user's account = %q %v", acct, ok)
	}
	if box, _ := s.SegmentInbox(ctx, 10); len(box) != 1 || string(box[0].Raw) != `{"messageId":"m3"}` {
		t.Errorf("inbox after applying = %+v", box)
	}
	// An invalid effect applies nothing of its call.
	box, _ = s.SegmentInbox(ctx, 10)
	if err := s.ApplySegment(ctx, []storage.SegmentEffect{{Seq: box[0].Seq, Track: &storage.SegmentTrack{AccountID: "acme"}}}, now); domain.ErrorCode(err) != domain.EINVALID {
		t.Errorf("effect without a date: %v", err)
	}
	if box, _ := s.SegmentInbox(ctx, 10); len(box) != 1 {
		t.Errorf("a failed apply removed its events: %+v", box)
	}
}
