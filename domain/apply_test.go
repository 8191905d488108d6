package domain

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestMergePatch(t *testing.T) {
	stored := baseAccount()
	stored.Stakeholders = []Stakeholder{{Name: "Cleo", Executive: true}}
	renamed := *stored
	renamed.Name, renamed.Stakeholders = "Acme Renamed", nil
	upper := *stored
	upper.Owner, upper.Stakeholders = "  ANA@Example.com ", nil // normalises to the stored owner
	bad := *stored
	bad.ARR = -1
	snap := func(days, users int) Snapshot { return Snapshot{Date: today.AddDays(days), ActiveUsers: users} }
	sig := Signal{Date: today, Kind: SignalCompetitor, Note: "Globex"}
	at := today.Time().Add(10*time.Hour + 32*time.Minute + 5*time.Second)
	stamped := *stored // data stamped by the API at 10:32
	stamped.DataChangedAt, stamped.DataSource = at.Truncate(time.Minute), SourceAPI
	tests := []struct {
		name         string
		p            Patch
		cur          Stored
		kind         MergeKind
		record       bool   // the record is written
		usage        string // fmt of the snapshots written
		signals      int
		stakeholders int
		err          string
	}{
		{name: "new account", p: Patch{ID: "acme", Core: &renamed}, kind: MergeCreated, record: true, usage: "[]"},
		{name: "no record, no core", p: Patch{ID: "acme", Usage: []Snapshot{snap(0, 1)}}, err: ENOTFOUND},
		{name: "same record", p: Patch{ID: "acme", Core: stored}, cur: Stored{Record: stored}, kind: MergeUnchanged, usage: "[]", stakeholders: 1},
		{name: "normalised to the same", p: Patch{ID: "acme", Core: &upper}, cur: Stored{Record: stored}, kind: MergeUnchanged, usage: "[]", stakeholders: 1},
		{name: "core keeps stored stakeholders", p: Patch{ID: "acme", Core: &renamed}, cur: Stored{Record: stored}, kind: MergeUpdated, record: true, usage: "[]", stakeholders: 1},
		{name: "replace stakeholders with none", p: Patch{ID: "acme", ReplaceStakeholders: true}, cur: Stored{Record: stored}, kind: MergeUpdated, record: true, usage: "[]"},
		{name: "invalid", p: Patch{ID: "acme", Core: &bad}, cur: Stored{Record: stored}, err: EINVALID},
		{name: "usage: new, changed, same",
			p:    Patch{ID: "acme", Usage: []Snapshot{snap(0, 5), snap(-7, 4), snap(-14, 3)}, At: at, Source: SourceAPI},
			cur:  Stored{Record: stored, Usage: []Snapshot{snap(-7, 9), snap(-14, 3)}},
			kind: MergeUpdated, record: true, usage: fmt.Sprint([]Snapshot{snap(-7, 4), snap(0, 5)}), stakeholders: 1}, // record: its data stamp
		{name: "usage: last of a date wins, once",
			p:    Patch{ID: "acme", Usage: []Snapshot{snap(0, 1), snap(0, 2), snap(0, 2)}, At: at, Source: SourceAPI},
			cur:  Stored{Record: stored},
			kind: MergeUpdated, record: true, usage: fmt.Sprint([]Snapshot{snap(0, 2)}), stakeholders: 1},
		{name: "usage: last of a date is stored", p: Patch{ID: "acme", Usage: []Snapshot{snap(0, 1), snap(0, 2)}},
			cur: Stored{Record: stored, Usage: []Snapshot{snap(0, 2)}}, kind: MergeUnchanged, usage: "[]", stakeholders: 1},
		{name: "signals: new once", p: Patch{ID: "acme", Signals: []Signal{sig, sig}, At: at, Source: SourceAPI}, cur: Stored{Record: stored},
			kind: MergeUpdated, record: true, usage: "[]", signals: 1, stakeholders: 1},
		// The stamp is whole minutes (StampResolution): usage in the minute
		// the record was stamped, from the same source, leaves the record.
		{name: "usage: same stamp, record kept", p: Patch{ID: "acme", Usage: []Snapshot{snap(0, 5)}, At: at.Add(40 * time.Second), Source: SourceAPI},
			cur: Stored{Record: &stamped}, kind: MergeUpdated, usage: fmt.Sprint([]Snapshot{snap(0, 5)}), stakeholders: 1},
		{name: "usage: next minute, restamped", p: Patch{ID: "acme", Usage: []Snapshot{snap(0, 5)}, At: at.Add(time.Minute), Source: SourceAPI},
			cur: Stored{Record: &stamped}, kind: MergeUpdated, record: true, usage: fmt.Sprint([]Snapshot{snap(0, 5)}), stakeholders: 1},
		{name: "usage: same minute, other source, restamped", p: Patch{ID: "acme", Usage: []Snapshot{snap(0, 5)}, At: at, Source: SourceSegment},
			cur: Stored{Record: &stamped}, kind: MergeUpdated, record: true, usage: fmt.Sprint([]Snapshot{snap(0, 5)}), stakeholders: 1},
		{name: "signals: stored", p: Patch{ID: "acme", Signals: []Signal{sig}}, cur: Stored{Record: stored, Signals: []Signal{sig}},
			kind: MergeUnchanged, usage: "[]", stakeholders: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := MergePatch(&tt.p, tt.cur)
			if ErrorCode(err) != tt.err || (err == nil) != (tt.err == "") {
				t.Fatalf("err = %v, want %s", err, tt.err)
			}
			if err != nil {
				return
			}
			if m.Kind != tt.kind || m.RecordChanged != tt.record || fmt.Sprint(m.Usage) != tt.usage || len(m.Signals) != tt.signals || len(m.Record.Stakeholders) != tt.stakeholders {
				t.Errorf("merged = kind %d record %v usage %v signals %v stakeholders %v", m.Kind, m.RecordChanged, m.Usage, m.Signals, m.Record.Stakeholders)
			}
			if m.Record.Usage != nil || m.Record.Signals != nil {
				t.Errorf("the record carries usage or signals: %+v", m.Record)
			}
		})
	}
	// The patch's core is not changed (callers reuse it).
	if renamed.Stakeholders != nil {
		t.Errorf("patch core changed: %+v", renamed.Stakeholders)
	}
}

func TestMergeErrorNamesTheAccountAndTheField(t *testing.T) {
	a := baseAccount()
	a.Currency = "usd!"
	_, err := MergePatch(&Patch{ID: "acme", Core: a}, Stored{})
	if ErrorCode(err) != EINVALID || !strings.Contains(ErrorMessage(err), "account acme") || !strings.Contains(ErrorMessage(err), "currency") {
		t.Errorf("err = %v", err)
	}
}

func TestApplyStatsCount(t *testing.T) {
	var st ApplyStats
	st.Count(Merged{Kind: MergeCreated, Usage: make([]Snapshot, 2), Signals: make([]Signal, 1)})
	st.Count(Merged{Kind: MergeUpdated, Usage: make([]Snapshot, 1)})
	st.Count(Merged{})
	if st != (ApplyStats{Created: 1, Updated: 1, Unchanged: 1, Snapshots: 3, Signals: 1}) {
		t.Errorf("stats = %+v", st)
	}
}

func TestNameKeys(t *testing.T) {
	a := &Account{Name: "Acme, Inc.", Aliases: []string{"ACME inc", "", "Acme Labs", "--"}}
	if got := fmt.Sprint(NameKeys(a)); got != "[acmeinc acmelabs]" {
		t.Errorf("NameKeys = %s", got)
	}
}
