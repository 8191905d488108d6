package domain

import "testing"

// Normalize skips sorting lists that are already sorted; unsorted ones
// must still be sorted, stably (same-day entries keep their order).
func TestNormalizeSortsOnlyWhatNeedsIt(t *testing.T) {
	d1, d2, d3 := MustDate("2026-01-01"), MustDate("2026-02-01"), MustDate("2026-03-01")
	for _, tc := range []struct {
		name    string
		signals []Signal
		arr     []ARRPoint
	}{
		{"sorted", []Signal{{Date: d1, Note: "a"}, {Date: d2, Note: "b"}, {Date: d2, Note: "c"}, {Date: d3, Note: "d"}},
			[]ARRPoint{{Date: d1, ARR: 1}, {Date: d2, ARR: 2}, {Date: d3, ARR: 3}}},
		{"unsorted", []Signal{{Date: d3, Note: "d"}, {Date: d2, Note: "b"}, {Date: d1, Note: "a"}, {Date: d2, Note: "c"}},
			[]ARRPoint{{Date: d3, ARR: 3}, {Date: d1, ARR: 1}, {Date: d2, ARR: 2}}},
	} {
		a := &Account{Signals: tc.signals, ARRHistory: tc.arr}
		a.Normalize()
		notes := ""
		for _, s := range a.Signals {
			notes += s.Note
		}
		if notes != "abcd" {
			t.Errorf("%s: signals in order %q, want abcd", tc.name, notes)
		}
		for i, p := range a.ARRHistory {
			if p.ARR != int64(i+1) {
				t.Errorf("%s: ARR history %+v not sorted by date", tc.name, a.ARRHistory)
				break
			}
		}
	}
}
