package importer

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"reflect"
	"testing"
)

func TestRecordIndexesSurviveMultilineValues(t *testing.T) {
	exists := func(id string) bool { return id == "acme" }
	body := `[{"account_id":"acme","date":"2026-11-20","kind":"note","note":"line one\nline two\nline three"},
	{"account_id":"acme","date":"2026-11-20","kind":"gossip"},
	{"account_id":"acme","date":"2026-11-21","kind":"note","note":"a \"quoted\", note"}]`
	res := DecodeRecords(KindSignals, []byte(body), false, Options{}, exists)
	if res.Malformed != "" || res.Count != 3 {
		t.Fatalf("%+v", res)
	}
	if len(res.Errors) != 1 || res.Errors[0].Index != 1 || res.Errors[0].Field != "kind" {
		t.Errorf("errors = %+v", res.Errors)
	}
	if len(res.Patches) != 1 || len(res.Patches[0].Signals) != 2 || res.Patches[0].Signals[0].Note != "line one\nline two\nline three" || res.Patches[0].Signals[1].Note != `a "quoted", note` {
		t.Errorf("patches = %+v", res.Patches)
	}
}

func TestRecordBodiesThatAreNotRecords(t *testing.T) {
	for _, tt := range []struct {
		body   string
		ndjson bool
	}{{"", false}, {"  \n", true}, {`{"id":"a"}`, false}, {"[1,", false}} {
		if res := DecodeRecords(KindUsage, []byte(tt.body), tt.ndjson, Options{}, nil); res.Malformed == "" {
			t.Errorf("%q: not refused as malformed: %+v", tt.body, res)
		}
	}
	res := DecodeRecords(KindUsage, []byte("{\"account_id\":\"acme\",\"date\":\"2026-11-20\"}\nnope\n"), true, Options{}, func(string) bool { return true })
	if res.Malformed != "" || len(res.Errors) != 1 || res.Errors[0].Index != 1 || len(res.Patches) != 1 {
		t.Errorf("a bad NDJSON line is a bad record: %+v", res)
	}
	if res := DecodeRecords("widgets", []byte("[]"), false, Options{}, nil); res.Malformed == "" {
		t.Error("unknown kind accepted")
	}
}

// The API reads a record as `import` reads the same row in a CSV file of
// its kind: the same patches and the same errors, field for field.
func TestRecordsReadAsTheirCSVRows(t *testing.T) {
	exists := func(id string) bool { return id != "ghost" }
	for _, tt := range []struct {
		kind string
		rows [][]string // cells in csvColumns[kind] order
	}{
		{KindUsage, [][]string{
			{"acme", "2026-11-20", "42", "1,800", "1"},
			{"acme", " 2026-11-21 ", " 7 ", "", ""},
			{"acme", "2026-02-30", "many", "-1", "x"},
			{"bad id!", "2026-11-20", "1", "1", "1"},
			{"ghost", "2026-11-20", "1", "", ""},
			{"hooli", "", "", "", ""},
			{"hooli", "2026-11-22", "3", "\"9\"", "0"},
		}},
		{KindSignals, [][]string{
			{"acme", "2026-11-20", "Competitor", "Globex, \"cheaper\"\r\nsecond line\rlone CR"},
			{"acme", "2026-11-20", "gossip", ""},
			{"acme", "", "note", "  padded  "},
			{"acme", "2026-11-21", "note", "é ünïcode \u200b"},
		}},
		{KindStakeholders, [][]string{
			{"acme", "Dana Reyes", "Dana@Example.com", "no", "VP", "Operations", "yes", "1", "2026-11-01", ""},
			{"acme", "", "not-an-email", "maybe", "", "astrology", "", "", "2026-13-01", ""},
			{"acme", "Line\r\nBreak", "", "", "", "", "", "", "", ""},
		}},
	} {
		cols := csvColumns[tt.kind]
		var csvBody bytes.Buffer
		w := csv.NewWriter(&csvBody)
		w.Write(cols)
		w.Flush()
		var api bytes.Buffer
		index := map[int]int{} // CSV line → row
		for i, cells := range tt.rows {
			index[bytes.Count(csvBody.Bytes(), []byte{'\n'})+1] = i
			w.Write(cells)
			w.Flush()
			obj := map[string]string{}
			for i, c := range cells {
				obj[cols[i]] = c
			}
			b, _ := json.Marshal(obj)
			api.Write(append(b, '\n'))
		}
		w.Flush()
		im := New(Options{})
		im.Add("rows.csv", &csvBody)
		want := im.Finish(exists)
		got := DecodeRecords(tt.kind, api.Bytes(), true, Options{}, exists)
		if !reflect.DeepEqual(got.Patches, want.Patches) {
			t.Errorf("%s patches\n got %+v\nwant %+v", tt.kind, got.Patches, want.Patches)
		}
		var wantErrs []RecordError
		for _, e := range want.Errors {
			wantErrs = append(wantErrs, RecordError{Index: index[e.Line], Field: e.Field, Reason: e.Message})
		}
		if !reflect.DeepEqual(got.Errors, wantErrs) || len(wantErrs) == 0 {
			t.Errorf("%s errors\n got %+v\nwant %+v", tt.kind, got.Errors, wantErrs)
		}
	}
}
