package domain

import (
	"strings"
	"testing"
)

func TestParseRulesRefusesBadCandidates(t *testing.T) {
	cases := []struct {
		name, yaml string
		want       []string // every fragment must be in the error
	}{
		{"out of range", "health:\n  whitespace_points: 250\n", []string{"health.whitespace_points: must be between 0 and 100", "got 250"}},
		{"unknown key with a close one", "priority:\n  top_m: 3\n", []string{"unknown key priority.top_m (did you mean priority.top_n?)"}},
		{"unknown key far from all", "priority:\n  foo: 3\n", []string{"unknown key priority.foo (priority has:", "top_n"}},
		{"unknown section", "helth:\n  budget_points: 3\n", []string{"unknown key helth (did you mean health?)"}},
		{"wrong type int", "health:\n  budget_points: lots\n", []string{`health.budget_points: must be a whole number, got "lots"`}},
		{"wrong type bool", "priority:\n  competitor_raises_high: maybe\n", []string{"priority.competitor_raises_high: must be true or false"}},
		{"wrong array length", "tiers:\n  cadence_days: [30, 56]\n", []string{"tiers.cadence_days: must be a list of 3 whole numbers, got a list of 2"}},
		{"section as scalar", "health: 5\n", []string{"health: must be a section"}},
		{"unknown key inside a module", "triggers:\n  modules:\n    - name: X\n      keywords: [x]\n      motion: upsell\n      motoin: upsell\n", []string{"unknown key triggers.modules[0].motoin (did you mean triggers.modules[0].motion?)"}},
		{"access is not versioned", "access:\n  admins: [eve@example.com]\n", []string{"access: roles and audit retention are not versioned rules"}},
		{"bands inverted", "health:\n  engagement_high_min: 5\n", []string{"health.engagement_high_min: bands must satisfy"}},
		{"every mistake at once", "health:\n  whitespace_points: 250\n  budget_points: x\npriority:\n  fo: 1\n", []string{"budget_points", "priority.fo"}},
		{"not YAML", "health: [\n", []string{"not valid YAML"}},
		{"empty", "", []string{"the candidate is empty"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := ParseRules([]byte(c.yaml), DefaultConfig())
			if err == nil {
				t.Fatalf("accepted: %+v", got.Health)
			}
			if ErrorCode(err) != EINVALID {
				t.Errorf("code %s", ErrorCode(err))
			}
			for _, w := range c.want {
				if !strings.Contains(ErrorMessage(err), w) {
					t.Errorf("error %q lacks %q", ErrorMessage(err), w)
				}
			}
		})
	}
}

func TestParseRulesKeepsBaseForAbsentKeys(t *testing.T) {
	base := DefaultConfig()
	base.Health.BudgetPoints = 7
	got, err := ParseRules([]byte("health:\n  whitespace_points: 15\n"), base)
	if err != nil {
		t.Fatal(err)
	}
	if got.Health.WhitespacePoints != 15 || got.Health.BudgetPoints != 7 || len(got.Triggers.Modules) != len(base.Triggers.Modules) {
		t.Errorf("got whitespace %d budget %d modules %d", got.Health.WhitespacePoints, got.Health.BudgetPoints, len(got.Triggers.Modules))
	}
	ch := DiffRules(base, got)
	if len(ch) != 1 || ch[0] != (RuleChange{"health.whitespace_points", "10", "15"}) {
		t.Errorf("diff = %+v", ch)
	}
}

func TestRulesYAMLRoundTrips(t *testing.T) {
	c := DefaultConfig()
	c.Tiers.CadenceDays = [3]int{14, 30, 0}
	c.Renewal.MilestoneDays = []int{120, 30}
	c.Access.Admins = []string{"eve@example.com"}
	b, err := RulesYAML(c)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), "access") {
		t.Errorf("access printed:\n%s", b)
	}
	got, err := ParseRules(b, DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	if d := DiffRules(c, got); len(d) != 0 {
		t.Errorf("round trip changed %v", d)
	}
}

func TestDiffRules(t *testing.T) {
	a, b := DefaultConfig(), DefaultConfig()
	b.Health.PaymentFailedPoints++ // an inline key: no "billinghealth" in its path
	b.Tiers.CadenceDays[1] = 28
	b.Renewal.MilestoneDays = []int{90, 30}
	b.Triggers.Modules = b.Triggers.Modules[:len(b.Triggers.Modules)-1]
	b.Access.Admins = []string{"eve@example.com"}
	got := DiffRules(a, b)
	want := []string{"health.payment_failed_points", "tiers.cadence_days", "renewal.milestone_days", "triggers.modules[5]"}
	if len(got) != len(want) {
		t.Fatalf("diff = %+v", got)
	}
	for i, w := range want {
		if got[i].Key != w {
			t.Errorf("change %d = %+v, want key %s", i, got[i], w)
		}
	}
	if got[1].Old != "[30, 56, 0]" || got[1].New != "[30, 28, 0]" || got[3].New != "(removed)" {
		t.Errorf("values: %+v", got)
	}
	if s := SummarizeChanges(got, 2); !strings.HasSuffix(s, "and 2 more") {
		t.Errorf("summary %q", s)
	}
}

func TestOverlayRulesTakesOnlyTheChangedKeys(t *testing.T) {
	inForce := DefaultConfig()
	inForce.Health.WhitespacePoints = 15 // applied with `rules apply`
	seen, file := DefaultConfig(), DefaultConfig()
	file.Priority.TopN = 8                       // edited in the config file
	file.Health.PaymentFailedPoints = 3          // an inline key
	file.Triggers.Modules[1].Name = "Compliance" // inside a list: the whole list
	got := OverlayRules(inForce, file, DiffRules(seen, file))
	if got.Health.WhitespacePoints != 15 || got.Priority.TopN != 8 || got.Health.PaymentFailedPoints != 3 || got.Triggers.Modules[1].Name != "Compliance" {
		t.Errorf("overlay = whitespace %d top_n %d payment %d module %q", got.Health.WhitespacePoints, got.Priority.TopN, got.Health.PaymentFailedPoints, got.Triggers.Modules[1].Name)
	}
	if d := DiffRules(inForce, got); len(d) != 3 {
		t.Errorf("changes against the version in force: %v", d)
	}
}

// Hostile candidates: aliases that would expand a billion times, and
// random bytes, are refused (or read) without hanging or panicking.
func TestParseRulesHostile(t *testing.T) {
	laughs := "a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\n" +
		"d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\ne: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]\nf: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]\n" +
		"g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f]\nhealth: &h {whitespace_points: 5}\ntriggers:\n  modules: [*g]\n"
	if _, err := ParseRules([]byte(laughs), DefaultConfig()); err == nil {
		t.Error("accepted a billion laughs")
	}
	alias := "health: &h\n  whitespace_points: 12\npriority: *h\n"
	if _, err := ParseRules([]byte(alias), DefaultConfig()); err == nil || !strings.Contains(ErrorMessage(err), "unknown key priority.whitespace_points") {
		t.Errorf("alias to another section: %v", err)
	}
}

func FuzzParseRules(f *testing.F) {
	f.Add([]byte("health:\n  whitespace_points: 15\n"))
	f.Add([]byte("triggers:\n  modules:\n    - name: X\n      keywords: [x]\n      motion: upsell\n"))
	f.Add([]byte("tiers: {cadence_days: [1, 2, 3]}\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := ParseRules(b, DefaultConfig())
		if err == nil {
			if verr := c.Validate(); verr != nil {
				t.Fatalf("accepted an invalid candidate: %v", verr)
			}
		}
	})
}
