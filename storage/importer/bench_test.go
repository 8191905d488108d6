package importer

import (
	"bytes"
	"fmt"
	"testing"
)

// BenchmarkImportCSV100k parses a 100K-account CSV and its usage rows, the
// size of the import benchmark, to keep the CRM options off the hot path.
func BenchmarkImportCSV100k(b *testing.B) {
	var acc, use bytes.Buffer
	acc.WriteString("id,name,owner,arr,renewal_date,seats_purchased\n")
	use.WriteString("account_id,date,active_users,usage\n")
	for i := range 100_000 {
		fmt.Fprintf(&acc, "a%d,Account %d,csm%d@example.com,\"%d,000\",2027-%02d-15,%d\n", i, i, i%50, 10+i%900, 1+i%12, i%300)
		fmt.Fprintf(&use, "a%d,2026-11-%02d,%d,%d\n", i, 1+i%28, i%100, i*7)
	}
	b.ReportAllocs()
	for b.Loop() {
		im := New(Options{})
		im.Add("accounts.csv", bytes.NewReader(acc.Bytes()))
		im.Add("usage.csv", bytes.NewReader(use.Bytes()))
		if res := im.Finish(nil); len(res.Errors) != 0 || len(res.Patches) != 100_000 {
			b.Fatalf("%d errors, %d patches", len(res.Errors), len(res.Patches))
		}
	}
}
