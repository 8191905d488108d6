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
