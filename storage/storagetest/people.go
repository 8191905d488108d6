package storagetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/accountbot/accountbot/domain"
	"github.com/accountbot/accountbot/storage"
)

// Snoozes and settings are per user; a later write replaces an earlier
// one; keys with hidden characters are refused.
func testSnoozesAndSettings(t *testing.T, s Store) {
	ctx := context.Background()
	if got, err := s.Snoozes(ctx, "ana@example.com"); err != nil || len(got) != 0 {
		t.Fatalf("no snoozes: %v %v", got, err)
	}
	if u, err := s.Settings(ctx, "ana@example.com"); err != nil || u != (domain.UserSettings{}) {
		t.Fatalf("no settings: %+v %v", u, err)
	}
	for _, sn := range []struct {
		user, id string
		until    domain.Date
	}{{"ana@example.com", "acme", day.AddDays(7)}, {"ana@example.com", "globex", day}, {"ana@example.com", "acme", day.AddDays(14)}, {"bo@example.com", "acme", day.AddDays(1)}} {
		if err := s.SetSnooze(ctx, sn.user, sn.id, sn.until); err != nil {
			t.Fatal(err)
		}
	}
	got, _ := s.Snoozes(ctx, "ana@example.com")
	if len(got) != 2 || got["acme"] != day.AddDays(14) || got["globex"] != day {
		t.Errorf("ana's snoozes = %v", got)
	}
	// A user whose e-mail starts like another's sees only their own.
	if got, _ := s.Snoozes(ctx, "ana@example.co"); len(got) != 0 {
		t.Errorf("a prefix of ana's e-mail sees %v", got)
	}
	u := domain.UserSettings{DigestAt: "07:30", TimeZone: "Europe/Paris", QuietFrom: "19:00", QuietTo: "08:00"}
	if err := s.SetSettings(ctx, "ana@example.com", domain.UserSettings{DigestOff: true}); err != nil {
		t.Fatal(err)
	}
	if err := s.SetSettings(ctx, "ana@example.com", u); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Settings(ctx, "ana@example.com"); got != u {
		t.Errorf("settings = %+v", got)
	}
	if got, _ := s.Settings(ctx, "bo@example.com"); got != (domain.UserSettings{}) {
		t.Errorf("bo's settings = %+v", got)
	}
	for name, err := range map[string]error{
		"snooze user": s.SetSnooze(ctx, "ana@example.com\x00acme", "x", day),
		"snooze id":   s.SetSnooze(ctx, "ana@example.com", "ac\u200bme", day),
		"settings":    s.SetSettings(ctx, "ana\x00@example.com", u),
		"ref key":     s.PutRef(ctx, "slack", "email:ana\x00", []byte("{}")),
	} {
		if domain.ErrorCode(err) != domain.EINVALID {
			t.Errorf("%s with a hidden character: %v", name, err)
		}
	}
}

// Outcomes: every one kept (two the same day too), by account then
// date, filtered by date inclusively; an unknown account is ENOTFOUND.
func testOutcomesOrder(t *testing.T, s Store) {
	ctx := context.Background()
	withAccount(t, s, "acme", "ana@example.com")
	withAccount(t, s, "beta", "ana@example.com")
	for _, o := range []domain.Outcome{
		{AccountID: "beta", Date: day, Result: domain.Won, Note: "b0"},
		{AccountID: "acme", Date: day, Result: domain.Won, Note: "a0"},
		{AccountID: "acme", Date: day.AddDays(-3), Result: domain.Lost, Note: "a-3"},
		{AccountID: "acme", Date: day, Result: domain.Pending, Note: "a0 again"},
		{AccountID: "acme", Date: day.AddDays(-30), Result: domain.Lost, Note: "old"},
	} {
		if err := s.AddOutcome(ctx, o); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.Outcomes(ctx, day.AddDays(-3), day)
	var notes []string
	for _, o := range got {
		notes = append(notes, o.Note)
	}
	if err != nil || fmt.Sprint(notes) != "[a-3 a0 a0 again b0]" {
		t.Errorf("outcomes = %q %v", notes, err)
	}
	if err := s.AddOutcome(ctx, domain.Outcome{AccountID: "ghost", Date: day, Result: domain.Won}); domain.ErrorCode(err) != domain.ENOTFOUND {
		t.Errorf("outcome of an unknown account: %v", err)
	}
}

// Idempotency answers are per token and key.
func testIdempotency(t *testing.T, s Store) {
	ctx := context.Background()
	if _, found, err := s.Idempotent(ctx, "tok1", "k1"); err != nil || found {
		t.Fatalf("empty: %v %v", found, err)
	}
	if err := s.PutIdempotent(ctx, "tok1", "k1", []byte(`{"accepted":3}`), time.Hour); err != nil {
		t.Fatal(err)
	}
	if got, found, _ := s.Idempotent(ctx, "tok1", "k1"); !found || string(got) != `{"accepted":3}` {
		t.Errorf("answer = %s %v", got, found)
	}
	if _, found, _ := s.Idempotent(ctx, "tok2", "k1"); found {
		t.Error("another token's key answered")
	}
	if _, found, _ := s.Idempotent(ctx, "tok1", "k2"); found {
		t.Error("another key answered")
	}
}

// Pruning removes records older than the cut from every view of the log.
func testPruneAudit(t *testing.T, s Store) {
	ctx := context.Background()
	t0 := now.Add(-100 * time.Hour)
	for i := range 100 {
		e := domain.AuditEntry{At: t0.Add(time.Duration(i) * time.Hour), Platform: "slack", Email: "ana@example.com", Account: "acme", Kind: domain.AuditCommand, Result: domain.AuditOK}
		if err := s.AppendAudit(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	cut := t0.Add(60 * time.Hour)
	if n, err := s.PruneAudit(ctx, cut); err != nil || n != 60 {
		t.Fatalf("pruned %d, %v; want 60", n, err)
	}
	for _, q := range []storage.AuditQuery{{}, {Who: "ana@example.com"}, {Account: "acme"}} {
		got, err := s.Audit(ctx, q)
		if err != nil || len(got) != 40 || !got[0].At.Equal(cut) {
			t.Errorf("after pruning, %+v gives %d records (err %v); want the 40 newest", q, len(got), err)
		}
	}
	if n, err := s.PruneAudit(ctx, cut); err != nil || n != 0 {
		t.Errorf("second prune: %d, %v", n, err)
	}
	if err := s.AppendAudit(ctx, domain.AuditEntry{Platform: "slack", Kind: domain.AuditCommand}); err == nil {
		t.Error("appended a record without a time")
	}
}
