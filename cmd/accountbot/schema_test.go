package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/accountbot/accountbot/bot"
	"github.com/accountbot/accountbot/bot/schema"
	"github.com/accountbot/accountbot/domain"
)

// askExamples are commands that exercise each verb's arguments on the
// example book; every verb without one runs bare.
var askExamples = map[string][]string{
	"account":            {"account acme", "account initech"},
	"account.renewal":    {"account soylent renewal", "account soylent renewal draft"},
	"account.expand":     {"account globex expand", "account globex expand draft seats"},
	"account.roi":        {"account acme roi", "account acme roi hours_per_month=120 rate=50 cost_per_month=5000"},
	"account.objection":  {"account acme objection budget"},
	"account.note":       {`account acme note He said "ship it" = yes`},
	"account.notes":      {"account acme notes", "account acme notes limit=1"},
	"account.signal":     {"account acme signal hiring 12 new engineers"},
	"account.outcome":    {"account acme outcome won seats 12000 signed", "account acme outcome pending"},
	"account.snooze":     {"account acme snooze 3"},
	"account.arr":        {"account globex arr seats 1000", "account globex arr 500 date=2026-11-23"},
	"portfolio":          {"portfolio"},
	"portfolio.top":      {"portfolio top", "portfolio top for bo"},
	"portfolio.nrr":      {"portfolio nrr months=6"},
	"portfolio.settings": {"portfolio settings", "portfolio settings digest 09:15 quiet off"},
	"help":               {"help", "help account"},
}

// TestAskJSONMatchesTheSchemas runs every command through `ask --json` and
// validates the output against its committed schema; errors against the
// error schema.
func TestAskJSONMatchesTheSchemas(t *testing.T) {
	dir := t.TempDir()
	if r := run(t, nil, "", append([]string{"--data", dir, "import"}, examples(t)...)...); r.code != 0 {
		t.Fatalf("import: %+v", r)
	}
	errSchema := compileSchema(t, schema.ErrorFile)
	for _, v := range bot.NewEngine(nil, domain.DefaultConfig(), nil).Registry().All() {
		cmds, ok := askExamples[v.Key()]
		if !ok {
			cmds = []string{strings.ReplaceAll(v.Key(), ".", " ")}
			if v.Noun == "account" {
				cmds = []string{"account globex " + v.Name}
			}
		}
		want := compileSchema(t, schema.File(v))
		for _, cmd := range cmds {
			as := []string{} // the operator (admin) reads every account
			if v.Access == domain.ScopeSelf || v.Key() == "account.snooze" {
				as = []string{"--as", "ana@example.com"} // settings and snoozes are someone's (ana owns acme)
			}
			r := run(t, nil, "", append(append([]string{"--data", dir, "ask", "--json"}, as...), "--at", "2026-11-23", cmd)...)
			sch := want
			if r.code != 0 {
				if v.Key() != "portfolio.nudges" { // needs serve's scheduler
					t.Errorf("%s: exit %d: %s", cmd, r.code, r.stdout)
				}
				sch = errSchema
			}
			validate(t, sch, cmd, r.stdout)
		}
	}
	for _, bad := range []string{"account nosuch", "account acme roi rate=x", "dance"} {
		r := run(t, nil, "", "--data", dir, "ask", "--json", bad)
		if r.code != 1 {
			t.Errorf("%s: exit %d", bad, r.code)
		}
		validate(t, errSchema, bad, r.stdout)
	}
}

func compileSchema(t *testing.T, name string) *jsonschema.Schema {
	t.Helper()
	s, err := schema.Load(filepath.Join("..", "..", "docs", "schemas"), name)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func validate(t *testing.T, s *jsonschema.Schema, cmd, out string) {
	t.Helper()
	if !json.Valid([]byte(out)) {
		t.Errorf("%s: not JSON: %s", cmd, out)
		return
	}
	inst, _ := jsonschema.UnmarshalJSON(strings.NewReader(out))
	if err := s.Validate(inst); err != nil {
		t.Errorf("%s: output does not match %s: %v\n%s", cmd, s.Location, err, out)
	}
}
