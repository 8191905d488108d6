package main

import (
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
