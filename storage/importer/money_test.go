package importer

import (
	"strings"
	"testing"
)

// TestMoneyAsSpreadsheetsExport: CSV cells and JSON strings may carry the
// currency symbol and the currency's own separators; JSON numbers are
// always plain decimals.
func TestMoneyAsSpreadsheetsExport(t *testing.T) {
	res := parse(t, map[string]string{
		"a.csv": "id,name,arr,currency,expansion_potential\n" +
			"us,US Co,\"$120,000\",USD,\"$5,000.50\"\n" +
			"eu,EU Co,€ 18.000,EUR,\"18.000,50 €\"\n" +
			"jp,JP Co,120000 JPY,JPY,\n",
		"b.jsonl": `{"id":"eu2","name":"EU Two","currency":"EUR","arr":1.25}` + "\n",
	}, nil)
	if len(res.Errors) != 0 {
		t.Fatalf("errors: %v", res.Errors)
	}
	want := map[string][2]int64{"us": {120_000_00, 5_000_50}, "eu": {18_000_00, 18_000_50}, "jp": {120_000, 0}, "eu2": {1_25, 0}}
	for _, p := range res.Patches {
		if w := want[p.ID]; p.Core.ARR != w[0] || p.Core.ExpansionPotential != w[1] {
			t.Errorf("%s: arr %d, expansion %d; want %v", p.ID, p.Core.ARR, p.Core.ExpansionPotential, w)
		}
	}

	res = parse(t, map[string]string{"a.csv": "id,name,arr,currency\nx,X,€ 18.000,USD\ny,Y,\"18,5\",USD\n"}, nil)
	wantErr := []string{
		`a.csv:2:5: arr: amount "€ 18.000" is written with € (EUR) but the row's currency is USD`,
		`a.csv:3:5: arr: amount "18,5" is not a number: expected a number like 120000 or 120,000.50 for USD`,
	}
	var got []string
	for _, e := range res.Errors {
		got = append(got, e.String())
	}
	for _, w := range wantErr {
		if !strings.Contains(strings.Join(got, "\n"), w) {
			t.Errorf("errors lack %q:\n%s", w, strings.Join(got, "\n"))
		}
	}
}
