package ingest

import (
	"context"
	"fmt"
	"github.com/accountbot/accountbot/storage/badger"
	"strings"
	"testing"
	"time"

	"github.com/accountbot/accountbot/domain"
	"github.com/accountbot/accountbot/storage"
)

// Events in the shape of Segment's Spec (common fields, track, identify,
// group), as the Webhooks (Actions) destination sends the whole event.
func track(msgID, user, event, extra string) string {
	return fmt.Sprintf(`{"anonymousId":"507f191e810c19729de860ea","context":{"ip":"8.8.8.8","library":{"name":"analytics.js","version":"2.11.1"}%s},
"event":%q,"integrations":{},"messageId":%q,"properties":{"format":"pdf"},"receivedAt":"2026-11-22T10:15:02.123Z",
"sentAt":"2026-11-22T10:15:01.980Z","timestamp":"2026-11-22T10:15:00.000Z","type":"track","userId":%q,"version":2}`, extra, event, msgID, user)
}

func identify(msgID, user, traits string) string {
	return fmt.Sprintf(`{"anonymousId":"507f191e810c19729de860ea","context":{"ip":"8.8.8.8"},"messageId":%q,
"receivedAt":"2026-11-22T09:00:02.000Z","sentAt":"2026-11-22T09:00:01.000Z","timestamp":"2026-11-22T09:00:00.000Z",
"traits":%s,"type":"identify","userId":%q,"version":2}`, msgID, traits, user)
}

func group(msgID, user, groupID string) string {
	return fmt.Sprintf(`{"anonymousId":"507f191e810c19729de860ea","context":{"ip":"8.8.8.8"},"groupId":%q,"messageId":%q,
"receivedAt":"2026-11-22T08:59:02.000Z","sentAt":"2026-11-22T08:59:01.000Z","timestamp":"2026-11-22T08:59:00.000Z",
"traits":{"name":"Acme Corp","industry":"Manufacturing","employees":420,"plan":"enterprise"},"type":"group","userId":%q,"version":2}`, groupID, msgID, user)
}

// book is the whole store's accounts, for "nothing else changed".
func (e *env) book() string {
	var b strings.Builder
	e.db.ForEach(context.Background(), func(a *domain.Account) error { fmt.Fprintf(&b, "%+v\n", *a); return nil })
	return b.String()
}

// snapOn is the account's usage snapshot dated d (zero if none).
func snapOn(a *domain.Account, d domain.Date) domain.Snapshot {
	for _, s := range a.Usage {
		if s.Date == d {
			return s
		}
	}
	return domain.Snapshot{}
}

func (e *env) inbox() int {
	items, err := e.db.SegmentInbox(context.Background(), 1000)
	if err != nil {
		e.t.Fatal(err)
	}
	return len(items)
}

func (e *env) drain() {
	e.t.Helper()
	for {
		n, err := e.srv.DrainSegment(context.Background())
		if err != nil {
			e.t.Fatal(err)
		}
		if n == 0 {
			return
		}
	}
}

// withSegmentID gives acme the Segment external id grp_acme.
func (e *env) withSegmentID() {
	a := e.account("acme")
	a.ExternalIDs = domain.ExternalIDs{"segment": "grp_acme"}
	if _, err := e.db.Apply(context.Background(), []domain.Patch{{ID: "acme", Core: a}}); err != nil {
		e.t.Fatal(err)
	}
}

func TestSegmentEventsReachTheAccount(t *testing.T) {
	e := newEnv(t, nil, nil)
	e.withSegmentID()
	day := domain.MustDate("2026-11-22")
	if s := snapOn(e.account("acme"), day); s != (domain.Snapshot{}) {
		t.Fatal("the example book already has usage on the test day")
	}
	batch := "[" + strings.Join([]string{
		group("m-g1", "u1", "grp_acme"),
		group("m-g2", "u2", "acme"), // the account id works too
		identify("m-i1", "u1", `{"name":"Dana Reyes","email":"dana@acme.example","title":"VP Operations","department":"Operations","champion":true}`),
		track("m-t1", "u1", "Report Exported", ""),
		track("m-t2", "u1", "Dashboard Viewed", ""),
		track("m-t3", "u2", "Report Exported", ""),
		track("m-t4", "u3", "Report Exported", `,"groupId":"grp_acme"`), // names its account in context
		track("m-t5", "u2", "Application Backgrounded", ""),
		track("m-t6", "u1", "Ticket Created", ""),
		`{"type":"page","messageId":"m-p1","name":"Home"}`,
	}, ",") + "]"
	w := e.segment(batch)
	if w.Code != 200 || decode[SegmentAnswer](t, w) != (SegmentAnswer{Accepted: 9, Ignored: 1}) {
		t.Fatalf("%d %s", w.Code, w.Body)
	}
	e.drain()
	a := e.account("acme")
	s := snapOn(a, day)
	if s.Date != day || s.Usage != 4 || s.ActiveUsers != 3 || s.Tickets != 1 {
		t.Errorf("snapshot = %+v, want 4 usage, 3 distinct users, 1 ticket on %s", s, day)
	}
	var dana *domain.Stakeholder
	for i := range a.Stakeholders {
		if a.Stakeholders[i].Name == "Dana Reyes" {
			dana = &a.Stakeholders[i]
		}
	}
	if dana == nil || dana.Role != "VP Operations" || dana.Function != domain.FunctionOperations || !dana.Champion || dana.Email != "dana@acme.example" || dana.Internal {
		t.Errorf("stakeholders = %+v", a.Stakeholders)
	}

	// Segment retries a delivery: the same messageIds change nothing.
	before := e.book()
	w = e.segment("[" + track("m-t1", "u1", "Report Exported", "") + "," + track("m-t3", "u2", "Report Exported", "") + "]")
	if got := decode[SegmentAnswer](t, w); w.Code != 200 || got.Duplicates != 2 || got.Accepted != 0 {
		t.Fatalf("retry: %d %s", w.Code, w.Body)
	}
	e.drain()
	if e.book() != before {
		t.Error("a duplicate messageId changed the book")
	}
	// A later event from a user already active that day adds usage, not a user.
	e.segment(track("m-t7", "u2", "Report Exported", ""))
	e.drain()
	if s := snapOn(e.account("acme"), day); s.Usage != 5 || s.ActiveUsers != 3 {
		t.Errorf("after one more event: %+v", s)
	}
}

func TestSegmentUnknownAccountGoesToReview(t *testing.T) {
	e := newEnv(t, nil, nil)
	before := e.book()
	w := e.segment("[" + group("m-1", "u9", "grp_nobody") + "," + track("m-2", "u8", "Report Exported", `,"groupId":"grp_nobody"`) + "," + track("m-3", "u7", "Report Exported", "") + "]")
	if w.Code != 200 {
		t.Fatalf("%d %s", w.Code, w.Body)
	}
	e.drain()
	if e.book() != before {
		t.Error("an unmatched event changed an account")
	}
	rev, _ := e.db.Unmatched(context.Background())
	if len(rev) != 2 || rev[0].ExternalID != "grp_nobody" || rev[0].Count != 2 || rev[1].ExternalID != "user:u7" {
		t.Fatalf("review list = %+v", rev)
	}
	r := e.do("GET", "/api/v1/unmatched", ScopeRead, "", nil)
	if !strings.Contains(r.Body.String(), `"external_id":"grp_nobody"`) {
		t.Errorf("unmatched endpoint: %s", r.Body)
	}
	// The admin gives the account its Segment id: the entry leaves the list
	// in the same write, and later events match.
	a := e.account("globex")
	a.ExternalIDs = domain.ExternalIDs{"segment": "grp_nobody"}
	if _, err := e.db.Apply(context.Background(), []domain.Patch{{ID: "globex", Core: a}}); err != nil {
		t.Fatal(err)
	}
	if rev, _ := e.db.Unmatched(context.Background()); len(rev) != 1 {
		t.Errorf("review list after the fix = %+v", rev)
	}
	e.segment(track("m-4", "u8", "Report Exported", `,"groupId":"grp_nobody"`))
	e.drain()
	if u := snapOn(e.account("globex"), domain.MustDate("2026-11-22")); u.ActiveUsers != 1 || u.Usage != 1 {
		t.Errorf("globex usage = %+v", u)
	}
}

func TestSegmentRefusals(t *testing.T) {
	good := track("m-1", "u1", "Report Exported", `,"groupId":"acme"`)
	tests := []struct {
		name   string
		body   string
		sig    string
		status int
		code   string
	}{
		{"bad signature", good, sign("wrong secret", good), 401, "unauthorized"},
		{"no signature", good, "", 401, "unauthorized"},
		{"signature not hex", good, "zz" + sign(testSecret, good)[2:], 401, "unauthorized"},
		{"signature of another body", good, sign(testSecret, good+" "), 401, "unauthorized"},
		{"not JSON", "type=track", sign(testSecret, "type=track"), 400, "malformed"},
		{"no messageId", `{"type":"track","event":"X"}`, sign(testSecret, `{"type":"track","event":"X"}`), 400, "malformed"},
		{"one broken event refuses the batch", "[" + good + `,{"type":"track"}]`, sign(testSecret, "["+good+`,{"type":"track"}]`), 400, "malformed"},
		{"event not an object", `[7]`, sign(testSecret, `[7]`), 400, "malformed"},
		{"too large, even unsigned", `{"type":"track","messageId":"x","p":"` + strings.Repeat("a", 3000) + `"}`, "", 413, "too_large"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, func(o *Options) { o.Segment.MaxBodyBytes = 2048 }, nil)
			before := e.book()
			w := e.do("POST", "/api/v1/segment", "", tt.body, map[string]string{"X-Signature": tt.sig})
			if w.Code != tt.status || decode[ErrorBody](t, w).Error.Code != tt.code {
				t.Fatalf("%d %s, want %d %s", w.Code, w.Body, tt.status, tt.code)
			}
			if tt.status == 401 && !strings.Contains(w.Body.String(), `"signature check failed"`) {
				t.Errorf("401 body is not the generic one: %s", w.Body)
			}
			if e.inbox() != 0 {
				t.Error("a refused delivery reached the inbox")
			}
			e.drain()
			if e.book() != before {
				t.Error("a refused delivery changed the book")
			}
			// The refused messageId is not remembered: the fixed retry is accepted.
			if tt.status != 413 {
				if w := e.segment(good); decode[SegmentAnswer](t, w).Accepted != 1 {
					t.Errorf("retry after refusal: %s", w.Body)
				}
			}
		})
	}
	t.Run("no shared secret configured", func(t *testing.T) {
		e := newEnv(t, func(o *Options) { o.Segment.SharedSecret = "" }, nil)
		if w := e.do("POST", "/api/v1/segment", "", good, map[string]string{"X-Signature": sign("", good)}); w.Code != 401 {
			t.Errorf("%d", w.Code)
		}
	})
	t.Run("store fails", func(t *testing.T) {
		e := newEnv(t, nil, func(db *badger.DB) Store { return failing{db} })
		if w := e.segment(good); w.Code != 500 {
			t.Errorf("%d", w.Code)
		}
	})
}

func TestSegmentWorkerResumesAfterRestart(t *testing.T) {
	e := newEnv(t, nil, nil)
	// Accepted but not applied: the process stops here.
	if w := e.segment(track("m-1", "u1", "Report Exported", `,"groupId":"acme"`)); w.Code != 200 {
		t.Fatal(w.Body)
	}
	if e.inbox() != 1 {
		t.Fatal("the event is not in the inbox")
	}
	// A new server over the same store applies it on start.
	var changed []string
	s2 := New(e.db, Options{Config: DefaultConfig(), Segment: DefaultSegmentConfig(), Now: func() time.Time { return testNow },
		Changed: func(_ context.Context, ids []string) { changed = append(changed, ids...) }})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { s2.RunSegmentWorker(ctx); close(done) }()
	deadline := time.Now().Add(5 * time.Second)
	for e.inbox() > 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	<-done
	if u := snapOn(e.account("acme"), domain.MustDate("2026-11-22")); u.Usage != 1 {
		t.Errorf("usage after restart = %+v", u)
	}
	if len(changed) != 1 || changed[0] != "acme" {
		t.Errorf("changed = %v", changed)
	}
}

// refusing makes the store refuse Segment effects that carry a track,
// as a store would refuse an event it cannot apply.
type refusing struct{ *badger.DB }

func (r refusing) ApplySegment(ctx context.Context, effects []storage.SegmentEffect, now time.Time) error {
	for _, e := range effects {
		if e.Track != nil && e.Track.UserID == "poison" {
			return domain.Errorf(domain.EINVALID, "refused")
		}
	}
	return r.DB.ApplySegment(ctx, effects, now)
}

func TestSegmentHostileEventsCannotBlockTheInbox(t *testing.T) {
	e := newEnv(t, nil, func(db *badger.DB) Store { return refusing{db} })
	body := "[" + strings.Join([]string{
		`{"type":"group","messageId":"m-1","userId":"u1","groupId":"grp\u0000with\u0001controls"}`,
		group("m-2", "u2", strings.Repeat("g", 300)),
		track("m-3", "poison", "Report Exported", `,"groupId":"acme"`),
		track("m-4", "u4", "Report Exported", `,"groupId":"acme"`),
	}, ",") + "]"
	if w := e.segment(body); w.Code != 200 {
		t.Fatalf("%d %s", w.Code, w.Body)
	}
	e.drain()
	if e.inbox() != 0 {
		t.Fatal("events stuck in the inbox")
	}
	rev, _ := e.db.Unmatched(context.Background())
	if len(rev) != 2 || rev[1].ExternalID != "grp?with?controls" || len(rev[0].ExternalID) != 256 {
		t.Errorf("review list = %+v", rev)
	}
	if s := snapOn(e.account("acme"), domain.MustDate("2026-11-22")); s.Usage != 1 || s.ActiveUsers != 1 {
		t.Errorf("the good event of the batch: %+v", s)
	}
	long := `{"type":"track","messageId":"` + strings.Repeat("m", 257) + `"}`
	if w := e.segment(long); w.Code != 400 {
		t.Errorf("a 257-byte messageId: %d", w.Code)
	}
}

// An identify call naming one of our own people (an internal stakeholder
// imported by an admin) cannot move their e-mail to someone else's, which
// would hand that person read access to the account.
func TestSegmentCannotRekeyInternalStakeholder(t *testing.T) {
	e := newEnv(t, nil, nil)
	e.withSegmentID()
	ctx := context.Background()
	sponsor := domain.Stakeholder{Name: "Ana Sponsor", Email: "ana@example.com", Internal: true}
	if _, err := e.db.Apply(ctx, []domain.Patch{{ID: "acme", ReplaceStakeholders: true, Stakeholders: []domain.Stakeholder{sponsor}}}); err != nil {
		t.Fatal(err)
	}
	batch := "[" + group("m-g1", "u9", "acme") + "," + identify("m-i9", "u9", `{"name":"Ana Sponsor","email":"bo@example.com","title":"Intern"}`) + "]"
	if w := e.segment(batch); w.Code != 200 {
		t.Fatalf("%d %s", w.Code, w.Body)
	}
	e.drain()
	a := e.account("acme")
	if len(a.Stakeholders) != 1 || a.Stakeholders[0].Email != "ana@example.com" || !a.Stakeholders[0].Internal {
		t.Fatalf("stakeholders = %+v", a.Stakeholders)
	}
}
