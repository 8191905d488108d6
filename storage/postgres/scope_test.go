package postgres_test

import (
	"context"
	"reflect"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/accountbot/accountbot/bot"
	"github.com/accountbot/accountbot/domain"
	"github.com/accountbot/accountbot/storage/postgres"
	"github.com/accountbot/accountbot/storage/postgres/pgtest"
)

func openURL(t *testing.T, url string, tr pgx.QueryTracer) *postgres.DB {
	t.Helper()
	db, err := postgres.Open(context.Background(), url, postgres.Options{Tracer: tr})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// scoredBook stores two accounts with 12 weeks of usage, and weekly
// scores for acme: combined 10, 11, … up to day.
func scoredBook(t *testing.T, db *postgres.DB) []domain.ScoreSnapshot {
	t.Helper()
	ctx := context.Background()
	var ps []domain.Patch
	for _, id := range []string{"acme", "globex"} {
		p := domain.Patch{At: now, ID: id, Core: acct(id, id+" Corp", "ana@example.com")}
		for w := range 12 {
			p.Usage = append(p.Usage, domain.Snapshot{Date: day.AddDays(-7 * w), ActiveUsers: 5 + w, Usage: int64(100 + w)})
		}
		ps = append(ps, p)
	}
	if _, err := db.Apply(ctx, ps); err != nil {
		t.Fatal(err)
	}
	var snaps []domain.ScoreSnapshot
	var sc []domain.Scored
	for w := 11; w >= 0; w-- {
		s := domain.ScoreSnapshot{Date: day.AddDays(-7 * w), Tier: 2, Combined: 21 - w, RulesVersion: 1}
		snaps, sc = append(snaps, s), append(sc, domain.Scored{ID: "acme", Snapshot: s})
	}
	if err := db.PutScores(ctx, sc); err != nil {
		t.Fatal(err)
	}
	return snaps
}

// TestHealthAnswerIsOneRoundTrip: `account X health` reads the account and
// its score history (the trend) in one round trip, and the trend drawn is
// the stored one.
func TestHealthAnswerIsOneRoundTrip(t *testing.T) {
	rt := &pgtest.RoundTrips{}
	db := openURL(t, pgtest.Schema(t), rt)
	snaps := scoredBook(t, db)
	e := bot.NewEngine(db, domain.DefaultConfig(), nil)
	ask := func(id string) *bot.Message {
		m := e.Handle(context.Background(), bot.Request{Text: "account " + id + " health", Now: now, User: bot.User{Operator: true}})
		if m.Error {
			t.Fatalf("%s health: %+v", id, m.Data)
		}
		return m
	}
	ask("globex") // prepares the statements
	n0 := rt.N()
	m := ask("acme")
	if n := rt.N() - n0; n != 1 {
		t.Errorf("account acme health took %d round trips, want 1", n)
	}
	var got []float64
	for _, b := range m.Blocks {
		if tr, ok := b.(bot.Trend); ok {
			for _, p := range tr.Points {
				got = append(got, p.Value)
			}
		}
	}
	var want []float64
	for _, s := range snaps {
		want = append(want, float64(s.Combined))
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("trend %v, want the stored scores %v", got, want)
	}
}

// TestReadScope: a scope answers ScoreHistory exactly as the database
// would have when the account was read, falls back to the database
// outside its window, forgets on its own writes, and never outlives its
// command: the next command sees another replica's write.
func TestReadScope(t *testing.T) {
	ctx := context.Background()
	url := pgtest.Schema(t)
	a, b := openURL(t, url, nil), openURL(t, url, nil)
	snaps := scoredBook(t, a)
	old := domain.ScoreSnapshot{Date: day.AddDays(-200), Combined: 3}
	if err := a.PutScores(ctx, []domain.Scored{{ID: "acme", Snapshot: old}}); err != nil {
		t.Fatal(err)
	}
	history := func(ctx context.Context, id string, from, to domain.Date) []domain.ScoreSnapshot {
		t.Helper()
		h, err := a.ScoreHistory(ctx, id, from, to)
		if err != nil {
			t.Fatal(err)
		}
		return h
	}
	read := func(ctx context.Context, id string) {
		t.Helper()
		if _, err := a.Account(ctx, id); err != nil {
			t.Fatal(err)
		}
	}
	cmd := a.ReadScope(ctx, day)
	read(cmd, "acme")
	read(cmd, "globex")
	for _, tc := range []struct {
		name     string
		id       string
		from, to domain.Date
	}{
		{"trend window", "acme", day.AddDays(-77), day},
		{"tier window", "acme", day.AddDays(-91), day.AddDays(-1)},
		{"one day", "acme", day.AddDays(-7), day.AddDays(-7)},
		{"before the window: from the database", "acme", day.AddDays(-365), day},
		{"after the day: from the database", "acme", day, day.AddDays(7)},
		{"no scores", "globex", day.AddDays(-77), day},
		{"account not read in the scope", "hooli", day.AddDays(-77), day},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got, want := history(cmd, tc.id, tc.from, tc.to), history(ctx, tc.id, tc.from, tc.to); !reflect.DeepEqual(got, want) {
				t.Errorf("in the scope %+v, the database says %+v", got, want)
			}
		})
	}
	if got := history(cmd, "acme", day.AddDays(-365), day); len(got) != len(snaps)+1 || !reflect.DeepEqual(got[0], old) {
		t.Errorf("before the window: %+v, want the old score first", got)
	}

	// Another replica writes today's score again.
	newer := snaps[len(snaps)-1]
	newer.Combined = 99
	if err := b.PutScores(ctx, []domain.Scored{{ID: "acme", Snapshot: newer}}); err != nil {
		t.Fatal(err)
	}
	last := func(h []domain.ScoreSnapshot) int { return h[len(h)-1].Combined }
	if got := last(history(cmd, "acme", day.AddDays(-77), day)); got != 21 {
		t.Errorf("the command that read acme before the write: %d, want 21 (one snapshot per command)", got)
	}
	next := a.ReadScope(ctx, day)
	read(next, "acme")
	if got := last(history(next, "acme", day.AddDays(-77), day)); got != 99 {
		t.Errorf("the next command: %d, want 99 (another replica's write)", got)
	}
	if got := last(history(ctx, "acme", day.AddDays(-77), day)); got != 99 {
		t.Errorf("outside a scope: %d, want 99", got)
	}

	// The command's own write of scores is read back.
	newer.Combined = 7
	if err := a.PutScores(next, []domain.Scored{{ID: "acme", Snapshot: newer}}); err != nil {
		t.Fatal(err)
	}
	if got := last(history(next, "acme", day.AddDays(-77), day)); got != 7 {
		t.Errorf("after the command's own write: %d, want 7", got)
	}
}

// TestTrendSeesOtherReplicasScores: the engine on one replica draws the
// score another replica has just written, though it drew the same
// account's trend before.
func TestTrendSeesOtherReplicasScores(t *testing.T) {
	url := pgtest.Schema(t)
	a, b := openURL(t, url, nil), openURL(t, url, nil)
	snaps := scoredBook(t, a)
	e := bot.NewEngine(a, domain.DefaultConfig(), nil)
	lastPoint := func() float64 {
		t.Helper()
		m := e.Handle(context.Background(), bot.Request{Text: "account acme health", Now: now, User: bot.User{Operator: true}})
		for _, blk := range m.Blocks {
			if tr, ok := blk.(bot.Trend); ok {
				return tr.Points[len(tr.Points)-1].Value
			}
		}
		t.Fatalf("no trend in %+v", m)
		return 0
	}
	if got := lastPoint(); got != 21 {
		t.Fatalf("today's point %v, want 21", got)
	}
	today := snaps[len(snaps)-1]
	today.Combined = 35
	if err := b.PutScores(context.Background(), []domain.Scored{{ID: "acme", Snapshot: today}}); err != nil {
		t.Fatal(err)
	}
	if got := lastPoint(); got != 35 {
		t.Errorf("after another replica rescored acme today: %v, want 35", got)
	}
}

// TestReadScopeFirstAccountOnly: only the command's first account found
// brings its history (a portfolio command reading thousands of accounts
// neither reads nor keeps theirs); the others' come from the database.
func TestReadScopeFirstAccountOnly(t *testing.T) {
	ctx := context.Background()
	rt := &pgtest.RoundTrips{}
	db := openURL(t, pgtest.Schema(t), rt)
	scoredBook(t, db)
	if err := db.PutScores(ctx, []domain.Scored{{ID: "globex", Snapshot: domain.ScoreSnapshot{Date: day, Combined: 5}}}); err != nil {
		t.Fatal(err)
	}
	cmd := db.ReadScope(ctx, day)
	if _, err := db.Account(cmd, "acct-nobody"); domain.ErrorCode(err) != domain.ENOTFOUND {
		t.Fatalf("a missing account: %v, want ENOTFOUND", err)
	}
	for _, id := range []string{"acme", "globex"} {
		if _, err := db.Account(cmd, id); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		id    string
		trips int64
	}{{"acme", 0}, {"globex", 1}} {
		n0 := rt.N()
		got, err := db.ScoreHistory(cmd, tc.id, day.AddDays(-77), day)
		if err != nil {
			t.Fatal(err)
		}
		if n := rt.N() - n0; n != tc.trips {
			t.Errorf("%s's history took %d round trips, want %d", tc.id, n, tc.trips)
		}
		if want, _ := db.ScoreHistory(ctx, tc.id, day.AddDays(-77), day); !reflect.DeepEqual(got, want) {
			t.Errorf("%s's history in the scope %+v, the database says %+v", tc.id, got, want)
		}
	}
}
