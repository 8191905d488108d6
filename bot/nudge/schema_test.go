package nudge_test

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/accountbot/accountbot/bot"
	"github.com/accountbot/accountbot/bot/schema"
	"github.com/accountbot/accountbot/domain"
)

// TestNudgesJSONMatchesTheSchema: `portfolio nudges` needs serve's
// scheduler, so `ask --json` cannot show it; its typed result is checked
// against the committed schema here, for the asker's view and everyone's.
func TestNudgesJSONMatchesTheSchema(t *testing.T) {
	name := "portfolio.nudges.json"
	sch, err := schema.Load(filepath.Join("..", "..", "docs", "schemas"), name)
	if err != nil {
		t.Fatal(err)
	}

	start := time.Date(2026, 11, 23, 8, 0, 0, 0, time.UTC)
	db := simBook(t, start)
	s := newScheduler(t, db, &fakeNotifier{failFor: "bo@example.com"})
	run(t, s, start, start.Add(time.Hour))
	e := bot.NewEngine(db, domain.DefaultConfig(), nil)
	e.Nudges = s
	for _, u := range []bot.User{{Email: "ana@example.com"}, {Email: "bo@example.com"}, {Operator: true}} {
		m := e.Handle(context.Background(), bot.Request{Text: "portfolio nudges", Now: start.Add(time.Hour), User: u})
		out, err := json.Marshal(m.Data)
		if err != nil || m.Error {
			t.Fatalf("%s: %v %s", u.Email, err, out)
		}
		inst, _ := jsonschema.UnmarshalJSON(bytes.NewReader(out))
		if err := sch.Validate(inst); err != nil {
			t.Errorf("%q: does not match %s: %v\n%s", u.Email, name, err, out)
		}
	}
}
