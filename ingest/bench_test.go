package ingest

import (
	"fmt"
	"strings"
	"testing"
)

// BenchmarkUsageRecords posts 1,000 usage records per request (NDJSON),
// through authentication, decoding, validation and a synced write.
func BenchmarkUsageRecords(b *testing.B) {
	e := newEnv(b, nil, nil)
	e.srv.cfg.RatePerSecond, e.srv.cfg.Burst = 1e9, 1e9
	var body strings.Builder
	ids := []string{"acme", "globex", "initech", "umbrella", "hooli", "soylent"}
	for i := range 1000 {
		fmt.Fprintf(&body, "{\"account_id\":%q,\"date\":\"2026-%02d-%02d\",\"active_users\":%d,\"usage\":%d}\n", ids[i%6], 1+i%12, 1+i%28, i, i*10)
	}
	b.ResetTimer()
	for b.Loop() {
		w := e.do("POST", "/api/v1/usage", ScopeIngest, body.String(), map[string]string{"Content-Type": "application/x-ndjson"})
		if w.Code != 200 {
			b.Fatal(w.Code, w.Body.String())
		}
	}
	b.ReportMetric(float64(b.N*1000)/b.Elapsed().Seconds(), "records/s")
}
