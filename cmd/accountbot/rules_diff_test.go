package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/accountbot/accountbot/bot/schema"
	"github.com/accountbot/accountbot/replay"
)

// The README's walk-through: the demo book and the example candidate give
// a back-test with something in it, as text and as JSON matching the
// committed schema.
func TestRulesDiffOnTheDemoBook(t *testing.T) {
	dir := t.TempDir()
	if r := run(t, nil, "", "--data", dir, "demo"); r.code != 0 {
		t.Fatalf("demo: %+v", r)
	}
	cand := filepath.Join("..", "..", "examples", "rules-candidate.yaml")
	r := run(t, nil, "", "--data", dir, "rules", "diff", cand)
	if r.code != 0 {
		t.Fatalf("rules diff: %+v", r)
	}
	for _, want := range []string{"Accounts that change", "Largest accounts that change", "alert budget:",
		"Back-test: HIGH or DECISION POINT", "Back-test: TOP PRIORITY", "precision", "median lead (weeks)", "health."} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("text output lacks %q:\n%s", want, r.stdout)
		}
	}
	r = run(t, nil, "", "--data", dir, "rules", "diff", "--json", "--weeks", "13", cand)
	if r.code != 0 {
		t.Fatalf("rules diff --json: %+v", r)
	}
	var v any
	if err := json.Unmarshal([]byte(r.stdout), &v); err != nil {
		t.Fatal(err)
	}
	if err := compileSchema(t, schema.RulesDiffFile).Validate(v); err != nil {
		t.Errorf("output does not match %s: %v", schema.RulesDiffFile, err)
	}
	var d replay.Diff
	if err := json.Unmarshal([]byte(r.stdout), &d); err != nil {
		t.Fatal(err)
	}
	risk, exp := d.Backtest.Risk, d.Backtest.Expansion
	if d.Weeks != 13 || d.Accounts < 200 || d.ChangedAnyWeek.Accounts == 0 || len(d.Largest) != replay.MaxLargest || len(d.ByCSM) != 8 ||
		risk.Current.Accounts < 10 || risk.Current.Caught == 0 || exp.Current.Accounts < 10 || d.Alerts.Candidate <= d.Alerts.Current {
		t.Errorf("the demo back-test is thin: weeks %d accounts %d changed %+v largest %d csms %d risk %+v expansion %+v alerts %+v",
			d.Weeks, d.Accounts, d.ChangedAnyWeek, len(d.Largest), len(d.ByCSM), risk, exp, d.Alerts)
	}
}

// A bad candidate is refused with the field named, before any replay.
func TestRulesDiffRefusesABadCandidate(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	tests := []struct {
		name, body, want string
	}{
		{"unknown key", "health:\n  usage_decline_pointz: 20\n", "usage_decline_pointz"},
		{"out of range", "health:\n  usage_decline_points: 500\n", "health.usage_decline_points"},
		{"whole config file with a typo", "rules:\n  tiers:\n    tier1_min_ar: 5\n", "tier1_min_ar"},
		{"not YAML", "health: [\n", "candidate rules"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := run(t, nil, "", "--data", filepath.Join(dir, "data"), "rules", "diff", write("c.yaml", tt.body))
			if r.code != 1 || !strings.Contains(r.stderr, tt.want) {
				t.Errorf("exit %d, stderr %q; want 1 naming %q", r.code, r.stderr, tt.want)
			}
			if _, err := os.Stat(filepath.Join(dir, "data")); err == nil {
				t.Error("the store was opened for a bad candidate")
			}
		})
	}
	if r := run(t, nil, "", "--data", dir, "rules", "diff"); r.code != 1 {
		t.Errorf("no file: %+v", r)
	}
	if r := run(t, nil, "", "--data", dir, "rules"); r.code != 2 {
		t.Errorf("no subcommand: %+v", r)
	}
}

// Digest differences name the accounts; a name two listed accounts share
// carries the id so the CSM can tell them apart.
func TestAccountLabels(t *testing.T) {
	label := accountLabels(map[string]string{"acme": "Acme", "acme-2": "Acme Labs", "acme-3": "Acme Labs", "blank": ""})
	tests := []struct {
		ids  []string
		want string
	}{
		{[]string{"acme"}, "Acme"},
		{[]string{"acme-2", "acme"}, "Acme Labs (acme-2), Acme"},
		{[]string{"acme-3"}, "Acme Labs (acme-3)"},
		{[]string{"blank", "unknown"}, "blank, unknown"},
		{nil, ""},
	}
	for _, tt := range tests {
		if got := label(tt.ids); got != tt.want {
			t.Errorf("%v: %q, want %q", tt.ids, got, tt.want)
		}
	}
}
