package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"time"

	"github.com/accountbot/accountbot/storage/badger"

	"github.com/accountbot/accountbot/bot"
	"github.com/accountbot/accountbot/domain"
	"github.com/accountbot/accountbot/storage/demo"
)

// operator is the console without --as: admin, so the access check stops
// at its first line. The answer measurements ask as the operator.
var operator = bot.User{Operator: true, Platform: "bench"}

// accessResult is what the access check adds to an answer: the same
// `account X health` asked by the operator (no check) and by the account's
// owner (the owner-index lookup, name resolution among readable accounts
// and domain.Authorize), interleaved so that both see the same cache and
// the same load.
type accessResult struct {
	baseP99, checkedP99 time.Duration
}

// overhead is the check's share of the answer p99, in percent.
func (a accessResult) overhead() float64 {
	if a.baseP99 == 0 {
		return 0
	}
	return 100 * (float64(a.checkedP99) - float64(a.baseP99)) / float64(a.baseP99)
}

func accessCost(ctx context.Context, e *bot.Engine, db *badger.DB, ids []string, now time.Time) (accessResult, error) {
	owners := make([]string, len(ids))
	for i, id := range ids {
		a, err := db.Account(ctx, id)
		if err != nil {
			return accessResult{}, err
		}
		owners[i] = a.Owner
	}
	// Five measured passes after a warm-up; each side keeps its best p99,
	// as the digest keeps its best run: on a shared machine a pass's p99 is
	// often another process's time slice.
	var res accessResult
	for pass := range 6 {
		base := make([]time.Duration, 0, len(ids))
		checked := make([]time.Duration, 0, len(ids))
		for i, id := range ids {
			text := fmt.Sprintf("account %s health", id)
			for _, u := range []bot.User{operator, {Email: owners[i], Platform: "bench"}} {
				t := time.Now()
				m := e.Handle(ctx, bot.Request{Text: text, Now: now, User: u})
				d := time.Since(t)
				if m.Error {
					return accessResult{}, fmt.Errorf("%s as %q: %v", text, u.Email, m.Data)
				}
				if u.Operator {
					base = append(base, d)
				} else {
					checked = append(checked, d)
				}
			}
		}
		if pass == 0 {
			continue // warm-up
		}
		b, c := percentile(base, .99), percentile(checked, .99)
		if res.baseP99 == 0 || b < res.baseP99 {
			res.baseP99 = b
		}
		if res.checkedP99 == 0 || c < res.checkedP99 {
			res.checkedP99 = c
		}
	}
	return res, nil
}

// accessOnly measures only the access check, on a fresh book of n
// accounts, and prints the figure (`-only-access`: a minute, not the
// whole run; nothing is written).
func accessOnly(ctx context.Context, n int, o options) (accessResult, error) {
	dir := tempDir("bench-access-")
	defer os.RemoveAll(dir)
	db, err := badger.Open(ctx, dir, badger.Options{})
	if err != nil {
		return accessResult{}, err
	}
	defer db.Close()
	opt := demo.Options{Accounts: n, Owners: owners(n), Weeks: o.weeks, Seed: 42, Today: today}
	for from := 0; from < n; from += 2000 {
		if _, err := db.Apply(ctx, demo.GenerateRange(opt, from, min(from+2000, n))); err != nil {
			return accessResult{}, err
		}
	}
	e := bot.NewEngine(db, domain.DefaultConfig(), nil)
	rng := rand.New(rand.NewPCG(7, 7))
	ids := make([]string, 3000)
	for i := range ids {
		ids[i] = fmt.Sprintf("acct-%05d", rng.IntN(n)+1)
	}
	return accessCost(ctx, e, db, ids, today.Time().Add(9*time.Hour))
}
