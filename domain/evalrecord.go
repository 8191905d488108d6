package domain

import (
	"encoding/binary"
	"slices"
	"time"
)

// EvalRecord is the compact stored form of an account's evaluation: what
// ranking, "what changed" and change-driven alerts need, without the
// evidence text (a card re-evaluates the account for that).
type EvalRecord struct {
	ID       string   `json:"id"`
	Owner    string   `json:"owner"`
	Date     Date     `json:"date"` // the day it was evaluated for, in the account's time zone
	Combined int      `json:"combined"`
	Tier     int      `json:"tier"`
	Priority Priority `json:"priority"`
	Impact   int64    `json:"impact_minor"`
	Override bool     `json:"override,omitempty"`
	ARR      int64    `json:"arr_minor"`
	// Renewal is the days to the renewal as the ranking uses it (see renewalKey).
	Renewal int `json:"renewal"`
	// Triggers are the opportunity triggers and escalation rules that fired, sorted.
	Triggers []string `json:"triggers,omitempty"`
	// Alerts are the ids of the alert events active on Date (see Alerts), sorted.
	Alerts []string `json:"alerts,omitempty"`
	// RulesVersion is the rules version the evaluation used ("" before versions).
	RulesVersion string `json:"rules_version,omitempty"`
	// The card a ranked list shows (Card), so "top N" reads N records and
	// evaluates nothing.
	Name           string `json:"name"`
	Currency       string `json:"currency"`
	PriorityReason string `json:"priority_reason"`
	RankReason     string `json:"rank_reason"`
	Action         Action `json:"action"`
	// DataChangedAt and DataSource are the account's data stamp ("data as of").
	DataChangedAt time.Time `json:"data_changed_at,omitzero"`
	DataSource    string    `json:"data_source,omitempty"`
}

// RecordOf is e's stored form, with the alert events active on e.Today.
func RecordOf(e *Evaluation, alerts []AlertEvent, rulesVersion string) EvalRecord {
	r := EvalRecord{ID: e.AccountID, Owner: e.Owner, Date: e.Today, Combined: e.Health.Combined, Tier: e.Tier.Tier,
		Priority: e.Priority, Impact: e.Impact.Total, Override: e.Impact.Override, ARR: e.ARR.Minor,
		Renewal: renewalKey(e), RulesVersion: rulesVersion, Name: e.Name, Currency: e.ARR.Currency,
		PriorityReason: e.PriorityReason, RankReason: e.RankReason, Action: e.Action,
		DataChangedAt: e.DataChangedAt, DataSource: e.DataSource}
	for _, o := range e.Opportunities {
		r.Triggers = append(r.Triggers, o.Trigger)
	}
	for _, x := range e.Escalations {
		r.Triggers = append(r.Triggers, "escalation:"+x.Rule)
	}
	for _, a := range alerts {
		r.Alerts = append(r.Alerts, a.ID)
	}
	slices.Sort(r.Triggers)
	slices.Sort(r.Alerts)
	r.Triggers, r.Alerts = slices.Compact(r.Triggers), slices.Compact(r.Alerts)
	return r
}

// RankKeyLen is the length of RankKey.
const RankKeyLen = 22

// RankKey orders records as Less orders evaluations when compared as bytes
// (ascending = most in need first); the store appends the id, Less's last
// tie-break. Layout: override 0/1 | impact desc u64 | priority rank u8 |
// ARR desc u64 | renewal days u32, all big-endian.
func (r EvalRecord) RankKey() []byte {
	b := make([]byte, RankKeyLen)
	if !r.Override {
		b[0] = 1
	}
	binary.BigEndian.PutUint64(b[1:], desc(r.Impact))
	b[9] = byte(min(max(r.Priority.Rank(), 0), 255))
	binary.BigEndian.PutUint64(b[10:], desc(r.ARR))
	binary.BigEndian.PutUint32(b[18:], uint32(min(max(r.Renewal, 0), 1<<31)))
	return b
}

// desc maps v to an unsigned key that sorts larger values first.
func desc(v int64) uint64 { return ^(uint64(v) ^ 1<<63) }

// NewAlerts lists the alert ids r has that prev did not: the events the
// change that led from prev to r started.
func (r EvalRecord) NewAlerts(prev EvalRecord) []string {
	var out []string
	for _, id := range r.Alerts {
		if _, found := slices.BinarySearch(prev.Alerts, id); !found {
			out = append(out, id)
		}
	}
	return out
}

// Equal reports whether r and o say the same.
func (r EvalRecord) Equal(o EvalRecord) bool {
	return r.ID == o.ID && r.Owner == o.Owner && r.Date == o.Date && r.Combined == o.Combined && r.Tier == o.Tier &&
		r.Priority == o.Priority && r.Impact == o.Impact && r.Override == o.Override && r.ARR == o.ARR &&
		r.Renewal == o.Renewal && slices.Equal(r.Triggers, o.Triggers) && slices.Equal(r.Alerts, o.Alerts) &&
		r.RulesVersion == o.RulesVersion && r.Name == o.Name && r.Currency == o.Currency &&
		r.PriorityReason == o.PriorityReason && r.RankReason == o.RankReason && r.Action == o.Action &&
		r.DataChangedAt.Equal(o.DataChangedAt) && r.DataSource == o.DataSource
}

// Card is the evaluation as a ranked list shows it (`portfolio top`, the
// digests): the parts RecordOf keeps, on the record's date.
func (r EvalRecord) Card() Evaluation {
	e := Evaluation{AccountID: r.ID, Name: r.Name, Owner: r.Owner, ARR: Money{Minor: r.ARR, Currency: r.Currency}, Today: r.Date,
		Priority: r.Priority, PriorityReason: r.PriorityReason, RankReason: r.RankReason, Action: r.Action,
		DataChangedAt: r.DataChangedAt, DataSource: r.DataSource}
	e.Health.Combined, e.Tier.Tier = r.Combined, r.Tier
	e.Impact.Total, e.Impact.Override = r.Impact, r.Override
	return e
}
