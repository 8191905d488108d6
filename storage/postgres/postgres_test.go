package postgres_test

import (
	"bytes"
	"context"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/accountbot/accountbot/storage/badger"

	"github.com/accountbot/accountbot/domain"
	"github.com/accountbot/accountbot/storage"
	"github.com/accountbot/accountbot/storage/postgres"
	"github.com/accountbot/accountbot/storage/postgres/pgtest"
)

var (
	day = domain.MustDate("2026-11-23")
	now = day.Time().Add(9 * time.Hour)
)

func openPG(t *testing.T) *postgres.DB {
	t.Helper()
	db, err := postgres.Open(context.Background(), pgtest.Schema(t), postgres.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func openBadger(t *testing.T) *badger.DB {
	t.Helper()
	db, err := badger.Open(context.Background(), "", badger.Options{InMemory: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// onBothBackends runs f on a fresh in-memory Badger store, then on a
// fresh PostgreSQL schema, each with its clock at now: the cases where
// PostgreSQL must keep Badger's answers.
func onBothBackends(t *testing.T, f func(t *testing.T, s store)) {
	for _, tc := range []struct {
		name string
		open func(t *testing.T) store
	}{{"badger", func(t *testing.T) store { return openBadger(t) }}, {"postgres", func(t *testing.T) store { return openPG(t) }}} {
		t.Run(tc.name, func(t *testing.T) {
			s := tc.open(t)
			s.SetClock(func() time.Time { return now })
			f(t, s)
		})
	}
}

func acct(id, name, owner string) *domain.Account {
	return &domain.Account{ID: id, Name: name, Owner: owner, ARR: 120_000_00, Currency: "USD",
		RenewalDate: day.AddDays(100), FeaturesAvailable: 10, FeaturesAdopted: 5}
}

// store is what the scenario below uses of both backends.
type store interface {
	Apply(ctx context.Context, patches []domain.Patch) (domain.ApplyStats, error)
	ApplyOnce(ctx context.Context, id string, patches []domain.Patch) (domain.ApplyStats, bool, error)
	Account(ctx context.Context, id string) (*domain.Account, error)
	ForEach(ctx context.Context, fn func(*domain.Account) error) error
	Resolve(ctx context.Context, query string) (domain.Resolution, error)
	ResolveAccount(ctx context.Context, source, ref string) (string, error)
	IDsByOwner(ctx context.Context, owner string) ([]string, error)
	Owners(ctx context.Context) ([]domain.OwnerCount, error)
	OwnsAccounts(ctx context.Context, email string) (bool, error)
	IDsRenewingBetween(ctx context.Context, from, to domain.Date) ([]string, error)
	AddOutcomeOnce(ctx context.Context, id string, o domain.Outcome) (bool, error)
	Outcomes(ctx context.Context, from, to domain.Date) ([]domain.Outcome, error)
	AppendAudit(ctx context.Context, e domain.AuditEntry) error
	Audit(ctx context.Context, q storage.AuditQuery) ([]domain.AuditEntry, error)
	FirstSeen(ctx context.Context, platform, id string, ttl time.Duration) (bool, error)
	LedgerPut(ctx context.Context, e domain.LedgerEntry) error
	LedgerSince(ctx context.Context, since time.Time) ([]domain.LedgerEntry, error)
	AddUnmatched(ctx context.Context, rec domain.UnmatchedRecord, at time.Time) error
	Unmatched(ctx context.Context) ([]domain.UnmatchedRecord, error)
	PutChannelRef(ctx context.Context, platform string, k storage.ChannelKey, name string, ref []byte) error
	ChannelRefByName(ctx context.Context, platform, tenant, name string) (storage.ChannelKey, []byte, bool, error)
	AcceptSegment(ctx context.Context, events []storage.SegmentIn) (accepted, duplicates int, err error)
	SegmentInbox(ctx context.Context, limit int) ([]storage.InboxItem, error)
	ApplySegment(ctx context.Context, effects []storage.SegmentEffect, now time.Time) error
	SetClock(now func() time.Time)
	FieldHistory(ctx context.Context, id string) ([]domain.FieldState, error)
	AddRulesVersion(ctx context.Context, v domain.RulesVersion, file *domain.Config) (domain.RulesVersion, error)
	RulesVersions(ctx context.Context) ([]domain.RulesVersion, error)
	LatestRules(ctx context.Context) (domain.RulesVersion, bool, error)
	RulesFile(ctx context.Context) (domain.Config, bool, error)
}

// scenario runs the same writes and reads on a store and returns what
// every read answered, one line each, for comparison across backends.
func scenario(t *testing.T, s store) []string {
	ctx := context.Background()
	s.SetClock(func() time.Time { return now })
	var out []string
	rec := func(what string, v any, err error) {
		if err != nil {
			v = nil // what a failed call returns besides its error is not part of the contract
		}
		out = append(out, fmt.Sprintf("%s: %+v err=%v", what, v, domain.ErrorCode(err)))
	}
	a := acct("acme", "Acme Corp", "ana@example.com")
	a.Aliases = []string{"ACME Inc."}
	a.ExternalIDs = domain.ExternalIDs{"hubspot": "101"}
	g := acct("globex", "Globex", "bo@example.com")
	g.RenewalDate = day.AddDays(10)
	h := acct("gringotts", "Gringotts Bank", "ana@example.com")
	st, err := s.Apply(ctx, []domain.Patch{
		{At: now, ID: "acme", Core: a, Usage: []domain.Snapshot{{Date: day, ActiveUsers: 3, Usage: 40, Tickets: 1}},
			Signals: []domain.Signal{{Date: day, Kind: "champion_left", Note: "CTO left"}}},
		{At: now, ID: "globex", Core: g}, {At: now, ID: "gringotts", Core: h},
	})
	rec("apply", st, err)
	// Same again: unchanged; a new usage value: updated.
	st, err = s.Apply(ctx, []domain.Patch{{At: now, ID: "acme", Usage: []domain.Snapshot{{Date: day, ActiveUsers: 3, Usage: 40, Tickets: 1}}},
		{At: now, ID: "globex", Usage: []domain.Snapshot{{Date: day, ActiveUsers: 1}}}})
	rec("reapply", st, err)
	// All or nothing: a valid new account with an invalid one is not written.
	bad := acct("initech", "Initech", "cy@example.com")
	bad.Currency = "DOLLARS"
	st, err = s.Apply(ctx, []domain.Patch{{At: now, ID: "hooli", Core: acct("hooli", "Hooli", "cy@example.com")}, {At: now, ID: "initech", Core: bad}})
	rec("invalid", st, err)
	_, err = s.Account(ctx, "hooli")
	rec("hooli after failed apply", nil, err)
	// An external id another account holds is refused.
	g2 := *g
	g2.ExternalIDs = domain.ExternalIDs{"hubspot": "101"}
	_, err = s.Apply(ctx, []domain.Patch{{At: now, ID: "globex", Core: &g2}})
	rec("taken external id", nil, err)
	_, err = s.Apply(ctx, []domain.Patch{{At: now, ID: "nobody", Usage: []domain.Snapshot{{Date: day}}}})
	rec("patch of unknown account", nil, err)
	// A rename moves the name index.
	a2 := *a
	a2.Name = "Acme Holdings"
	st, err = s.Apply(ctx, []domain.Patch{{At: now, ID: "acme", Core: &a2}})
	rec("rename", st, err)

	got, err := s.Account(ctx, "acme")
	rec("account", got, err)
	var ids []string
	err = s.ForEach(ctx, func(a *domain.Account) error {
		ids = append(ids, fmt.Sprintf("%s/%d/%d", a.ID, len(a.Usage), len(a.Signals)))
		return nil
	})
	rec("foreach", ids, err)
	for _, q := range []string{"acme", "ACME inc", "acme corp", "gl", "gringots", "zzzz", "g"} {
		r, err := s.Resolve(ctx, q)
		rec("resolve "+q, r, err)
	}
	for _, q := range []string{"101", "acme", "999"} {
		id, err := s.ResolveAccount(ctx, "hubspot", q)
		rec("resolve account "+q, id, err)
	}
	byOwner, err := s.IDsByOwner(ctx, "ana@example.com")
	rec("by owner", byOwner, err)
	owners, err := s.Owners(ctx)
	rec("owners", owners, err)
	owns, err := s.OwnsAccounts(ctx, " ANA@example.com ")
	rec("owns", owns, err)
	ren, err := s.IDsRenewingBetween(ctx, day, day.AddDays(30))
	rec("renewing", ren, err)

	for range 2 {
		seen, err := s.AddOutcomeOnce(ctx, "w1", domain.Outcome{AccountID: "acme", Date: day, Result: "renewed", ARR: 100_00})
		rec("outcome once", seen, err)
	}
	_, err = s.AddOutcomeOnce(ctx, "w2", domain.Outcome{AccountID: "nobody", Date: day, Result: "renewed"})
	rec("outcome of unknown account", nil, err)
	oc, err := s.Outcomes(ctx, day, day)
	rec("outcomes", oc, err)
	for i := range 3 {
		err := s.AppendAudit(ctx, domain.AuditEntry{At: now.Add(time.Duration(i) * time.Minute), Email: "Ana@Example.com", Account: "acme", Verb: "note"})
		rec("audit append", nil, err)
	}
	au, err := s.Audit(ctx, storage.AuditQuery{Who: "ana@example.com", Limit: 2})
	rec("audit", au, err)
	for range 2 {
		first, err := s.FirstSeen(ctx, "slack", "Ev1", time.Hour)
		rec("first seen", first, err)
	}
	err = s.LedgerPut(ctx, domain.LedgerEntry{Key: "k1", Recipient: "ana@example.com", UpdatedAt: now})
	rec("ledger put", nil, err)
	led, err := s.LedgerSince(ctx, now.Add(-time.Hour))
	rec("ledger since", led, err)
	for range 2 {
		err = s.AddUnmatched(ctx, domain.UnmatchedRecord{Source: "hubspot", ExternalID: "555", Kind: "ingest", Sample: "x"}, now)
		rec("unmatched add", nil, err)
	}
	um, err := s.Unmatched(ctx)
	rec("unmatched", um, err)
	k := storage.ChannelKey{Tenant: "t1", Team: "team", Channel: "c1"}
	rec("channel", nil, s.PutChannelRef(ctx, "teams", k, "#Renewals", []byte(`{"id":"c1"}`)))
	ck, ref, ok, err := s.ChannelRefByName(ctx, "teams", "t1", "renewals")
	rec("channel by name", fmt.Sprint(ck, string(ref), ok), err)
	acc, dup, err := s.AcceptSegment(ctx, []storage.SegmentIn{{MessageID: "m1", Raw: []byte(`{}`)}, {MessageID: "m1", Raw: []byte(`{}`)}, {MessageID: "m2", Raw: []byte(`{}`)}})
	rec("segment accept", fmt.Sprint(acc, dup), err)
	inbox, err := s.SegmentInbox(ctx, 10)
	rec("segment inbox", len(inbox), err)
	var eff []storage.SegmentEffect
	for _, it := range inbox {
		eff = append(eff, storage.SegmentEffect{Seq: it.Seq, Track: &storage.SegmentTrack{AccountID: "globex", Date: day, UserID: "u1", Usage: 5}})
	}
	rec("segment apply", nil, s.ApplySegment(ctx, eff, now))
	gl, err := s.Account(ctx, "globex")
	rec("globex usage", gl.Usage, err)
	fh, err := s.FieldHistory(ctx, "acme")
	rec("field history", fh, err)
	cfg := domain.DefaultConfig()
	v1, err := s.AddRulesVersion(ctx, domain.RulesVersion{By: "ana", At: now, Rules: cfg}, &cfg)
	rec("rules v1", v1.Version, err)
	cfg.Tiers.Tier1MinARR++
	v2, err := s.AddRulesVersion(ctx, domain.RulesVersion{By: "ana", At: now, Rules: cfg}, nil)
	rec("rules v2", fmt.Sprint(v2.Version, v2.Changes), err)
	latest, ok, err := s.LatestRules(ctx)
	rec("latest rules", fmt.Sprint(latest.Version, ok), err)
	all, err := s.RulesVersions(ctx)
	rec("rules versions", len(all), err)
	_, ok, err = s.RulesFile(ctx)
	rec("rules file", ok, err)
	return out
}

// TestSameAnswersAsBadger runs one scenario on both backends: every read
// must answer the same, error codes included.
func TestSameAnswersAsBadger(t *testing.T) {
	pg := openPG(t)
	want := scenario(t, openBadger(t))
	got := scenario(t, pg)
	for i := range max(len(want), len(got)) {
		var w, g string
		if i < len(want) {
			w = want[i]
		}
		if i < len(got) {
			g = got[i]
		}
		if w != g {
			t.Errorf("step %d:\n badger:   %s\n postgres: %s", i, w, g)
		}
	}
}

// TestBackupRoundTrip backs a database up, restores it into another, and
// compares every account; a damaged or cut copy is refused before anything
// changes.
func TestBackupRoundTrip(t *testing.T) {
	ctx := context.Background()
	src := openPG(t)
	scenario(t, src)
	var buf bytes.Buffer
	if err := src.Backup(ctx, &buf); err != nil {
		t.Fatal(err)
	}
	dst := openPG(t)
	if _, err := dst.Apply(ctx, []domain.Patch{{ID: "keep", Core: acct("keep", "Keep", "k@example.com")}}); err != nil {
		t.Fatal(err)
	}
	full := buf.Bytes()
	for name, b := range map[string][]byte{
		"cut":     full[:len(full)/2],
		"damaged": bytes.Replace(full, []byte("Acme Holdings"), []byte("Acme Holdingz"), 1),
		"badger":  []byte("ACCOUNTBOT-BACKUP 2\nxxxx"),
	} {
		if _, err := dst.Restore(ctx, bytes.NewReader(b), storage.RestoreOptions{Replace: true}); domain.ErrorCode(err) != domain.EINVALID {
			t.Errorf("%s backup: got %v, want EINVALID", name, err)
		}
	}
	if _, err := dst.Restore(ctx, bytes.NewReader(full), storage.RestoreOptions{}); domain.ErrorCode(err) != domain.ECONFLICT {
		t.Errorf("restore over accounts without --replace: got %v, want ECONFLICT", err)
	}
	if _, err := dst.Account(ctx, "keep"); err != nil {
		t.Fatalf("a refused restore changed the database: %v", err)
	}
	res, err := dst.Restore(ctx, bytes.NewReader(full), storage.RestoreOptions{Replace: true})
	if err != nil || res.Accounts != 3 || !res.Verified {
		t.Fatalf("restore: %+v %v", res, err)
	}
	all := func(s *postgres.DB) []string {
		var out []string
		if err := s.ForEach(ctx, func(a *domain.Account) error { out = append(out, fmt.Sprintf("%+v", *a)); return nil }); err != nil {
			t.Fatal(err)
		}
		return out
	}
	if a, b := all(src), all(dst); !reflect.DeepEqual(a, b) {
		t.Errorf("restored book differs:\n%v\n%v", a, b)
	}
	// The serial sequences moved on: new audit records do not collide.
	if err := dst.AppendAudit(ctx, domain.AuditEntry{At: now, Email: "x@example.com", Verb: "note"}); err != nil {
		t.Errorf("audit after restore: %v", err)
	}
}

// TestLedgerClaimIsExclusive: of many replicas recording "sending" for
// the same key and attempt at once (about to post the same nudge), exactly
// one succeeds; a later attempt (a retry after a failure or an interrupted
// send) claims again.
func TestLedgerClaimIsExclusive(t *testing.T) {
	ctx := context.Background()
	db := openPG(t)
	claim := func(attempt int) int {
		var wg sync.WaitGroup
		var mu sync.Mutex
		wins := 0
		for range 16 {
			wg.Go(func() {
				err := db.LedgerPut(ctx, domain.LedgerEntry{Key: "digest|ana|2026-11-23", State: domain.LedgerSending, Attempts: attempt, UpdatedAt: now})
				switch {
				case err == nil:
					mu.Lock()
					wins++
					mu.Unlock()
				case domain.ErrorCode(err) != domain.ECONFLICT:
					t.Error(err)
				}
			})
		}
		wg.Wait()
		return wins
	}
	if w := claim(1); w != 1 {
		t.Errorf("attempt 1: %d claims won, want exactly 1", w)
	}
	// The winner records the message id and the outcome: not claims.
	for _, e := range []domain.LedgerEntry{
		{Key: "digest|ana|2026-11-23", State: domain.LedgerSending, Attempts: 1, MessageIDs: []string{"ts1"}, UpdatedAt: now},
		{Key: "digest|ana|2026-11-23", State: domain.LedgerFailed, Attempts: 1, UpdatedAt: now},
	} {
		if err := db.LedgerPut(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	if w := claim(2); w != 1 {
		t.Errorf("attempt 2: %d claims won, want exactly 1", w)
	}
}

// TestConcurrentOpenMigratesOnce: replicas starting together serialise on
// goose's lock; all open, the schema is applied once.
func TestConcurrentOpenMigratesOnce(t *testing.T) {
	url := pgtest.Schema(t)
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			db, err := postgres.Open(context.Background(), url, postgres.Options{})
			if err != nil {
				t.Error(err)
				return
			}
			db.Close()
		})
	}
	wg.Wait()
}

// TestWriteOnceConcurrent: the same write id from many replicas at once
// writes once.
func TestWriteOnceConcurrent(t *testing.T) {
	ctx := context.Background()
	db := openPG(t)
	if _, err := db.Apply(ctx, []domain.Patch{{ID: "acme", Core: acct("acme", "Acme", "ana@example.com")}}); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			if _, err := db.AddOutcomeOnce(ctx, "click-1", domain.Outcome{AccountID: "acme", Date: day, Result: "renewed"}); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	oc, err := db.Outcomes(ctx, day, day)
	if err != nil || len(oc) != 1 {
		t.Errorf("got %d outcomes (%v), want 1", len(oc), err)
	}
}

// WatchAccounts reports writes made through another connection (another
// replica) once they commit, and not a write that changed nothing.
func TestWatchAccounts(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	url := pgtest.Schema(t)
	watcher, err := postgres.Open(ctx, url, postgres.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer watcher.Close()
	got := make(chan []string, 10)
	go watcher.WatchAccounts(ctx, func(ids []string) { got <- ids }, nil)
	time.Sleep(300 * time.Millisecond) // LISTEN is in place
	w2, err := postgres.Open(ctx, url, postgres.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer w2.Close()
	p := []domain.Patch{{At: now, ID: "acme", Core: acct("acme", "Acme", "ana@example.com")}, {At: now, ID: "globex", Core: acct("globex", "Globex", "bo@example.com")}}
	expectReportedOnce(ctx, t, w2, got, p, "[acme globex]")
}

// expectReportedOnce applies p through w, expects the watcher's report
// of want (the changed ids), then applies p again and expects no report:
// the write changed nothing.
func expectReportedOnce(ctx context.Context, t *testing.T, w *postgres.DB, got <-chan []string, p []domain.Patch, want string) {
	t.Helper()
	if _, err := w.Apply(ctx, p); err != nil {
		t.Fatal(err)
	}
	select {
	case ids := <-got:
		if fmt.Sprint(ids) != want {
			t.Errorf("reported %v, want %s", ids, want)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no report of the write")
	}
	if _, err := w.Apply(ctx, p); err != nil { // unchanged: nothing to report
		t.Fatal(err)
	}
	select {
	case ids := <-got:
		t.Errorf("an unchanged write reported %v", ids)
	case <-time.After(500 * time.Millisecond):
	}
}
