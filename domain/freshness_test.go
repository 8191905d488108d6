package domain

import (
	"strings"
	"testing"
	"time"
)

func TestAgeOfFreshAndStale(t *testing.T) {
	now := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	tests := []struct {
		name      string
		changedAt time.Time
		after     int
		wantOK    bool
		wantDays  int
		wantStale bool
	}{
		{"no stamp claims nothing", time.Time{}, 7, false, 0, false},
		{"changed an hour ago", now.Add(-time.Hour), 7, true, 0, false},
		{"exactly stale_after is not yet stale", now.Add(-7 * 24 * time.Hour), 7, true, 7, false},
		{"a second past stale_after", now.Add(-7*24*time.Hour - time.Second), 7, true, 7, true},
		{"12 days old", now.Add(-12 * 24 * time.Hour), 7, true, 12, true},
		{"a stricter stale_after", now.Add(-2 * 24 * time.Hour), 1, true, 2, true},
		{"zero stale_after means the default", now.Add(-8 * 24 * time.Hour), 0, true, 8, true},
		{"a clock behind the stamp is 0 days", now.Add(time.Hour), 7, true, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, ok := AgeOf(tt.changedAt, "hubspot", now, tt.after)
			if ok != tt.wantOK || d.AgeDays != tt.wantDays || d.Stale != tt.wantStale {
				t.Fatalf("AgeOf = %+v, %v; want days %d stale %v ok %v", d, ok, tt.wantDays, tt.wantStale, tt.wantOK)
			}
		})
	}
}

func TestDataAgeTextNamesEverySource(t *testing.T) {
	changed := time.Date(2026, 11, 11, 14, 3, 0, 0, time.UTC)
	fresh := time.Date(2026, 11, 12, 9, 0, 0, 0, time.UTC)
	stale := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	tests := []struct{ source, label string }{
		{SourceImport, "import file"},
		{SourceAPI, "ingest API"},
		{SourceSegment, "Segment"},
		{SourceChat, "chat"},
		{SourceConsole, "console"},
		{"hubspot", "HubSpot"},
		{"salesforce", "Salesforce"},
		{"zendesk", "Zendesk"},
		{"stripe", "Stripe"},
		{"demo", "demo"},
		{"", "source unknown"},
	}
	for _, tt := range tests {
		t.Run(tt.label, func(t *testing.T) {
			d, _ := AgeOf(changed, tt.source, fresh, 7)
			if got, want := d.Text(nil), "Data as of 2026-11-11 14:03 UTC ("+tt.label+")"; got != want {
				t.Errorf("fresh: %q, want %q", got, want)
			}
			d, _ = AgeOf(changed, tt.source, stale, 7)
			if got, want := d.Text(nil), "⚠ data 11 days old ("+tt.label+") — last changed 2026-11-11"; got != want {
				t.Errorf("stale: %q, want %q", got, want)
			}
			if got, want := d.StaleText(), "⚠ data 11 days old ("+tt.label+")"; got != want {
				t.Errorf("stale row: %q, want %q", got, want)
			}
		})
	}
}

func TestDataAgeTextInTheAskersZone(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Skip("no tz database:", err)
	}
	changed := time.Date(2026, 11, 20, 3, 30, 0, 0, time.UTC)
	d, _ := AgeOf(changed, SourceAPI, changed.Add(time.Hour), 7)
	if got, want := d.Text(ny), "Data as of 2026-11-19 22:30 EST (ingest API)"; got != want {
		t.Fatalf("%q, want %q", got, want)
	}
}

func TestStaleAfterIsValidated(t *testing.T) {
	c := DefaultConfig()
	if c.StaleAfterDays != 7 {
		t.Fatalf("default stale_after_days = %d, want 7", c.StaleAfterDays)
	}
	c.StaleAfterDays = 0
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "stale_after_days: must be 1 to 365 days") {
		t.Fatalf("Validate = %v, want the stale_after_days field named", err)
	}
}

func TestMergePatchStampsChanges(t *testing.T) {
	t0 := time.Date(2026, 11, 1, 8, 0, 0, 0, time.UTC)
	stored := &Account{ID: "acme", Name: "Acme", Owner: "ana@example.com", Currency: "USD", DataChangedAt: t0, DataSource: SourceImport}
	forged := *stored
	forged.DataChangedAt, forged.DataSource = t0.AddDate(1, 0, 0), "forged"
	renamed := *stored
	renamed.Name = "Acme Corp"
	at := t0.Add(90 * time.Minute)
	snap := Snapshot{Date: DateOf(t0), ActiveUsers: 5}
	tests := []struct {
		name    string
		p       Patch
		cur     Stored
		wantAt  time.Time
		wantSrc string
	}{
		{"a new account is stamped", Patch{ID: "acme", Core: &renamed, Source: SourceAPI, At: at}, Stored{}, at, SourceAPI},
		{"a record change restamps", Patch{ID: "acme", Core: &renamed, Source: "hubspot", At: at}, Stored{Record: stored}, at, "hubspot"},
		{"usage alone restamps", Patch{ID: "acme", Usage: []Snapshot{snap}, Source: SourceSegment, At: at}, Stored{Record: stored}, at, SourceSegment},
		{"a note restamps", Patch{ID: "acme", Signals: []Signal{{Date: DateOf(t0), Kind: SignalNote, Note: "call"}}, Source: SourceChat, At: at},
			Stored{Record: stored}, at, SourceChat},
		{"no change keeps the stamp", Patch{ID: "acme", Core: stored, Source: SourceAPI, At: at}, Stored{Record: stored}, t0, SourceImport},
		{"a core carrying another stamp is compared on its data", Patch{ID: "acme", Core: &forged, Source: SourceAPI, At: at},
			Stored{Record: stored}, t0, SourceImport},
		{"stored usage again keeps the stamp", Patch{ID: "acme", Usage: []Snapshot{snap}, Source: SourceAPI, At: at},
			Stored{Record: stored, Usage: []Snapshot{snap}}, t0, SourceImport},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := MergePatch(&tt.p, tt.cur)
			if err != nil {
				t.Fatal(err)
			}
			if !m.Record.DataChangedAt.Equal(tt.wantAt) || m.Record.DataSource != tt.wantSrc {
				t.Fatalf("stamp %v %q, want %v %q", m.Record.DataChangedAt, m.Record.DataSource, tt.wantAt, tt.wantSrc)
			}
			if changed := m.Kind != MergeUnchanged; m.RecordChanged != changed {
				t.Errorf("record written %v on a change %v", m.RecordChanged, changed)
			}
		})
	}
}
