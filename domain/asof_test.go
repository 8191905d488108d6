package domain

import (
	"reflect"
	"slices"
	"testing"
)

// asOfAccount is an account with dated data on both sides of `on`.
func asOfAccount(on Date) (*Account, []FieldState) {
	a := baseAccount()
	a.ContractStart = on.AddDays(-400)
	a.Usage = weekly(on, 30, 40, 20, 4000, 2000, 1)
	a.Signals = []Signal{{Date: on.AddDays(-20), Kind: SignalCompetitor, Note: "Rival"}}
	a.ARRHistory = []ARRPoint{{Date: a.ContractStart, ARR: 40_000_00}, {Date: on.AddDays(-30), ARR: 50_000_00, Motion: MotionUpsell}}
	a.ARR = 50_000_00
	a.Stakeholders = []Stakeholder{{Name: "Cleo", Champion: true, LastContact: on.AddDays(-10)}}
	past := StateOf(a, on.AddDays(-100))
	past.FeaturesAdopted, past.BudgetConfirmed = 3, false
	return a, []FieldState{past}
}

// plantFuture adds data dated after `on` to every dated part of a and its history.
func plantFuture(a *Account, hist []FieldState, on Date) []FieldState {
	later := on.AddDays(3)
	a.Usage = append(a.Usage, Snapshot{Date: later, ActiveUsers: 900, Usage: 900_000, Tickets: 80})
	a.Signals = append(a.Signals, Signal{Date: later, Kind: SignalChampionLeft, Note: "Cleo left"},
		Signal{Date: later, Kind: SignalHiring, Note: "hiring 40"})
	a.ARRHistory = append(a.ARRHistory, ARRPoint{Date: later, ARR: 10_000_00})
	a.ARR, a.FeaturesAdopted, a.BudgetConfirmed, a.CompanyGrowing = 10_000_00, 10, true, true
	a.Stakeholders = []Stakeholder{{Name: "Cleo", Champion: true, LastContact: later, Left: later},
		{Name: "Raj", Executive: true, LastContact: later}}
	a.Normalize()
	future := StateOf(a, later)
	return append(hist, future)
}

func TestAsOfNeverLooksAhead(t *testing.T) {
	on := today.AddDays(-60)
	a, hist := asOfAccount(on)
	wantAcc, _, ok := AsOf(a, hist, on)
	if !ok {
		t.Fatal("the account was a customer on the date")
	}
	want := Evaluate(&wantAcc, on, DefaultConfig())

	hist = plantFuture(a, hist, on)
	gotAcc, info, ok := AsOf(a, hist, on)
	if !ok || info.Baseline {
		t.Fatalf("ok %v baseline %v", ok, info.Baseline)
	}
	got := Evaluate(&gotAcc, on, DefaultConfig())
	if !reflect.DeepEqual(got, want) {
		t.Errorf("future data changed the evaluation on %s:\n got %+v\nwant %+v", on, got.Health, want.Health)
	}
	if len(gotAcc.Usage) == 0 || gotAcc.Usage[len(gotAcc.Usage)-1].Date > on {
		t.Errorf("usage after the date is visible: %v", gotAcc.Usage[len(gotAcc.Usage)-1])
	}
}

func TestAsOfFieldsAndDates(t *testing.T) {
	on := today.AddDays(-60)
	a, hist := asOfAccount(on)
	hist = plantFuture(a, hist, on)
	tests := []struct {
		name         string
		d            Date
		ok, baseline bool
		adopted      int
		arr          int64
		stakeholders int
	}{
		{"before the contract", a.ContractStart.AddDays(-1), false, false, 0, 0, 0},
		{"before the history: earliest values, ARR from its history", on.AddDays(-200), true, true, 3, 40_000_00, 1},
		{"inside the first state", on, true, false, 3, 50_000_00, 1},
		{"on the later state", on.AddDays(3), true, false, 10, 10_000_00, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, info, ok := AsOf(a, hist, tt.d)
			if ok != tt.ok || info.Baseline != tt.baseline {
				t.Fatalf("ok %v baseline %v, want %v %v", ok, info.Baseline, tt.ok, tt.baseline)
			}
			if !ok {
				return
			}
			if got.FeaturesAdopted != tt.adopted || got.ARR != tt.arr || len(got.Stakeholders) != tt.stakeholders {
				t.Errorf("adopted %d ARR %d stakeholders %d, want %d %d %d", got.FeaturesAdopted, got.ARR, len(got.Stakeholders), tt.adopted, tt.arr, tt.stakeholders)
			}
			for _, s := range got.Stakeholders {
				if s.Left > tt.d || s.LastContact > tt.d {
					t.Errorf("stakeholder %s carries a date after %s: %+v", s.Name, tt.d, s)
				}
			}
			for _, sg := range got.Signals {
				if sg.Date > tt.d {
					t.Errorf("signal after the date: %+v", sg)
				}
			}
		})
	}
}

func TestAsOfSharesNothingWithTheAccount(t *testing.T) {
	on := today
	a, hist := asOfAccount(on)
	got, _, _ := AsOf(a, hist, on)
	got.Usage[0].Usage = -1
	got.Stakeholders[0].Name = "changed"
	if a.Usage[0].Usage == -1 || a.Stakeholders[0].Name == "changed" {
		t.Error("AsOf's account shares slices with the input")
	}
}

func TestStateSameFields(t *testing.T) {
	a := baseAccount()
	s := StateOf(a, today)
	if !s.SameFields(StateOf(a, today.AddDays(5))) {
		t.Error("the date must not count")
	}
	a.Stakeholders = []Stakeholder{{Name: "New"}}
	if s.SameFields(StateOf(a, today)) {
		t.Error("a new stakeholder is a change")
	}
}

// A timeline read on dates in any order gives AsOf's account on each,
// lists shared rather than copied, and never writes the account or its
// history.
func TestTimelineIsAsOf(t *testing.T) {
	on := today.AddDays(-60)
	a, hist := asOfAccount(on)
	hist = plantFuture(a, hist, on)
	hist = append([]FieldState{hist[1]}, hist[0]) // out of order
	wantUsage, wantHist := slices.Clone(a.Usage), slices.Clone(hist)
	var tl Timeline
	tl.Reset(a, hist)
	var dates []Date
	for d := a.ContractStart.AddDays(-10); d <= on.AddDays(10); d = d.AddDays(3) {
		dates = append(dates, d)
	}
	dates = append(dates, on.AddDays(-100), on.AddDays(4), on) // and back again
	for _, d := range dates {
		want, wantInfo, wantOK := AsOf(a, hist, d)
		var got Account
		info, ok := tl.At(d, &got)
		if ok != wantOK || info != wantInfo {
			t.Fatalf("%s: ok %v %+v, want %v %+v", d, ok, info, wantOK, wantInfo)
		}
		if !ok {
			continue
		}
		if got.Stakeholders == nil {
			got.Stakeholders = []Stakeholder{}
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("%s: the timeline's account differs from AsOf's:\n got %+v\nwant %+v", d, got, want)
		}
		if len(got.Usage) > 0 && &got.Usage[0] != &a.Usage[0] {
			t.Errorf("%s: the usage was copied", d)
		}
	}
	if !slices.Equal(a.Usage, wantUsage) || !reflect.DeepEqual(hist, wantHist) {
		t.Error("the timeline wrote into the account or its history")
	}
}
