package main

import (
	"context"
	"encoding/json"
	"fmt"
	"github.com/accountbot/accountbot/storage/badger"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/accountbot/accountbot/domain"
)

func writeFile(t *testing.T, dir, name, text string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestRulesApplyHistoryShowRollback(t *testing.T) {
	dir := t.TempDir()
	cand := writeFile(t, t.TempDir(), "cand.yaml", "health:\n  whitespace_points: 15\n")
	rules := func(args ...string) result {
		return run(t, nil, "", append([]string{"--data", dir, "rules"}, args...)...)
	}

	r := rules("history")
	if r.code != 0 || !strings.HasPrefix(r.stdout, "v1  2026-11-23 09:00 UTC  config file  \"the rules at first start (built-in defaults)\"") {
		t.Fatalf("first history: %+v", r)
	}
	if r = rules("apply", cand); r.code != 1 || !strings.Contains(r.stderr, `needs --note "why"`) {
		t.Errorf("apply without a note: %+v", r)
	}
	r = rules("apply", cand, "--note", "whitespace matters more", "--by", "ana@example.com")
	if r.code != 0 || !strings.Contains(r.stdout, "Applied rules v2 (by ana@example.com): 1 change(s) from v1.\n  health.whitespace_points 10 → 15") {
		t.Fatalf("apply: %+v", r)
	}
	if r = rules("show", "v2"); r.code != 0 || !strings.Contains(r.stdout, "whitespace_points: 15") || strings.Contains(r.stdout, "access") ||
		!strings.HasPrefix(r.stdout, "# rules v2, applied 2026-11-23 09:00 UTC by ana@example.com: whitespace matters more") {
		t.Errorf("show v2: %+v", r)
	}
	if r = rules("apply", "v1", "--note", "back to the seeds"); r.code != 0 || !strings.Contains(r.stdout, "Applied rules v3") ||
		!strings.Contains(r.stdout, "health.whitespace_points 15 → 10") {
		t.Fatalf("rollback: %+v", r)
	}
	if r = rules("apply", "v1", "--note", "again"); r.code != 1 || !strings.Contains(r.stderr, "no rule differs from v3") {
		t.Errorf("rollback to the rules in force: %+v", r)
	}
	if r = rules("apply", "v9", "--note", "x"); r.code != 1 || !strings.Contains(r.stderr, "no rules version v9") {
		t.Errorf("unknown version: %+v", r)
	}
	r = rules("history", "--json")
	var hist []struct {
		Version      int `json:"version"`
		RestoredFrom int `json:"restored_from"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &hist); err != nil || len(hist) != 3 {
		t.Fatalf("history --json: %v %s", err, r.stdout)
	}
	for i, h := range hist {
		if h.Version != i+1 {
			t.Errorf("history[%d] = v%d", i, h.Version)
		}
	}
	if hist[2].RestoredFrom != 1 {
		t.Errorf("v3 restored from %d", hist[2].RestoredFrom)
	}
	if r = rules("history"); !strings.Contains(r.stdout, `v3  2026-11-23 09:00 UTC`) || !strings.Contains(r.stdout, "(rollback to v1)") {
		t.Errorf("history: %s", r.stdout)
	}
	// The candidate shown is the candidate applied: show → apply round-trips.
	shown := writeFile(t, t.TempDir(), "v2.yaml", rules("show", "v2").stdout)
	if r = rules("apply", shown, "--note", "v2 again"); r.code != 0 || !strings.Contains(r.stdout, "Applied rules v4") {
		t.Errorf("apply what show printed: %+v", r)
	}
}

func TestRulesApplyRefusesBadCandidates(t *testing.T) {
	dir := t.TempDir()
	cases := []struct{ yaml, want string }{
		{"health:\n  whitespace_points: 250\n", "health.whitespace_points: must be between 0 and 100"},
		{"priority:\n  foo: 1\n", "unknown key priority.foo"},
		{"priority:\n  top_m: 1\n", "did you mean priority.top_n?"},
		{"tiers:\n  tier1_min_arr: lots\n", `tiers.tier1_min_arr: must be a whole number, got "lots"`},
		{"access:\n  admins: [mallory@example.com]\n", "access: roles and audit retention are not versioned rules"},
	}
	for _, c := range cases {
		p := writeFile(t, t.TempDir(), "bad.yaml", c.yaml)
		r := run(t, nil, "", "--data", dir, "rules", "apply", p, "--note", "bad")
		if r.code != 1 || !strings.Contains(r.stderr, c.want) || !strings.Contains(r.stderr, "nothing applied") {
			t.Errorf("%q: %+v", c.yaml, r)
		}
	}
	if r := run(t, nil, "", "--data", dir, "rules", "history"); strings.Count(r.stdout, "\nv") != 0 || !strings.HasPrefix(r.stdout, "v1 ") {
		t.Errorf("a refused candidate left a version: %s", r.stdout)
	}
}

// Stored versions win; a key edited in the config file becomes a new
// version over the one in force, without undoing an applied change.
func TestRulesConfigFileEditsBecomeVersions(t *testing.T) {
	dir, cdir := t.TempDir(), t.TempDir()
	cfg := writeFile(t, cdir, "accountbot.yaml", "rules:\n  priority:\n    top_n: 5\n")
	cand := writeFile(t, cdir, "cand.yaml", "health:\n  whitespace_points: 15\n")
	rules := func(args ...string) result {
		return run(t, nil, "", append([]string{"--data", dir, "--config", cfg, "rules"}, args...)...)
	}
	if r := rules("apply", cand, "--note", "n", "--by", "ana"); r.code != 0 {
		t.Fatal(r)
	}
	if r := rules("show"); !strings.Contains(r.stdout, "# rules v2") || !strings.Contains(r.stdout, "whitespace_points: 15") {
		t.Fatalf("unchanged config file: %s", r.stdout)
	}
	writeFile(t, cdir, "accountbot.yaml", "rules:\n  priority:\n    top_n: 8\n")
	r := rules("history")
	if !strings.Contains(r.stdout, "v3  2026-11-23 09:00 UTC  config file  \"edited in "+cfg+"\"\n    priority.top_n 5 → 8\n") {
		t.Fatalf("after editing the config file: %s", r.stdout)
	}
	if r := rules("show"); !strings.Contains(r.stdout, "whitespace_points: 15") || !strings.Contains(r.stdout, "top_n: 8") {
		t.Errorf("v3 lost the applied change: %s", r.stdout)
	}
	if r := rules("history"); strings.Contains(r.stdout, "v4") {
		t.Errorf("an unchanged file recorded again: %s", r.stdout)
	}
}

// A running serve takes a new rules version through the control socket
// and answers with it as soon as the CLI returns, without a restart; a
// live restore of an older backup puts that backup's version back in force
// just as promptly.
func TestServePicksUpRulesApply(t *testing.T) {
	dir := t.TempDir()
	if r := run(t, nil, "", append([]string{"--data", dir, "import"}, examples(t)...)...); r.code != 0 {
		t.Fatal(r)
	}
	fake := newFakeSlack(t)
	srv := startServe(t, dir, fake.env())
	defer srv.stop(t)
	tier := func(when string, want int) {
		t.Helper()
		if out := srv.ask(t, fake, "globex health"); !strings.Contains(out, fmt.Sprintf("Globex Corporation — Tier %d — health", want)) {
			t.Fatalf("%s: want Tier %d, got %.300s\n%s", when, want, out, srv.tail())
		}
	}
	cli := func(args ...string) result {
		t.Helper()
		r := run(t, nil, "", append([]string{"--data", dir}, args...)...)
		if r.code != 0 {
			t.Fatalf("%s: %+v\n%s", strings.Join(args, " "), r, srv.tail())
		}
		return r
	}
	tier("before", 1)
	bak := filepath.Join(t.TempDir(), "v1.bak")
	cli("backup", bak)
	cand := writeFile(t, t.TempDir(), "cand.yaml", "tiers:\n  tier1_min_arr: 100000000\n")
	if r := cli("rules", "apply", cand, "--note", "fewer tier 1 accounts", "--by", "ana"); !strings.Contains(r.stdout, "Applied rules v2") ||
		!strings.Contains(r.stdout, "The running serve (pid") {
		t.Fatalf("apply did not go through the control socket: %+v\n%s", r, srv.tail())
	}
	tier("after rules apply", 2)
	if r := cli("rules", "history"); !strings.Contains(r.stdout, `v2  2026-11-23 09:00 UTC  ana  "fewer tier 1 accounts"`) {
		t.Errorf("history through the socket: %+v", r)
	}
	// The restarted engine reads the restored store's versions.
	if r := cli("restore", "--replace", bak); !strings.Contains(r.stdout, "serving again") {
		t.Fatalf("restore while serving: %+v\n%s", r, srv.tail())
	}
	tier("after restoring the v1 backup", 1)
}

// Every stored score names the rules version that produced it.
func TestScoresRecordTheirRulesVersion(t *testing.T) {
	dir := t.TempDir()
	version := func() int {
		t.Helper()
		db, err := badger.Open(context.Background(), dir, badger.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		today := domain.DateOf(fixedNow)
		h, err := db.ScoreHistory(context.Background(), "acme", today, today)
		if err != nil || len(h) != 1 {
			t.Fatalf("score history: %v %v", h, err)
		}
		return h[0].RulesVersion
	}
	if r := run(t, nil, "", append([]string{"--data", dir, "import"}, examples(t)...)...); r.code != 0 {
		t.Fatal(r)
	}
	if v := version(); v != 1 {
		t.Errorf("first scores: rules v%d, want v1", v)
	}
	cand := writeFile(t, t.TempDir(), "cand.yaml", "health:\n  budget_points: 12\n")
	if r := run(t, nil, "", "--data", dir, "rules", "apply", cand, "--note", "n"); r.code != 0 {
		t.Fatal(r)
	}
	if r := run(t, nil, "", "--data", dir, "demo", "--accounts", "1", "--force"); r.code != 0 { // rescores the book
		t.Fatal(r)
	}
	if v := version(); v != 2 {
		t.Errorf("scores after rules apply: rules v%d, want v2", v)
	}
}

// rules diff compares the candidate with the version in force, not with
// the config file: once the candidate is applied, diffing it again changes
// nothing; and the candidate applied is read as rules diff reads it.
func TestRulesDiffAgainstTheVersionInForce(t *testing.T) {
	dir := t.TempDir()
	if r := run(t, nil, "", append([]string{"--data", dir, "import"}, examples(t)...)...); r.code != 0 {
		t.Fatal(r)
	}
	cand := writeFile(t, t.TempDir(), "cand.yaml", "rules:\n  tiers:\n    tier1_min_arr: 100000000\n") // a whole config file's section
	changed := func() float64 {
		t.Helper()
		r := run(t, nil, "", "--data", dir, "rules", "diff", "--json", "--weeks", "2", cand)
		var d struct {
			Changed struct {
				Accounts float64 `json:"accounts"`
			} `json:"changed"`
		}
		if err := json.Unmarshal([]byte(r.stdout), &d); r.code != 0 || err != nil {
			t.Fatalf("rules diff: %v %+v", err, r)
		}
		return d.Changed.Accounts
	}
	if n := changed(); n == 0 {
		t.Fatal("the candidate changes no account before it is applied")
	}
	if r := run(t, nil, "", "--data", dir, "rules", "apply", cand, "--note", "fewer tier 1"); r.code != 0 {
		t.Fatal(r)
	}
	if n := changed(); n != 0 {
		t.Errorf("after apply the diff still changes %v accounts: it compared with the config file", n)
	}
}
