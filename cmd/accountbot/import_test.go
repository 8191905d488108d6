package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestImportSkipInvalidAllBad: with --skip-invalid and not one good row,
// nothing is imported, and a script must be able to tell.
func TestImportSkipInvalidAllBad(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(t.TempDir(), "bad.csv")
	os.WriteFile(bad, []byte("id,name,arr\nx1,,12x\nx2,Two,\"1,2,3.456\"\n"), 0o644)
	r := run(t, nil, "", "--data", dir, "import", "--skip-invalid", bad)
	if r.code == 0 || !strings.Contains(r.stderr, "Nothing was imported") || strings.Contains(r.stdout, "Imported 0") {
		t.Errorf("every row bad with --skip-invalid: want a failure, got %+v", r)
	}
	r = run(t, nil, "", "--data", dir, "import", "--skip-invalid", "--json", bad)
	if r.code == 0 || !strings.Contains(r.stdout, `"imported":false`) {
		t.Errorf("--json: %+v", r)
	}
	// One good row is still a success.
	os.WriteFile(bad, []byte("id,name,arr\nx1,,12x\nx2,Two,1000\n"), 0o644)
	if r = run(t, nil, "", "--data", dir, "import", "--skip-invalid", bad); r.code != 0 || !strings.Contains(r.stdout, "Imported 1 account(s)") {
		t.Errorf("one good row: %+v", r)
	}
}

// TestImportRefusesNULInOwner: the owner is part of a storage key (the
// owner index), so a NUL in it must stop the row, naming row and field.
func TestImportRefusesNULInOwner(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(t.TempDir(), "book.jsonl")
	os.WriteFile(f, []byte(`{"id":"ok","name":"Ok Co","owner":"bo@example.com","arr":1000}`+"\n"+
		`{"id":"ana1","name":"Ana Co","owner":"ana\u0000x@example.com","arr":1000}`+"\n"), 0o644)
	r := run(t, nil, "", "--data", dir, "import", f)
	if r.code != 1 || !strings.Contains(r.stderr, "book.jsonl:2: owner: contains the control character U+0000") {
		t.Fatalf("NUL in owner: %+v", r)
	}
	if r = run(t, nil, "", "--data", dir, "ask", "portfolio owners"); strings.Contains(r.stdout, "ana") {
		t.Errorf("the bad owner was stored: %s", r.stdout)
	}
}

// TestImportCRMExport: a European CRM export imports as it is with the
// mapping, date and delimiter flags; what was stored is read back.
func TestImportCRMExport(t *testing.T) {
	dir := t.TempDir()
	crm := filepath.Join("..", "..", "storage", "importer", "testdata", "crm")
	r := run(t, nil, "", "--data", dir, "import", "--currency", "EUR", "--map-file", filepath.Join(crm, "europe.yaml"),
		"--date-format", "DD.MM.YYYY", "--delimiter", ";", filepath.Join(crm, "europe_kunden.csv"))
	if r.code != 0 || !strings.Contains(r.stdout, "Imported 3 account(s): 3 new") {
		t.Fatalf("import: %+v", r)
	}
	r = run(t, nil, "", "--data", dir, "import", "--map", "Account Name=name,Account ID=id,Account Owner Email=owner,Annual Revenue=arr",
		"--map", "Customer Since=contract_start,Renewal Date=renewal_date,Account Owner=-,Type=-,Billing State/Province=-",
		"--date-format", "01/02/2006", filepath.Join(crm, "salesforce_accounts.csv"))
	if r.code != 0 || !strings.Contains(r.stdout, "Imported 3 account(s): 3 new") {
		t.Fatalf("salesforce import: %+v", r)
	}
	for id, want := range map[string]map[string]any{
		"DE-1001":            {"arr": 18000.0, "currency": "EUR", "owner": "anna.schmidt@example.com", "days_to_renewal": 128.0, "name": "Müller & Söhne GmbH"},
		"0015g00000XyZAbAAN": {"arr": 240000.0, "currency": "USD", "owner": "dana@example.com", "days_to_renewal": 38.0, "name": "Globex Corporation"},
	} {
		got := askJSON(t, dir, "account "+id)
		for k, v := range want {
			if got[k] != v {
				b, _ := json.Marshal(got)
				t.Errorf("%s: %s = %v, want %v (%s)", id, k, got[k], v, b)
			}
		}
	}
}

// TestImportBadCRMFlags: each bad flag stops the import before anything is
// written, saying how to fix it.
func TestImportBadCRMFlags(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(t.TempDir(), "export.csv")
	os.WriteFile(f, []byte("Account Name,id,arr\nAcme,acme,1000\n"), 0o644)
	mapFile := filepath.Join(t.TempDir(), "m.yaml")
	os.WriteFile(mapFile, []byte("Account Name: title\n"), 0o644)
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"unknown target field", []string{"--map", "Account Name=nmae"}, `unknown field "nmae" (did you mean ` + "`name`" + `?)`},
		{"unknown target in a map file", []string{"--map-file", mapFile}, `m.yaml:1: --map "Account Name=title": unknown field "title"`},
		{"missing map file", []string{"--map-file", "/nonexistent/m.yaml"}, "--map-file: cannot read /nonexistent/m.yaml"},
		{"source header not in the file", []string{"--map", "Acct Name=name"}, `--map: header "Acct Name" is in no CSV file of this import; fix its spelling or drop it (headers seen: Account Name, id, arr)`},
		{"bad date layout", []string{"--map", "Account Name=name", "--date-format", "MM/YYYY"}, `--date-format "MM/YYYY" does not spell a whole date: write a Go layout such as 01/02/2006`},
		{"multi-character delimiter", []string{"--map", "Account Name=name", "--delimiter", ";;"}, `--delimiter ";;": want exactly one character`},
		{"no mapping", nil, "Account Name: matches no field: did you mean `name`? (or map it with --map \"Account Name=name\")"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := run(t, nil, "", append(append([]string{"--data", dir, "import"}, tt.args...), f)...)
			if r.code != 1 || !strings.Contains(r.stderr, tt.want) {
				t.Errorf("want exit 1 and %q, got %+v", tt.want, r)
			}
		})
	}
	if r := run(t, nil, "", "--data", dir, "ask", "portfolio top"); strings.Contains(r.stdout, "Acme") {
		t.Errorf("a refused import stored data: %s", r.stdout)
	}
}
