package importer

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/accountbot/accountbot/domain"
)

func parse(t *testing.T, files map[string]string, exists func(string) bool) Result {
	t.Helper()
	im := New(Options{})
	for _, name := range sortedKeys(files) {
		im.Add(name, strings.NewReader(files[name]))
	}
	return im.Finish(exists)
}

func sortedKeys(m map[string]string) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	for i := range ks {
		for j := i + 1; j < len(ks); j++ {
			if ks[j] < ks[i] {
				ks[i], ks[j] = ks[j], ks[i]
			}
		}
	}
	return ks
}

func TestExamplesImportCleanly(t *testing.T) {
	im := New(Options{})
	for _, f := range []string{"accounts.json", "accounts.csv", "usage.csv", "signals.csv", "stakeholders.csv"} {
		b, err := os.ReadFile(filepath.Join("..", "..", "examples", f))
		if err != nil {
			t.Fatal(err)
		}
		im.Add(f, strings.NewReader(string(b)))
	}
	res := im.Finish(nil)
	if len(res.Errors) != 0 {
		t.Fatalf("errors: %v", res.Errors)
	}
	if len(res.Patches) != 6 {
		t.Fatalf("patches = %d", len(res.Patches))
	}
	byID := map[string]int{}
	for i, p := range res.Patches {
		byID[p.ID] = i
	}
	h := res.Patches[byID["hooli"]]
	if h.Core == nil || h.Core.ARR != 240_000_00 || len(h.Core.Limits) != 2 || h.Core.Limits[1].Used != 700 ||
		len(h.Usage) != 14 || len(h.Signals) != 2 || len(h.Stakeholders) != 2 || !h.ReplaceStakeholders || len(h.Core.Aliases) != 2 {
		t.Errorf("hooli = %+v", h)
	}
	if a := res.Patches[byID["acme"]]; a.Core.ARR != 750_000_00 || len(a.Usage) != 14 || len(a.Core.ARRHistory) != 2 {
		t.Errorf("acme = %+v", a.Core)
	}
	if s := res.Patches[byID["soylent"]]; s.Signals[1].Note != `Budget review in December; CFO wants "hard numbers"` {
		t.Errorf("quoted CSV note = %q", s.Signals[1].Note)
	}
}

func TestBadInputReportsEveryRow(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		want  []string // each must appear in some error
	}{
		{"json field errors", map[string]string{"a.json": `[
 {"id":"ok","name":"Fine","arr":10},
 {"id":"bad one","name":"","arr":"12a","renewal_date":"2026-02-30"},
 {"id":"x","name":"X","arr":1,"seats_active":"many"},
 {"id":"y","name":"Y","arr":1,"renwal_date":"2026-01-01"}
]`}, []string{
			"a.json:3: id: must be 1-128", "a.json:3: name: is required", `a.json:3: arr: amount "12a" is not a number`,
			`a.json:3: renewal_date: date "2026-02-30"`, "a.json:4: seats_active: must be a whole number", `a.json:5: unknown field "renwal_date"`}},
		{"json lines", map[string]string{"a.jsonl": "{\"id\":\"a\",\"name\":\"A\",\"arr\":1}\n\n{\"id\":\"b\",\"name\":\"B\"}\nnot json\n"},
			[]string{"a.jsonl:3: arr: is required", "a.jsonl:4: not a JSON object"}},
		{"broken json array", map[string]string{"a.json": "[{\"id\":\"a\",\"name\":\"A\",\"arr\":1},\n{\"id\":"}, []string{"a.json:2: broken JSON"}},
		{"csv cells", map[string]string{"accounts.csv": "id,name,arr,seats_active,budget_confirmed,limits\na,A,10,x,maybe,API: 1/2\nb,B,,1,yes,API 1/2\n"},
			[]string{`accounts.csv:2:8: seats_active: "x" is not a whole number`, `accounts.csv:2:10: budget_confirmed: "maybe"`,
				"accounts.csv:3:5: arr: is required", `accounts.csv:3:12: limits: "API 1/2"`}},
		{"csv header", map[string]string{"u.csv": "account_id,date,active_users,colour\n"}, []string{"u.csv:1:30: colour: unknown column for a usage file"}},
		{"csv unknown kind", map[string]string{"x.csv": "foo,bar\n1,2\n"}, []string{"x.csv:1: cannot tell what this CSV holds"}},
		{"csv signal kind and ragged row", map[string]string{"s.csv": "account_id,date,kind,note\nacme,2026-01-01,gossip,x\nacme,2026-01-01\n"},
			[]string{`s.csv:2:17: kind: unknown signal kind "gossip"`, "s.csv:3: has 2 fields, the header has 4"}},
		{"reference to a missing account", map[string]string{"u.csv": "account_id,date,usage\nghost,2026-01-01,5\n"}, []string{`u.csv:2: account_id: no account with id "ghost"`}},
		{"stakeholder function", map[string]string{"st.csv": "account_id,name,function\nacme,Zed,legal\n"}, []string{`st.csv:2:10: function: unknown function "legal"`}},
		{"stakeholder e-mail, CSV", map[string]string{"st.csv": "account_id,name,email,internal\nacme,Zed,zed at example,yes\n"}, []string{`st.csv:2:10: email: "zed at example" is not an e-mail address`}},
		{"stakeholder e-mail, JSON", map[string]string{"a.json": `[{"id":"a","name":"A","arr":1,"stakeholders":[{"name":"Zed","email":"Zed <zed@example.com>"}]}]`}, []string{`a.json:1: stakeholders[0].email: "Zed <zed@example.com>" is not an e-mail address`}},
		{"empty files", map[string]string{"e.json": "  \n", "e.csv": ""}, []string{"e.json:1: file is empty", "e.csv:1: file is empty"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := parse(t, tt.files, func(id string) bool { return id == "acme" })
			var got []string
			for _, e := range res.Errors {
				got = append(got, e.String())
			}
			all := strings.Join(got, "\n")
			for _, w := range tt.want {
				if !strings.Contains(all, w) {
					t.Errorf("missing %q in:\n%s", w, all)
				}
			}
		})
	}
}

func TestStakeholderRowsReplaceTogether(t *testing.T) {
	res := parse(t, map[string]string{"st.csv": "account_id,name,executive\nacme,A,yes\nacme,B,no\n"}, func(string) bool { return true })
	if len(res.Patches) != 1 || len(res.Patches[0].Stakeholders) != 2 || !res.Patches[0].Stakeholders[0].Executive {
		t.Errorf("patches = %+v", res.Patches)
	}
}

// Value delivered and value at full adoption are separate inputs, in JSON
// and CSV alike (the seed's 133% → 287%).
func TestValueInputs(t *testing.T) {
	res := parse(t, map[string]string{
		"a.json": `[{"id":"cs","name":"Case","arr":"750000","currency":"USD","value_delivered":"1000000","value_at_full_adoption":2152500,"hours_at_full_adoption_per_month":"640.5"}]`,
		"b.csv":  "id,name,arr,value_delivered,value_at_full_adoption,hours_at_full_adoption_per_week\ncs2,Case 2,750000,1000000,2152500,12\n",
	}, nil)
	if len(res.Errors) != 0 || len(res.Patches) != 2 {
		t.Fatalf("%+v", res)
	}
	for _, p := range res.Patches {
		if c := p.Core; c.ValueDelivered != 1_000_000_00 || c.ValueAtFullAdoption != 2_152_500_00 {
			t.Errorf("%s: %+v", p.ID, c)
		}
	}
	if c := res.Patches[0].Core; c.ID == "cs" && c.HoursAtFullAdoptionPerMonth != 640_50 {
		t.Errorf("hours at full adoption = %d", c.HoursAtFullAdoptionPerMonth)
	}
	if c := res.Patches[1].Core; c.ID == "cs2" && c.HoursAtFullAdoptionPerWeek != 12_00 {
		t.Errorf("hours at full adoption per week = %d", c.HoursAtFullAdoptionPerWeek)
	}
	bad := parse(t, map[string]string{"a.json": `[{"id":"cs","name":"Case","arr":"1","value_delivered":"-5"}]`}, nil)
	if len(bad.Errors) == 0 {
		t.Error("a negative value delivered must be refused")
	}
}

// A stakeholder's e-mail and internal flag are read from both formats,
// the e-mail lower-cased.
func TestStakeholderEmailAndInternal(t *testing.T) {
	res := parse(t, map[string]string{
		"st.csv": "account_id,name,email,internal\nacme,Ana,Ana@Example.com,yes\nacme,Cleo,cleo@acme.io,\n",
		"a.json": `[{"id":"b","name":"B","arr":1,"stakeholders":[{"name":"Bo","email":" BO@example.com ","internal":true}]}]`,
	}, func(id string) bool { return id == "acme" })
	if len(res.Errors) > 0 {
		t.Fatal(res.Errors)
	}
	got := map[string]domain.Stakeholder{}
	for _, p := range res.Patches {
		for _, s := range p.Stakeholders {
			got[s.Name] = s
		}
	}
	if s := got["Ana"]; s.Email != "ana@example.com" || !s.Internal {
		t.Errorf("Ana = %+v", s)
	}
	if s := got["Cleo"]; s.Email != "cleo@acme.io" || s.Internal {
		t.Errorf("Cleo = %+v", s)
	}
	if s := got["Bo"]; s.Email != "bo@example.com" || !s.Internal {
		t.Errorf("Bo = %+v", s)
	}
}
