package storagetest

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/accountbot/accountbot/domain"
	"github.com/accountbot/accountbot/storage"
)

// A backup restores to a store that reads the same: the book with its
// usage, signals and indexes, and everything else people and platforms
// wrote.
func testBackupRoundTrip(t *testing.T, s Store) {
	ctx := context.Background()
	r, ok := s.(Restorer)
	if !ok {
		t.Fatalf("the suite's store %T does not implement storagetest.Restorer: wrap it in the backend's test", s)
	}
	apply(t, s, ExamplePatches(t)...)
	fill(t, s)
	var buf bytes.Buffer
	if err := s.Backup(ctx, &buf); err != nil {
		t.Fatal(err)
	}
	back, err := r.Restored(ctx, t, bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatalf("restoring the backup: %v", err)
	}
	if a, b := snapshot(t, s), snapshot(t, back); a != b {
		t.Errorf("the restored store reads differently:\n%s\nvs\n%s", a, b)
	}
	// The indexes came along.
	if res, _ := back.Resolve(ctx, "acme"); len(res.IDs) == 0 {
		t.Error("Resolve finds nothing in the restored store")
	}
}

// fill writes one of each kind of record besides the book.
func fill(t *testing.T, s Store) {
	ctx := context.Background()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	var first string
	must(s.ForEach(ctx, func(a *domain.Account) error {
		if first == "" {
			first = a.ID
		}
		return nil
	}))
	must(s.LedgerPut(ctx, domain.LedgerEntry{Key: "digest|2026-11-23|ana@example.com", Kind: domain.NudgeDigest, Recipient: "ana@example.com", State: domain.LedgerSent, DueAt: now, UpdatedAt: now}))
	must(s.SetSettings(ctx, "ana@example.com", domain.UserSettings{DigestAt: "07:30"}))
	must(s.SetSnooze(ctx, "ana@example.com", first, day.AddDays(3)))
	must(s.AddOutcome(ctx, domain.Outcome{AccountID: first, Date: day, Result: domain.Won}))
	must(s.AppendAudit(ctx, domain.AuditEntry{At: now, Platform: "slack", Email: "ana@example.com", Kind: domain.AuditCommand, Verb: "account health", Result: domain.AuditOK}))
	must(s.PutToken(ctx, storage.Token{ID: "tok1", Name: "etl", Scopes: []string{"ingest"}, Hash: []byte{1}, Created: now}))
	must(s.PutRef(ctx, "slack", "email:ana@example.com", []byte(`{"channel":"D1"}`)))
	must(s.PutScores(ctx, []domain.Scored{{ID: first, Snapshot: domain.ScoreSnapshot{Date: day, Combined: 42}}}))
	_, _, err := s.LearnInstallation(ctx, domain.Installation{Platform: "slack", Workspace: "T1", LearnedAt: now})
	must(err)
}

// snapshot reads everything fill and the book wrote, as JSON.
func snapshot(t *testing.T, s Store) string {
	ctx := context.Background()
	var out struct {
		Accounts  []domain.Account
		Owners    []domain.OwnerCount
		Renewing  []string
		Ledger    []domain.LedgerEntry
		Settings  domain.UserSettings
		Snoozes   map[string]domain.Date
		Outcomes  []domain.Outcome
		Audit     []domain.AuditEntry
		Tokens    []storage.Token
		Ref       []byte
		Scores    []domain.ScoreSnapshot
		Installed domain.Installation
	}
	var errs []error
	keep := func(err error) { errs = append(errs, err) }
	keep(s.ForEach(ctx, func(a *domain.Account) error {
		c := *a
		c.Usage, c.Signals = append([]domain.Snapshot(nil), a.Usage...), append([]domain.Signal(nil), a.Signals...)
		out.Accounts = append(out.Accounts, c)
		return nil
	}))
	var err error
	out.Owners, err = s.Owners(ctx)
	keep(err)
	out.Renewing, err = s.IDsRenewingBetween(ctx, day.AddDays(-3650), day.AddDays(3650))
	keep(err)
	out.Ledger, err = s.LedgerSince(ctx, time.Time{})
	keep(err)
	out.Settings, err = s.Settings(ctx, "ana@example.com")
	keep(err)
	out.Snoozes, err = s.Snoozes(ctx, "ana@example.com")
	keep(err)
	out.Outcomes, err = s.Outcomes(ctx, 0, day.AddDays(3650))
	keep(err)
	out.Audit, err = s.Audit(ctx, storage.AuditQuery{})
	keep(err)
	out.Tokens, err = s.Tokens(ctx)
	keep(err)
	out.Ref, _, err = s.Ref(ctx, "slack", "email:ana@example.com")
	keep(err)
	if len(out.Accounts) > 0 {
		out.Scores, err = s.ScoreHistory(ctx, out.Accounts[0].ID, 0, day.AddDays(1))
		keep(err)
	}
	out.Installed, _, err = s.Installation(ctx, "slack")
	keep(err)
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	b, err := json.MarshalIndent(out, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
