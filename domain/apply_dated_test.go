package domain

import "testing"

// A usage- or signals-only patch leaves the record as stored and reads
// only its presence: the store passes a stub with the id, and neither it
// nor a record that would no longer validate is rewritten or refused.
func TestMergePatchDatedOnlyKeepsTheRecord(t *testing.T) {
	day := MustDate("2026-11-23")
	stub := &Account{ID: "acme"}
	tests := []struct {
		name    string
		p       Patch
		cur     Stored
		kind    MergeKind
		usage   int
		signals int
	}{
		{"new snapshot", Patch{ID: "acme", Usage: []Snapshot{{Date: day, Usage: 5}}}, Stored{Record: stub}, MergeUpdated, 1, 0},
		{"same snapshot", Patch{ID: "acme", Usage: []Snapshot{{Date: day, Usage: 5}}}, Stored{Record: stub, Usage: []Snapshot{{Date: day, Usage: 5}}}, MergeUnchanged, 0, 0},
		{"new signal", Patch{ID: "acme", Signals: []Signal{{Date: day, Kind: SignalCompetitor, Note: "Globex"}}}, Stored{Record: stub}, MergeUpdated, 0, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, err := MergePatch(&tc.p, tc.cur)
			if err != nil || m.RecordChanged || m.Record != stub || m.Kind != tc.kind || len(m.Usage) != tc.usage || len(m.Signals) != tc.signals {
				t.Errorf("merge = %+v, %v", m, err)
			}
		})
	}
	if _, err := MergePatch(&Patch{ID: "nobody", Usage: []Snapshot{{Date: day}}}, Stored{}); ErrorCode(err) != ENOTFOUND {
		t.Errorf("no stored account: %v, want ENOTFOUND", err)
	}
}
