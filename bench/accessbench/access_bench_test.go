// Package accessbench measures what the access check adds to an answer:
// the decision (domain.Authorize) and the owner-index lookup that tells
// whether the asker is a known CSM, next to a representative in-process
// answer (`account acme health` on the example book). `make bench` is to
// report the ratio as "access adds < 5% to answer p99".
//
//	go test -run '^$' -bench . -benchmem ./bench/accessbench
package accessbench

import (
	"context"
	"github.com/accountbot/accountbot/storage/badger"
	"testing"
	"time"

	"github.com/accountbot/accountbot/bot"
	"github.com/accountbot/accountbot/domain"
	"github.com/accountbot/accountbot/storage/storagetest"
)

var at = time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)

// access is a realistic configuration: a few admins, managers by list and
// by domain, viewers; the asker matches none of them before the owner rule.
var access = domain.AccessConfig{
	Mode:               domain.AccessStrict,
	AuditRetentionDays: 400,
	Admins:             []string{"boss@example.com", "ops@example.com"},
	Managers: []domain.ManagerRole{
		{Who: []string{"lead@example.com"}, Team: []string{"ben@example.com", "carl@example.com", "dana@example.com"}},
		{Who: []string{"emea.lead@example.com"}, Team: []string{"@emea.example.com"}},
	},
	Viewers: []domain.ViewerRole{{Who: []string{"@finance.example.com"}, Scope: []string{"*"}}},
}

func BenchmarkAuthorize(b *testing.B) {
	p := domain.Principal{Email: "ana@example.com", Home: true, InBook: true}
	need := domain.Requirement{Scope: domain.ScopeAccount}
	target := domain.Target{Owner: "ben@example.com", Stakeholders: []string{"eve@example.com", "ana@example.com"}}
	b.ReportAllocs()
	for b.Loop() {
		if !domain.Authorize(p, need, target, access).Allowed {
			b.Fatal("refused")
		}
	}
}

func engine(b *testing.B) (*bot.Engine, *badger.DB) {
	db := storagetest.Open(b)
	return bot.NewEngine(db, domain.DefaultConfig(), nil), db
}

var req = bot.Request{Text: "account acme health", Now: at, User: bot.User{ID: "U1", Email: "ana@example.com", Platform: "slack"}}

// BenchmarkAnswer is the in-process answer without any access check.
func BenchmarkAnswer(b *testing.B) {
	e, _ := engine(b)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if m := e.Handle(ctx, req); m.Error {
			b.Fatal(m.Title)
		}
	}
}

// BenchmarkAnswerWithAccess adds what enforcement will do per request:
// the owner-index lookup (is the asker a known CSM?) and the decision. The
// account's owner comes from the account the engine resolves anyway, so
// it is read once here, outside the loop.
func BenchmarkAnswerWithAccess(b *testing.B) {
	e, db := engine(b)
	ctx := context.Background()
	a, err := db.Account(ctx, "acme")
	if err != nil {
		b.Fatal(err)
	}
	target := domain.Target{Owner: a.Owner}
	b.ReportAllocs()
	for b.Loop() {
		inBook, err := db.OwnsAccounts(ctx, req.User.Email)
		if err != nil {
			b.Fatal(err)
		}
		p := domain.Principal{Email: req.User.Email, Home: true, InBook: inBook}
		if !domain.Authorize(p, domain.Requirement{Scope: domain.ScopeAccount}, target, access).Allowed {
			b.Fatal("refused")
		}
		if m := e.Handle(ctx, req); m.Error {
			b.Fatal(m.Title)
		}
	}
}

// BenchmarkOwnerLookup is the one store read enforcement adds (the engine
// already reads the account it answers about, owner included).
func BenchmarkOwnerLookup(b *testing.B) {
	_, db := engine(b)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if ok, err := db.OwnsAccounts(ctx, "ana@example.com"); err != nil || !ok {
			b.Fatal(ok, err)
		}
	}
}
