package importer

import (
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
