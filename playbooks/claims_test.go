package playbooks_test

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/accountbot/accountbot/bot"
	"github.com/accountbot/accountbot/domain"
	"github.com/accountbot/accountbot/playbooks"
)

// variant is one setting of one account field the drafts may talk about.
type variant struct {
	name string
	set  func(a *domain.Account)
}

// dimensions lists, for every field a draft sentence may rest on, the
// field absent, false (or below its threshold) and present.
var dimensions = [][]variant{
	{ // champion
		{"no stakeholders", func(a *domain.Account) {}},
		{"champion in place", func(a *domain.Account) {
			a.Stakeholders = append(a.Stakeholders, domain.Stakeholder{Name: "Cleo Park", Champion: true, LastContact: today.AddDays(-3)})
		}},
		{"champion left", func(a *domain.Account) {
			a.Stakeholders = append(a.Stakeholders, domain.Stakeholder{Name: "Zoe Ng", Champion: true, Left: today.AddDays(-20)})
		}},
		{"champion_left signal", func(a *domain.Account) {
			a.Signals = append(a.Signals, domain.Signal{Date: today.AddDays(-10), Kind: domain.SignalChampionLeft, Note: "ZZNOTE our champion moved on"})
		}},
	},
	{ // executive
		{"no executive", func(a *domain.Account) {}},
		{"executive never contacted", func(a *domain.Account) {
			a.Stakeholders = append(a.Stakeholders, domain.Stakeholder{Name: "Dana Lee", Role: "CFO", Executive: true})
		}},
		{"executive contacted recently", func(a *domain.Account) {
			a.Stakeholders = append(a.Stakeholders, domain.Stakeholder{Name: "Dana Lee", Role: "CFO", Executive: true, LastContact: today.AddDays(-10)})
		}},
		{"executive contacted 6 months ago", func(a *domain.Account) {
			a.Stakeholders = append(a.Stakeholders, domain.Stakeholder{Name: "Sam Ortiz", Role: "VP Operations", Executive: true, LastContact: today.AddMonths(-6)})
		}},
	},
	{ // plan limits
		{"no limits", func(a *domain.Account) {}},
		{"limit at 50%", func(a *domain.Account) {
			a.Limits = []domain.PlanLimit{{Name: "API calls", Limit: 100_000, Used: 50_000}}
		}},
		{"limit at 79%", func(a *domain.Account) {
			a.Limits = []domain.PlanLimit{{Name: "API calls", Limit: 100_000, Used: 79_000}}
		}},
		{"limit at 85%", func(a *domain.Account) {
			a.Limits = []domain.PlanLimit{{Name: "API calls", Limit: 100_000, Used: 85_000}}
		}},
		{"limit reached", func(a *domain.Account) {
			a.Limits = []domain.PlanLimit{{Name: "API calls", Limit: 100_000, Used: 100_000}}
		}},
	},
	{ // goals and integrations
		{"no goal or integration", func(a *domain.Account) {}},
		{"goal only", func(a *domain.Account) {
			a.Signals = append(a.Signals, domain.Signal{Date: today.AddDays(-5), Kind: domain.SignalGoal, Note: "ZZNOTE reduce manual reporting by 80%"})
		}},
		{"integration", func(a *domain.Account) {
			a.Signals = append(a.Signals, domain.Signal{Date: today.AddDays(-5), Kind: domain.SignalIntegration, Note: "ZZNOTE Zapier to Salesforce"})
		}},
	},
	{ // value inputs
		{"no value inputs", func(a *domain.Account) {}},
		{"hours without a rate", func(a *domain.Account) { a.HoursSavedPerMonth = 320_00 }},
		{"hours below cost", func(a *domain.Account) { a.HoursSavedPerMonth, a.HourlyRate = 320_00, 85_00 }},
		{"hours above cost", func(a *domain.Account) { a.HoursSavedPerWeek, a.HourlyRate = 200_00, 100_00 }},
		{"value delivered above cost, full adoption known", func(a *domain.Account) {
			a.ValueDelivered, a.ValueAtFullAdoption = a.ARR*4/3, a.ARR*287/100
		}},
		{"value below cost, full adoption above", func(a *domain.Account) {
			a.ValueDelivered, a.ValueAtFullAdoption = a.ARR/2, a.ARR*2
		}},
	},
	{ // competitor
		{"no competitor", func(a *domain.Account) {}},
		{"competitor active", func(a *domain.Account) {
			a.Signals = append(a.Signals, domain.Signal{Date: today.AddDays(-7), Kind: domain.SignalCompetitor, Note: "ZZNOTE best price $987,654 with a 61% discount"})
		}},
	},
	{ // hiring
		{"no hiring", func(a *domain.Account) {}},
		{"hiring 5", func(a *domain.Account) {
			a.Signals = append(a.Signals, domain.Signal{Date: today.AddDays(-4), Kind: domain.SignalHiring, Note: "hiring 5 people"})
		}},
		{"hiring 12", func(a *domain.Account) {
			a.Signals = append(a.Signals, domain.Signal{Date: today.AddDays(-4), Kind: domain.SignalHiring, Note: "hiring 12 people"})
		}},
	},
	{ // renewal
		{"no renewal date", func(a *domain.Account) { a.RenewalDate = domain.NoDate }},
		{"renewal in 200 days", func(a *domain.Account) { a.RenewalDate = today.AddDays(200) }},
		{"renewal in 75 days", func(a *domain.Account) { a.RenewalDate = today.AddDays(75) }},
		{"renewal in 20 days", func(a *domain.Account) { a.RenewalDate = today.AddDays(20) }},
	},
	{ // adoption and usage
		{"adoption unknown", func(a *domain.Account) { a.FeaturesAvailable, a.FeaturesAdopted = 0, 0 }},
		{"adoption 30%", func(a *domain.Account) { a.FeaturesAdopted = 3 }},
		{"adoption 50%", func(a *domain.Account) { a.FeaturesAdopted = 5 }},
		{"adoption 90%, growing", func(a *domain.Account) {
			a.FeaturesAdopted = 9
			for i := range a.Usage {
				a.Usage[i].ActiveUsers = 100 + 3*i
				a.Usage[i].Usage = int64(1000 + 40*i)
			}
		}},
	},
}

func claimsBase() *domain.Account {
	a := &domain.Account{ID: "claims", Name: "Claims Co", Owner: "ana@example.com", ARR: 240_000_00, Currency: "USD",
		RenewalDate: today.AddDays(300), TermMonths: 12, FeaturesAvailable: 10, FeaturesAdopted: 6, SeatsPurchased: 100, SeatsActive: 60}
	for w := range 20 {
		a.Usage = append(a.Usage, domain.Snapshot{Date: today.AddDays(-7 * (19 - w)), ActiveUsers: 100, Usage: 1000, Tickets: 1})
	}
	return a
}

// claim is a sentence pattern the customer text may contain only when its
// field supports it.
type claim struct {
	name  string
	re    *regexp.Regexp
	holds func(c claimCtx) bool
}

type claimCtx struct {
	a        *domain.Account
	ev       domain.Evaluation
	playbook string
}

func (c claimCtx) rule(name string) bool {
	for _, r := range c.ev.Health.Reasons {
		if r.Rule == name {
			return r.Met
		}
	}
	return false
}

func (c claimCtx) belowCostOrUnknown() bool {
	r, ok := domain.ReturnOf(c.a)
	return !ok || r.BelowCost()
}

func (c claimCtx) signal(kind domain.SignalKind, minHeadcount int) bool {
	for _, s := range c.a.Signals {
		if s.Kind == kind && s.Date > today.AddDays(-180) && (minHeadcount == 0 || domain.Headcount(s.Note) >= minHeadcount) {
			return true
		}
	}
	return false
}

var claims = []claim{
	{"champion recently left", regexp.MustCompile(`recently left`), func(c claimCtx) bool { return c.rule("champion_left") }},
	{"running into plan limits", regexp.MustCompile(`limits of your current plan|close to what your current plan allows|heading for your plan limit|of your plan limit`), func(c claimCtx) bool {
		for _, l := range c.a.Limits {
			if l.Used*100 >= 80*l.Limit {
				return true
			}
		}
		return false
	}},
	{"tools outside the platform", regexp.MustCompile(`tools outside the platform|tools you connect|connector you run`), func(c claimCtx) bool { return c.signal(domain.SignalIntegration, 0) }},
	{"hours saved", regexp.MustCompile(`hours per (week|month) saved`), func(c claimCtx) bool {
		return (c.playbook == "qbr" || c.playbook == "renewal") && c.a.HourlyRate > 0 && !c.belowCostOrUnknown() && c.a.ValueDelivered == 0
	}},
	{"a return quoted", regexp.MustCompile(`\d+% return|ROI: \d+%|return with us today`), func(c claimCtx) bool { return !c.belowCostOrUnknown() }},
	{"value gained this year", regexp.MustCompile(`gained \$`), func(c claimCtx) bool { return !c.belowCostOrUnknown() }},
	{"full adoption projection", regexp.MustCompile(`full adoption`), func(c claimCtx) bool {
		return c.a.ValueAtFullAdoption > 0 || c.a.HoursAtFullAdoptionPerMonth > 0 || c.a.HoursAtFullAdoptionPerWeek > 0
	}},
	{"a pilot", regexp.MustCompile(`(?i)pilot`), func(c claimCtx) bool {
		return c.playbook == "expand_upsell" || c.playbook == "expand_cross_sell"
	}},
	{"a price increase", regexp.MustCompile(`(?i)price adjustment|annual adjustment|price increase`), func(c claimCtx) bool {
		r, ok := domain.ReturnOf(c.a)
		return !c.rule("competitor") && !(ok && r.BelowCost())
	}},
	{"new people joining", regexp.MustCompile(`new people`), func(c claimCtx) bool { return c.signal(domain.SignalHiring, 10) }},
	{"months without a strategic conversation", regexp.MustCompile(`haven't had a strategic conversation with .* in several months`), func(c claimCtx) bool {
		for _, s := range c.a.Stakeholders {
			if s.Executive && !s.LastContact.IsZero() && s.LastContact < today.AddDays(-90) {
				return true
			}
		}
		return false
	}},
	{"never had a strategic conversation", regexp.MustCompile(`haven't yet had a strategic conversation`), func(c claimCtx) bool {
		for _, s := range c.a.Stakeholders {
			if s.Executive && s.LastContact.IsZero() {
				return true
			}
		}
		return false
	}},
	{"features unused", regexp.MustCompile(`features you (have but don't use yet|already pay for but don't use yet)`), func(c claimCtx) bool {
		return c.a.FeaturesAvailable > c.a.FeaturesAdopted
	}},
	{"a module pitched outside its talk track while adoption is low", regexp.MustCompile(`for the goal you shared|to replace the tools you connect|to replace the connector`), func(c claimCtx) bool {
		v, ok := c.a.Adoption()
		return !ok || v > 0.5 || strings.HasPrefix(c.playbook, "expand_")
	}},
	{"free text quoted", regexp.MustCompile(`ZZNOTE|987,654|61%`), func(c claimCtx) bool { return false }},
	{"a pilot with the competitor", regexp.MustCompile(`pilot with them`), func(c claimCtx) bool { return false }},
}

// playbookRequests is every template the drafter can execute.
func playbookRequests() []struct{ name, kind, arg string } {
	out := []struct{ name, kind, arg string }{{"qbr", "qbr", ""}, {"renewal", "renewal", ""}}
	for _, o := range playbooks.Objections {
		out = append(out, struct{ name, kind, arg string }{"objection_" + o, "objection", o})
	}
	for _, m := range append(domain.Motions, domain.MotionAdoptionFirst) {
		out = append(out, struct{ name, kind, arg string }{"expand_" + string(m), "expand", string(m)})
	}
	return out
}

// TestNoClaimWithoutData walks every template over accounts with each
// relevant field absent, false and present — one dimension at a time from
// two bases, then a deterministic spread of combinations — and checks that
// every claim in the customer text has its field behind it.
func TestNoClaimWithoutData(t *testing.T) {
	d, err := playbooks.New("")
	if err != nil {
		t.Fatal(err)
	}
	var combos [][]int
	for _, base := range [][]int{make([]int, len(dimensions)), {2, 3, 3, 2, 3, 1, 2, 2, 3}} {
		for dim := range dimensions {
			for v := range dimensions[dim] {
				c := append([]int(nil), base...)
				c[dim] = v
				combos = append(combos, c)
			}
		}
	}
	for i := range 80 { // a fixed spread over the whole space
		c := make([]int, len(dimensions))
		x := uint64(i)*0x9e3779b97f4a7c15 + 7
		for dim := range dimensions {
			x ^= x >> 29
			x *= 0xbf58476d1ce4e5b9
			c[dim] = int(x>>33) % len(dimensions[dim])
		}
		combos = append(combos, c)
	}
	seen := map[string]bool{}
	for _, combo := range combos {
		a := claimsBase()
		var names []string
		for dim, v := range combo {
			dimensions[dim][v].set(a)
			names = append(names, dimensions[dim][v].name)
		}
		a.Normalize()
		ev := domain.Evaluate(a, today, domain.DefaultConfig())
		for _, pb := range playbookRequests() {
			got, err := d.Compose(context.Background(), bot.DraftRequest{Kind: pb.kind, Arg: pb.arg, Account: a, Evaluation: &ev})
			if err != nil {
				t.Fatalf("%s on %v: %v", pb.name, names, err)
			}
			c := claimCtx{a: a, ev: ev, playbook: pb.name}
			for _, cl := range claims {
				if cl.re.MatchString(got.CustomerText) {
					seen[cl.name] = true
					if !cl.holds(c) {
						t.Errorf("%s claims %q without data behind it\naccount: %s\n%s", pb.name, cl.name, strings.Join(names, ", "), got.CustomerText)
					}
				}
			}
			if strings.Contains(got.CustomerText, "<no value>") || strings.Contains(got.CustomerText, "%!") {
				t.Errorf("%s renders a bad value on %v:\n%s", pb.name, names, got.CustomerText)
			}
		}
	}
	// Each supported claim was made somewhere: the walk reached its field.
	for _, cl := range claims {
		if !seen[cl.name] && cl.name != "free text quoted" && cl.name != "a pilot with the competitor" {
			t.Errorf("no draft ever made the claim %q: the walk does not cover its field", cl.name)
		}
	}
}

// Motion-specific content: competitive defence uses what the customer owns,
// defers the competitor's evaluation and offers the consolidation; renewal
// scripts carry the triggers that fired and no price increase while a
// competitor is active.
func TestMotionSpecificContent(t *testing.T) {
	d, _ := playbooks.New("")
	a := claimsBase()
	a.FeaturesAdopted = 5
	a.Signals = []domain.Signal{{Date: today.AddDays(-7), Kind: domain.SignalCompetitor, Note: "pitching an AI module"}}
	a.RenewalDate = today.AddDays(60)
	a.Normalize()
	ev := domain.Evaluate(a, today, domain.DefaultConfig())
	draft := func(kind, arg string) playbooks.Draft {
		got, err := d.Compose(context.Background(), bot.DraftRequest{Kind: kind, Arg: arg, Account: a, Evaluation: &ev})
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	for _, kind := range []string{"vendor", "competitor"} {
		got := draft("objection", kind)
		for _, want := range []string{"on hold for 90 days while we activate", "3-year agreement with locked-in pricing"} {
			if !strings.Contains(got.CustomerText, want) {
				t.Errorf("%s objection lacks %q:\n%s", kind, want, got.CustomerText)
			}
		}
		if strings.Contains(strings.ToLower(got.CustomerText), "pilot") {
			t.Errorf("%s objection offers a pilot:\n%s", kind, got.CustomerText)
		}
	}
	if got := draft("objection", "vendor"); !strings.Contains(got.CustomerText, "the 5 features you already pay for") {
		t.Errorf("vendor objection must use what they own:\n%s", got.CustomerText)
	}
	r := draft("renewal", "")
	if strings.Contains(strings.ToLower(r.CustomerText), "price") && !strings.Contains(r.CustomerText, "locked-in pricing") {
		t.Errorf("renewal under a competitive threat suggests a price change:\n%s", r.CustomerText)
	}
	if !strings.Contains(r.CustomerText, "Consolidate on one 3-year agreement") || !hasNote(r, "no price increase") {
		t.Errorf("renewal under a competitive threat: %+v", r)
	}
	// A healthy account renewing soon: multi-year, expansion and price increase all fired.
	h := claimsBase()
	h.FeaturesAdopted = 9
	h.RenewalDate = today.AddDays(80)
	h.Limits = []domain.PlanLimit{{Name: "API calls", Limit: 100, Used: 90}}
	h.Stakeholders = []domain.Stakeholder{{Name: "Dana Lee", Role: "CFO", Executive: true, LastContact: today.AddDays(-5)}}
	for i := range h.Usage {
		h.Usage[i].ActiveUsers, h.Usage[i].Usage = 100+3*i, int64(1000+40*i)
	}
	h.Normalize()
	ev = domain.Evaluate(h, today, domain.DefaultConfig())
	got, _ := d.Compose(context.Background(), bot.DraftRequest{Kind: "renewal", Account: h, Evaluation: &ev})
	for _, want := range []string{"3-year commitment at $240K a year ($720K in total)", "Include the next tier", "Include a plan with headroom", "standard annual price adjustment"} {
		if !strings.Contains(got.CustomerText, want) {
			t.Errorf("renewal lacks %q:\n%s\n%v", want, got.CustomerText, got.Internal)
		}
	}
	for _, m := range []string{"multi_year", "price_increase"} {
		got, _ := d.Compose(context.Background(), bot.DraftRequest{Kind: "expand", Arg: m, Account: h, Evaluation: &ev})
		if strings.Contains(strings.ToLower(got.CustomerText), "pilot") {
			t.Errorf("%s offers a pilot:\n%s", m, got.CustomerText)
		}
	}
}

func hasNote(d playbooks.Draft, s string) bool {
	for _, n := range d.Internal {
		if strings.Contains(n, s) {
			return true
		}
	}
	return false
}

// A return below cost is never presented as a result: the draft switches to
// a value-realisation plan and warns the CSM.
func TestBelowCostBecomesValuePlan(t *testing.T) {
	d, _ := playbooks.New("")
	a := claimsBase()
	a.ARR, a.FeaturesAdopted = 750_000_00, 5
	a.HoursSavedPerMonth, a.HourlyRate = 320_00, 85_00 // $326,400 on $750,000: 44%
	a.RenewalDate = today.AddDays(75)
	a.Normalize()
	ev := domain.Evaluate(a, today, domain.DefaultConfig())
	for _, pb := range playbookRequests() {
		got, err := d.Compose(context.Background(), bot.DraftRequest{Kind: pb.kind, Arg: pb.arg, Account: a, Evaluation: &ev})
		if err != nil {
			t.Fatal(err)
		}
		for _, bad := range []string{"44%", "326,400", "27.6", "ROI: "} {
			if strings.Contains(got.CustomerText, bad) {
				t.Errorf("%s presents the below-cost return (%s):\n%s", pb.name, bad, got.CustomerText)
			}
		}
		if !hasNote(got, "below the cost") {
			t.Errorf("%s does not warn the CSM: %v", pb.name, got.Internal)
		}
	}
	for _, name := range []string{"qbr", "renewal"} {
		got, _ := d.Compose(context.Background(), bot.DraftRequest{Kind: name, Account: a, Evaluation: &ev})
		if !strings.Contains(got.CustomerText, "Activate the 5 features you have but don't use yet") {
			t.Errorf("%s has no value-realisation plan:\n%s", name, got.CustomerText)
		}
	}
}

// The bot-facing draft keeps the customer text and the CSM's notes in
// separate fields, so no platform can post the notes as part of the draft;
// Combined writes them apart under their heading.
func TestBotDraftKeepsNotesApart(t *testing.T) {
	x := playbooks.Draft{Title: "T", CustomerText: "Hello", Internal: []string{"a", "b"}, Source: "template", Missing: []string{"m"}}
	got := x.Bot()
	if got.Text != "Hello" || len(got.Internal) != 2 || got.Internal[1] != "b" || got.Title != "T" || got.Source != "template" || len(got.Missing) != 1 {
		t.Errorf("%+v", got)
	}
	want := fmt.Sprintf("Hello\n\n%s\n• a\n• b", playbooks.InternalHeading)
	if c := x.Combined(); c != want {
		t.Errorf("Combined = %q", c)
	}
}
