package badger

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/dgraph-io/badger/v4"

	"github.com/accountbot/accountbot/domain"
	"github.com/accountbot/accountbot/storage/demo"
)

// restamp must give exactly the bytes encoding the restamped record gives,
// whatever the record holds (strings that look like the stamp's keys
// included) and whether or not it was stamped before.
func TestRestampIsTheEncodingOfTheRestampedRecord(t *testing.T) {
	now := time.Date(2026, 11, 24, 4, 30, 0, 0, time.UTC)
	var recs []domain.Account
	for _, p := range demo.Generate(demo.Options{Accounts: 60, Owners: 4, Weeks: 2, Seed: 7, Today: domain.DateOf(now)}) {
		a := *p.Core
		a.Usage, a.Signals = nil, nil
		recs = append(recs, a)
	}
	tricky := recs[0]
	tricky.Name = `Acme ,"data_source":"x"} \"quoted\" <&>`
	tricky.Aliases = []string{`"data_changed_at":"2020-01-01T00:00:00Z"`, `\`}
	tricky.ExternalIDs = domain.ExternalIDs{"crm": "c-1"}
	recs = append(recs, tricky, domain.Account{ID: "bare"})
	stamps := []struct {
		at     time.Time
		source string
	}{
		{now, domain.SourceAPI},
		{now.Add(-time.Hour), "segment"},
		{now, `odd "source" <&> é`},
		{now, ""},
		{time.Time{}, "crm"},
		{time.Time{}, ""},
	}
	for i, a := range recs {
		for _, before := range stamps {
			a.DataChangedAt, a.DataSource = before.at, before.source
			raw := mustJSON(&a)
			for _, after := range stamps {
				got, ok := restamp(raw, after.at, after.source)
				want := a
				want.DataChangedAt, want.DataSource = after.at, after.source
				if !ok || !bytes.Equal(got, mustJSON(&want)) {
					t.Fatalf("record %d stamped %v %q → %v %q: ok %v\n got %s\nwant %s", i, before.at, before.source, after.at, after.source, ok, got, mustJSON(&want))
				}
			}
		}
	}
}

// Anything but a compact object whose stamp comes last is refused (the
// caller then decodes it), never spliced into something else.
func TestRestampRefusesWhatItDoesNotKnow(t *testing.T) {
	at := time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC)
	for _, raw := range []string{
		``, `{`, `}`, `[]`, `"x"`, `null`, `{"id":"a"`, `{"id":}`, `{"id" :"a"}`, `{ "id":"a"}`,
		`{"data_source":"api","id":"a"}`, `{"id":"a",}`, `{"id":"a"}x`, `{"id":"a}`, `{"id":{"x":1}`,
	} {
		if out, ok := restamp([]byte(raw), at, "api"); ok {
			t.Errorf("restamp(%s) = %s, want refused", raw, out)
		}
	}
}

func FuzzRestamp(f *testing.F) {
	f.Add([]byte(`{"id":"a","name":"A","data_changed_at":"2026-01-01T00:00:00Z","data_source":"api"}`))
	f.Add([]byte(`{"id":"a","aliases":["x\"y"],"limits":[{"name":"n","limit":1,"used":0}]}`))
	f.Add([]byte(`{}`))
	at := time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, raw []byte) {
		out, ok := restamp(raw, at, "api")
		if !ok || !json.Valid(raw) {
			return
		}
		var in, got map[string]any
		if json.Unmarshal(raw, &in) != nil {
			return // valid JSON but with duplicate keys and such: only no panic matters
		}
		if err := json.Unmarshal(out, &got); err != nil {
			t.Fatalf("restamp(%s) = %s: %v", raw, out, err)
		}
		in["data_changed_at"], in["data_source"] = "2026-11-24T00:00:00Z", "api"
		a, _ := json.Marshal(in)
		b, _ := json.Marshal(got)
		if !bytes.Equal(a, b) {
			t.Fatalf("restamp(%s) = %s", raw, out)
		}
	})
}

// A usage- or signal-only write changes the stored record by its stamp
// alone, also when the record is not in the form restamp splices (then it
// is decoded); the same usage again writes nothing.
func TestActivityOnlyWritesChangeTheRecordByItsStamp(t *testing.T) {
	ctx := context.Background()
	db, _ := openTemp(t)
	at := time.Date(2026, 11, 24, 5, 0, 0, 0, time.UTC)
	a := acct("acme", "Acme", "ana@example.com")
	a.Aliases, a.ExternalIDs = []string{"ACME Corp"}, domain.ExternalIDs{"crm": "c-1"}
	if _, err := db.Apply(ctx, []domain.Patch{{ID: "acme", Core: a, Source: domain.SourceImport, At: at}}); err != nil {
		t.Fatal(err)
	}
	record := func() []byte {
		var v []byte
		if err := db.db.View(func(txn *badger.Txn) error { var err error; v, err = getValue(txn, accountKey("acme")); return err }); err != nil {
			t.Fatal(err)
		}
		return v
	}
	usage := func(n int, at time.Time) domain.ApplyStats {
		st, err := db.Apply(ctx, []domain.Patch{{ID: "acme", Usage: []domain.Snapshot{{Date: day, ActiveUsers: n}}, Source: domain.SourceAPI, At: at}})
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
	expect := func(at time.Time) []byte {
		var want domain.Account
		if err := json.Unmarshal(record(), &want); err != nil {
			t.Fatal(err)
		}
		want.DataChangedAt, want.DataSource = at, domain.SourceAPI
		return mustJSON(&want)
	}
	want := expect(at.Add(time.Hour))
	if st := usage(5, at.Add(time.Hour)); st.Updated != 1 || st.Snapshots != 1 {
		t.Fatalf("stats %+v", st)
	}
	if got := record(); !bytes.Equal(got, want) {
		t.Fatalf("record\n got %s\nwant %s", got, want)
	}
	if st := usage(5, at.Add(2*time.Hour)); st.Unchanged != 1 || st.Snapshots != 0 {
		t.Fatalf("the same usage again: %+v", st)
	}
	if got := record(); !bytes.Equal(got, want) {
		t.Fatalf("the same usage again restamped the record: %s", got)
	}
	// A record stored indented (not as this store writes them).
	var indented bytes.Buffer
	json.Indent(&indented, record(), "", "  ")
	if err := db.db.Update(func(txn *badger.Txn) error { return txn.Set(accountKey("acme"), indented.Bytes()) }); err != nil {
		t.Fatal(err)
	}
	want = expect(at.Add(3 * time.Hour))
	usage(6, at.Add(3*time.Hour))
	if got := record(); !bytes.Equal(got, want) {
		t.Fatalf("indented record\n got %s\nwant %s", got, want)
	}
}
