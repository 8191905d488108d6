package bot_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/accountbot/accountbot/bot"
	"github.com/accountbot/accountbot/evaluator"
)

// TestPortfolioTopFromStoredRanks: with stored ranks, `portfolio top` (and
// so the App Home) answers exactly what ranking the book from scratch
// answers, for every owner and the whole book, and access still applies.
func TestPortfolioTopFromStoredRanks(t *testing.T) {
	ctx := context.Background()
	e, db := newEngine(t)
	owners, err := db.Owners(ctx)
	if err != nil || len(owners) < 2 {
		t.Fatalf("owners = %v, %v", owners, err)
	}
	type asked struct{ text, as string }
	cases := []asked{{"portfolio top", ""}, {"portfolio dashboard", ""}}
	for _, o := range owners {
		cases = append(cases, asked{"portfolio top", o.Owner}, asked{"portfolio top for " + o.Owner, ""}, asked{"portfolio dashboard", o.Owner})
	}
	answer := func(c asked) string {
		_, data := ask(t, e, c.text, c.as)
		b, _ := json.Marshal(data)
		return string(b)
	}
	scanned := map[asked]string{}
	for _, c := range cases {
		scanned[c] = answer(c)
	}
	ev := evaluator.New(db, evaluator.Options{Rules: e.Rules(), Now: func() time.Time { return now }})
	e.Ranks = ev
	for _, c := range cases[:1] { // before the first check: the scan answers
		if got := answer(c); got != scanned[c] {
			t.Errorf("%q before the ranks are ready:\n%s\nwant\n%s", c.text, got, scanned[c])
		}
	}
	if _, err := ev.Check(ctx, now); err != nil {
		t.Fatal(err)
	}
	for _, c := range cases {
		if got := answer(c); got != scanned[c] {
			t.Errorf("%q as %q from stored ranks:\n%s\nwant\n%s", c.text, c.as, got, scanned[c])
		}
	}
	// Access is decided before the ranks are read.
	if m, _ := ask(t, e, "portfolio top for all", owners[0].Owner); !m.Error {
		t.Errorf("a CSM read the whole book's top: %s", bot.RenderText(m))
	}
}
