package importer

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// mapCells is how records were read before recordCells (into a map with
// encoding/json), kept as the reference recordCells must agree with.
func mapCells(i int, raw []byte, cols []string) ([]string, []RecordError) {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(raw, &obj); err != nil || obj == nil {
		return nil, []RecordError{{Index: i, Reason: "must be a JSON object"}}
	}
	var errs []RecordError
	cells := make([]string, len(cols))
	for k, v := range obj {
		c := slices.Index(cols, k)
		if c < 0 {
			errs = append(errs, RecordError{Index: i, Field: k, Reason: "unknown field (known: " + strings.Join(cols, ", ") + ")"})
			continue
		}
		switch t := bytes.TrimSpace(v); {
		case len(t) > 0 && t[0] == '"':
			var s string
			json.Unmarshal(t, &s)
			cells[c] = s
		case len(t) > 0 && (t[0] == '{' || t[0] == '['):
			errs = append(errs, RecordError{Index: i, Field: k, Reason: "must be a string, number or true/false, not a JSON " + map[byte]string{'{': "object", '[': "list"}[t[0]]})
		case string(t) == "null":
		default:
			cells[c] = string(t)
		}
	}
	slices.SortFunc(errs, func(a, b RecordError) int { return strings.Compare(a.Field, b.Field) })
	return cells, errs
}

var cellSeeds = []string{
	`{"account_id":"acct-1","date":"2026-11-20","active_users":12,"usage":3400}`,
	`{"account_id":"a","usage":1.50e3,"active_users":true}`,
	`{"account_id":"\u00e9t\u00e9 \"q\" \\ \n\r\n","date":""}`,
	`{"account_id":"a","account_id":"b"}`,
	`{"account_id":["x"],"account_id":"fine"}`,
	`{"account_id":"x","account_id":{"a":1}}`,
	`{"account_id":null}`,
	`{"nope":1,"nope":2,"other":[1],"date":{"y":1}}`,
	`{"account_id":"bad ` + "\xff\xfe" + ` utf8","` + "\xff" + `":1}`,
	`{}`, `[]`, `null`, `"a string"`, `12`, `{"a":1} trailing`, `{"a":1}{"b":2}`,
	`{"a":1,}`, `{"a" 1}`, `{"account_id":"x"`, ``, `   `, `{"usage":-0.0e-0}`,
	`{"date":"2026-11-20","usage":1e400}`, `{"\u0061ccount_id":"escaped name"}`,
}

func TestRecordCellsReadsAsAMapDid(t *testing.T) {
	cols := csvColumns[KindUsage]
	cd := newCellDecoder()
	for _, in := range cellSeeds {
		gotCells, gotErrs := cd.recordCells(3, []byte(in), cols)
		wantCells, wantErrs := mapCells(3, []byte(in), cols)
		if !reflect.DeepEqual(gotCells, wantCells) || !reflect.DeepEqual(gotErrs, wantErrs) {
			t.Errorf("%q:\n got %q %+v\nwant %q %+v", in, gotCells, gotErrs, wantCells, wantErrs)
		}
	}
}

func FuzzRecordCells(f *testing.F) {
	for _, s := range cellSeeds {
		f.Add(s)
	}
	cols := csvColumns[KindUsage]
	cd := newCellDecoder()
	f.Fuzz(func(t *testing.T, in string) {
		gotCells, gotErrs := cd.recordCells(0, []byte(in), cols)
		wantCells, wantErrs := mapCells(0, []byte(in), cols)
		if !reflect.DeepEqual(gotCells, wantCells) || !reflect.DeepEqual(gotErrs, wantErrs) {
			t.Errorf("%q:\n got %q %+v\nwant %q %+v", in, gotCells, gotErrs, wantCells, wantErrs)
		}
	})
}

// manyNames is a record of n names that are no column, each twice.
func manyNames(n int) []byte {
	b := []byte(`{"account_id":"a"`)
	for i := range 2 * n {
		b = fmt.Appendf(b, `,"f%d":1`, i%n)
	}
	return append(b, '}')
}

func TestRecordCellsNamesEachUnknownFieldOnce(t *testing.T) {
	cols := csvColumns[KindUsage]
	raw := manyNames(2000)
	gotCells, gotErrs := newCellDecoder().recordCells(0, raw, cols)
	wantCells, wantErrs := mapCells(0, raw, cols)
	if len(gotErrs) != 2000 || !reflect.DeepEqual(gotCells, wantCells) || !reflect.DeepEqual(gotErrs, wantErrs) {
		t.Errorf("%d errors (want 2000), the same as a map's: %v", len(gotErrs), reflect.DeepEqual(gotErrs, wantErrs))
	}
}

// A hostile record of many names costs in proportion to its size (the
// first version looked each unknown name up among those met: 6.5 s for
// 60,000 names in 650 KB).
func BenchmarkRecordCellsManyUnknownNames(b *testing.B) {
	raw, cols, cd := manyNames(30000), csvColumns[KindUsage], newCellDecoder()
	for b.Loop() {
		cd.recordCells(0, raw, cols)
	}
}
