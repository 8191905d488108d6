package storagetest

import (
	"context"
	"testing"
	"time"

	"github.com/accountbot/accountbot/domain"
	"github.com/accountbot/accountbot/storage"
)

func testExternalIDsAreIndexedWithTheAccount(t *testing.T, s Store) {
	ctx := context.Background()
	var err error
	acct := func(id string, ext domain.ExternalIDs) domain.Patch {
		return domain.Patch{ID: id, Core: &domain.Account{ID: id, Name: id, Currency: "USD", ARR: 100, ExternalIDs: ext}}
	}
	resolve := func(src, ref string) string {
		id, err := s.ResolveAccount(ctx, src, ref)
		if err != nil && domain.ErrorCode(err) != domain.ENOTFOUND {
			t.Fatal(err)
		}
		return id
	}
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	if err := s.AddUnmatched(ctx, domain.UnmatchedRecord{Source: "crm", ExternalID: "0015A", Kind: "account"}, now); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Apply(ctx, []domain.Patch{acct("a", domain.ExternalIDs{"crm": "0015A", "billing": "cus_1"}), acct("b", nil)}); err != nil {
		t.Fatal(err)
	}
	if resolve("crm", "0015A") != "a" || resolve("billing", "cus_1") != "a" || resolve("crm", "cus_1") != "" || resolve("segment", "b") != "b" {
		t.Error("resolution by external id or account id failed")
	}
	if rev, _ := s.Unmatched(ctx); len(rev) != 0 {
		t.Errorf("the matched record stayed on the review list: %+v", rev)
	}
	// Names are never matched.
	if resolve("crm", "a ") != "" {
		t.Error("resolved something that is neither an id nor an external id")
	}
	// Another account may not take a held id; nothing of that batch is written.
	_, err = s.Apply(ctx, []domain.Patch{acct("b", domain.ExternalIDs{"crm": "0015A"})})
	if domain.ErrorCode(err) != domain.EINVALID {
		t.Fatalf("duplicate external id: %v", err)
	}
	// Changing an id moves the index entry.
	if _, err := s.Apply(ctx, []domain.Patch{acct("a", domain.ExternalIDs{"crm": "0015B"})}); err != nil {
		t.Fatal(err)
	}
	if resolve("crm", "0015A") != "" || resolve("crm", "0015B") != "a" || resolve("billing", "cus_1") != "" {
		t.Error("the index did not follow the change")
	}
	// Now b may take the released id.
	if _, err := s.Apply(ctx, []domain.Patch{acct("b", domain.ExternalIDs{"crm": "0015A"})}); err != nil {
		t.Fatal(err)
	}
	// Invalid ids are refused by validation.
	if _, err := s.Apply(ctx, []domain.Patch{acct("c", domain.ExternalIDs{"CRM": "x"})}); domain.ErrorCode(err) != domain.EINVALID {
		t.Errorf("bad source: %v", err)
	}
	if _, err := s.Apply(ctx, []domain.Patch{acct("c", domain.ExternalIDs{"crm": "a\x00b"})}); domain.ErrorCode(err) != domain.EINVALID {
		t.Errorf("NUL in id: %v", err)
	}
	// The review list counts repeats.
	for range 3 {
		s.AddUnmatched(ctx, domain.UnmatchedRecord{Source: "segment", ExternalID: "grp_x", Kind: "group"}, now)
	}
	rev, _ := s.Unmatched(ctx)
	if len(rev) != 1 || rev[0].Count != 3 || !rev[0].FirstSeen.Equal(now) {
		t.Errorf("review list = %+v", rev)
	}
}

func testTokensStoreOnlyTheHash(t *testing.T, s Store) {
	ctx := context.Background()
	var err error
	tok := storage.Token{ID: "abc123", Name: "etl", Scopes: []string{"ingest"}, Hash: []byte{1, 2, 3}}
	if err := s.PutToken(ctx, tok); err != nil {
		t.Fatal(err)
	}
	if err := s.PutToken(ctx, tok); domain.ErrorCode(err) != domain.ECONFLICT {
		t.Errorf("same id twice: %v", err)
	}
	got, err := s.Token(ctx, "abc123")
	if err != nil || got.Name != "etl" || string(got.Hash) != "\x01\x02\x03" {
		t.Errorf("token = %+v, %v", got, err)
	}
	if err := s.RevokeToken(ctx, "abc123"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Token(ctx, "abc123"); domain.ErrorCode(err) != domain.ENOTFOUND {
		t.Errorf("revoked token: %v", err)
	}
	if err := s.RevokeToken(ctx, "abc123"); domain.ErrorCode(err) != domain.ENOTFOUND {
		t.Errorf("revoking twice: %v", err)
	}
}
