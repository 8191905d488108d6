package connector_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/accountbot/accountbot/connector"
	"github.com/accountbot/accountbot/domain"
)

func TestStakeholdersAndFunctions(t *testing.T) {
	got := connector.Stakeholders([]connector.Contact{
		{First: "Ana", Last: "Ruiz", Role: " VP Finance ", Function: "VP Finance"},
		{Email: "cto@example.com", Function: "CTO"},
		{Function: "nobody"}, // no name, no e-mail: skipped
		{First: "Bo", Function: "Head of Data Platform"},
	}, map[string]string{"data platform": "tech"})
	want := []domain.Stakeholder{{Name: "Ana Ruiz", Role: "VP Finance", Function: "finance"},
		{Name: "cto@example.com", Function: "tech"}, {Name: "Bo", Function: "tech"}}
	if len(got) != len(want) {
		t.Fatalf("got %+v", got)
	}
	for i := range want {
		if got[i].Name != want[i].Name || got[i].Role != want[i].Role || got[i].Function != want[i].Function {
			t.Errorf("%d: got %+v, want %+v", i, got[i], want[i])
		}
	}
	if f := connector.FunctionOf("Digital Transformation Lead", nil); f != "" {
		t.Errorf("unmatched title mapped to %q", f)
	}
}

func TestMappingCheck(t *testing.T) {
	key := func(f connector.Field) string { return f.String() }
	m := connector.Mapping{Key: "sync.x", VendorField: "X field"}
	for _, tc := range []struct {
		name     string
		required []string
		funcs    map[string]string
		want     string // error text; "" = fine
	}{
		{"defaults", []string{"name"}, nil, ""},
		{"unknown field", []string{"colour"}, nil, `sync.x.mapping.required: unknown field "colour"`},
		{"unmapped field", []string{"plan"}, nil, "sync.x.mapping.required lists plan, but the mapping gives it no X field; set sync.x.mapping.plan"},
		{"unknown function", nil, map[string]string{"ceo": "boss"}, `sync.x.mapping.functions: unknown function "boss"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m.Required, m.Functions = tc.required, tc.funcs
			_, err := m.Check(m.Owned(0), key)
			if tc.want == "" && err != nil || tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
				t.Errorf("err = %v, want %q", err, tc.want)
			}
		})
	}
}

func TestReadCredential(t *testing.T) {
	dir := t.TempDir()
	full, empty := filepath.Join(dir, "token"), filepath.Join(dir, "empty")
	os.WriteFile(full, []byte(" tok\n"), 0o600)
	os.WriteFile(empty, []byte("\n"), 0o600)
	if v, err := connector.ReadCredential("the X token file", full); v != "tok" || err != nil {
		t.Errorf("%q %v", v, err)
	}
	if _, err := connector.ReadCredential("the X token file", empty); err == nil || !strings.Contains(err.Error(), "the X token file "+empty+" is empty") {
		t.Errorf("empty: %v", err)
	}
	if _, err := connector.ReadCredential("the X token file", filepath.Join(dir, "none")); err == nil || !strings.Contains(err.Error(), "reading the X token file") {
		t.Errorf("missing: %v", err)
	}
	if v := connector.EnvOr(func(string) string { return " env " }, "X", "conf"); v != "env" {
		t.Errorf("EnvOr = %q", v)
	}
}

func TestCheckRequiredAndProblems(t *testing.T) {
	var p connector.Problems
	f := connector.Fields{Has: connector.FieldName | connector.FieldPlan, Name: "Acme"}
	connector.CheckRequired(&f, connector.FieldName|connector.FieldPlan|connector.FieldARR,
		func(fl connector.Field) string { return "X " + fl.String() }, p.Add)
	err := p.Err()
	if domain.ErrorMessage(err) != "required field plan is empty (X plan); required field arr is empty (X arr)" {
		t.Errorf("err = %v", err)
	}
	if (connector.Problems{}).Err() != nil {
		t.Error("no problems, yet an error")
	}
}
