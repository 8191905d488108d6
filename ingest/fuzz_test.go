package ingest

import (
	"context"
	"github.com/accountbot/accountbot/storage/badger"
	"testing"
	"time"
)

// Whatever Segment (or anyone holding the secret) sends, receiving never
// panics, and applying what was accepted never panics or blocks the inbox.
func FuzzSegmentBody(f *testing.F) {
	f.Add([]byte(track("m-1", "u1", "Report Exported", `,"groupId":"acme"`)))
	f.Add([]byte("[" + group("m-2", "u2", "acme") + "," + identify("m-3", "u2", `{"name":"A","champion":"yes"}`) + "]"))
	f.Add([]byte(`{"type":"identify","messageId":"m","traits":{"firstName":7,"company":{"id":1.5}}}`))
	f.Add([]byte(`[{"type":"track","messageId":"m","timestamp":"9999-12-31T23:59:59Z","context":{"groupId":{"x":1}}}]`))
	db, err := badger.Open(context.Background(), "", badger.Options{InMemory: true})
	if err != nil {
		f.Fatal(err)
	}
	defer db.Close()
	s := New(db, Options{Config: DefaultConfig(), Segment: DefaultSegmentConfig(), Now: func() time.Time { return testNow }})
	f.Fuzz(func(t *testing.T, body []byte) {
		events, _, msg := parseSegment(body)
		if msg != "" {
			return
		}
		if _, _, err := db.AcceptSegment(context.Background(), events); err != nil {
			t.Fatal(err)
		}
		for {
			n, err := s.DrainSegment(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if n == 0 {
				break
			}
		}
	})
}
