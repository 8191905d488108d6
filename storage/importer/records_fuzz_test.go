package importer

import (
	"bytes"
	"testing"
)

// API bodies and external-id files must never panic; every bad record is
// reported with an index inside the body (or -1 for the body) and a reason.
func FuzzDecodeRecords(f *testing.F) {
	f.Add(byte(0), []byte(`[{"id":"a","name":"A","arr":10,"external_ids":{"crm":"1"}}]`))
	f.Add(byte(1), []byte("{\"account_id\":\"a\",\"date\":\"2026-01-01\",\"usage\":\"1,000\"}\n{\"x\":[1]}\n"))
	f.Add(byte(2), []byte(`[{"account_id":"a","date":"2026-01-01","kind":"note","note":"a\nb"},7]`))
	f.Add(byte(3), []byte(`[{"account_id":"a","name":"B","executive":"maybe"}]`))
	f.Add(byte(4), []byte(`[{"account_id":"a","date":"2026-01-01","arr":"1,5","motion":"seats"}]`))
	kinds := []string{KindAccounts, KindUsage, KindSignals, KindStakeholders, KindARR}
	f.Fuzz(func(t *testing.T, k byte, body []byte) {
		kind := kinds[int(k)%len(kinds)]
		for _, ndjson := range []bool{false, true} {
			res := DecodeRecords(kind, body, ndjson, Options{}, func(string) bool { return true })
			for _, e := range res.Errors {
				if e.Index < -1 || e.Index >= max(res.Count, 1) || e.Reason == "" {
					t.Fatalf("%s: bad record error %+v (count %d)", kind, e, res.Count)
				}
			}
		}
		im := New(Options{})
		im.AddFile("f.csv", bytes.NewReader(append([]byte("id,name,arr,external_id:crm\n"), body...)))
		im.AddFile("f.json", bytes.NewReader(body))
		for _, e := range im.Finish(nil).Errors {
			if e.Message == "" {
				t.Fatalf("error without message: %+v", e)
			}
		}
	})
}
