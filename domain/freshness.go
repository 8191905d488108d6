package domain

import (
	"fmt"
	"time"
)

// Where an account's data last came from (Account.DataSource). CRM,
// support and billing connectors stamp their own source name (hubspot,
// salesforce, zendesk, stripe).
const (
	SourceImport  = "import"  // `accountbot import FILE`
	SourceAPI     = "api"     // the ingest API (POST /api/v1/…)
	SourceSegment = "segment" // Segment events
	SourceChat    = "chat"    // a write from Slack or Teams
	SourceConsole = "console" // a write from the console
)

// DefaultStaleAfterDays is how old an account's data may get before its
// cards flag it (rules.stale_after_days).
const DefaultStaleAfterDays = 7

// DataAge says when an account's data last changed, from which source,
// and whether that is longer ago than the configured stale_after.
type DataAge struct {
	ChangedAt time.Time `json:"changed_at"`
	Source    string    `json:"source,omitempty"`
	AgeDays   int       `json:"age_days"` // whole days since ChangedAt
	Stale     bool      `json:"stale"`
}

// AgeOf is the age of data stamped changedAt by source, on now. Without a
// stamp (data written before AccountBot recorded one) it reports false:
// nothing is claimed.
func AgeOf(changedAt time.Time, source string, now time.Time, staleAfterDays int) (DataAge, bool) {
	if changedAt.IsZero() {
		return DataAge{}, false
	}
	if staleAfterDays <= 0 {
		staleAfterDays = DefaultStaleAfterDays
	}
	age := now.Sub(changedAt)
	days := max(int(age/(24*time.Hour)), 0)
	return DataAge{ChangedAt: changedAt.UTC(), Source: source, AgeDays: days,
		Stale: age > time.Duration(staleAfterDays)*24*time.Hour}, true
}

// SourceLabel is how a source is named on a card.
func SourceLabel(source string) string {
	switch source {
	case "":
		return "source unknown"
	case SourceImport:
		return "import file"
	case SourceAPI:
		return "ingest API"
	case SourceSegment:
		return "Segment"
	case SourceChat:
		return "chat"
	case SourceConsole:
		return "console"
	case "hubspot":
		return "HubSpot"
	case "salesforce":
		return "Salesforce"
	case "zendesk":
		return "Zendesk"
	case "stripe":
		return "Stripe"
	}
	return source
}

// Text is the card's line: "Data as of 2026-11-20 14:03 (HubSpot)", or
// for stale data "⚠ data 12 days old (HubSpot) — last changed 2026-11-11".
// Times are shown in loc (the asker's time zone).
func (d DataAge) Text(loc *time.Location) string {
	if loc == nil {
		loc = time.UTC
	}
	at := d.ChangedAt.In(loc)
	if d.Stale {
		return fmt.Sprintf("⚠ data %d days old (%s) — last changed %s", d.AgeDays, SourceLabel(d.Source), at.Format("2006-01-02"))
	}
	return fmt.Sprintf("Data as of %s (%s)", at.Format("2006-01-02 15:04 MST"), SourceLabel(d.Source))
}

// StaleText is the short flag for a ranked row: "⚠ data 12 days old (HubSpot)".
func (d DataAge) StaleText() string {
	return fmt.Sprintf("⚠ data %d days old (%s)", d.AgeDays, SourceLabel(d.Source))
}
