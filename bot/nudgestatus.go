package bot

import (
	"errors"
	"fmt"
	"time"

	"github.com/accountbot/accountbot/domain"
)

// This file is the engine's side of the proactive nudges (package
// bot/nudge): who a nudge goes to, the typed `portfolio nudges` result and
// the few drawing helpers the nudge messages share with the commands. The
// nudge package depends on bot, never the other way round.

// ActionDraftRenewal drafts the renewal script for the account (the
// button on a renewal reminder).
const ActionDraftRenewal = "draft_renewal"

// Recipient is whom a nudge goes to: a person (by e-mail) or a channel.
type Recipient struct {
	Email   string `json:"email,omitempty"`
	Channel string `json:"channel,omitempty"`
}

func (r Recipient) String() string {
	if r.Email != "" {
		return r.Email
	}
	return r.Channel
}

// ErrUnknownRecipient means a notifier cannot reach this recipient at all
// (no conversation with them on that platform); another may.
var ErrUnknownRecipient = errors.New("unknown recipient")

// NudgeDue is a nudge that is due and not yet delivered.
type NudgeDue struct {
	Kind      domain.NudgeKind `json:"kind"`
	Key       string           `json:"dedupe_key"`
	To        Recipient        `json:"recipient"`
	AccountID string           `json:"account_id,omitempty"`
	DueAt     time.Time        `json:"due_at"`
	Date      domain.Date      `json:"date"` // the local date it belongs to
}

// NudgeEntry is one delivery-ledger entry as `portfolio nudges` shows it.
type NudgeEntry struct {
	Kind      domain.NudgeKind `json:"kind"`
	Key       string           `json:"dedupe_key"`
	Recipient string           `json:"recipient"`
	Attempts  int              `json:"attempts"`
	Error     string           `json:"error,omitempty"`
	At        time.Time        `json:"at"`
}

// NudgeStatusResult is `portfolio nudges`: the asker's schedule (when the
// asker is known), what is due now, and what was sent or failed in the
// last 7 days.
type NudgeStatusResult struct {
	TimeZone   string       `json:"time_zone,omitempty"`
	Digest     string       `json:"digest,omitempty"` // "08:30 on working days" or "off"
	Weekly     string       `json:"weekly,omitempty"`
	QuietHours string       `json:"quiet_hours,omitempty"`
	Due        []NudgeDue   `json:"due"`
	Sent       int          `json:"sent"`
	RecentSent []NudgeEntry `json:"recent_sent"` // the first 15 of Sent
	Failed     int          `json:"failed"`
	Failures   []NudgeEntry `json:"failures"`
}

// maxRecentSent is how many sent nudges the status lists by name.
const maxRecentSent = 15

// Message draws the status.
func (r NudgeStatusResult) Message() *Message {
	m := &Message{Title: "Nudges"}
	if r.TimeZone != "" {
		m.Blocks = append(m.Blocks, Section{Fields: []Field{
			{Label: "Time zone", Value: r.TimeZone},
			{Label: "Daily digest", Value: r.Digest},
			{Label: "Weekly review", Value: r.Weekly},
			{Label: "Quiet hours", Value: r.QuietHours},
		}})
	}
	due := List{Title: "Due now"}
	for _, p := range r.Due {
		due.Items = append(due.Items, Item{Text: fmt.Sprintf("%s to %s", p.Kind, p.To), Detail: p.Key})
	}
	if len(due.Items) == 0 {
		due.Items = []Item{{Text: "Nothing due right now."}}
	}
	sent := List{Title: "Sent in the last 7 days", More: r.Sent - len(r.RecentSent)}
	for _, e := range r.RecentSent {
		sent.Items = append(sent.Items, Item{Text: fmt.Sprintf("%s to %s", e.Kind, e.Recipient),
			Detail: e.At.UTC().Format("2006-01-02 15:04 UTC") + " · " + e.Key})
	}
	if r.Sent == 0 {
		sent.Items = []Item{{Text: "Nothing yet."}}
	}
	m.Blocks = append(m.Blocks, due, sent)
	if r.Failed > 0 {
		failed := List{Title: "Failed"}
		for _, e := range r.Failures {
			failed.Items = append(failed.Items, Item{Text: fmt.Sprintf("%s to %s (attempt %d)", e.Kind, e.Recipient, e.Attempts),
				Detail: e.Error, Tone: ToneBad})
		}
		m.Blocks = append(m.Blocks, failed)
	}
	return m
}

// AddSent counts a sent nudge, listing the first few by name.
func (r *NudgeStatusResult) AddSent(e NudgeEntry) {
	r.Sent++
	if len(r.RecentSent) < maxRecentSent {
		r.RecentSent = append(r.RecentSent, e)
	}
}

// AddFailed counts and lists a failed (or interrupted) nudge.
func (r *NudgeStatusResult) AddFailed(e NudgeEntry) {
	r.Failed++
	r.Failures = append(r.Failures, e)
}

// TopBlocks draws ranked accounts as `portfolio top` does, with the same
// typed data; the daily digest and the weekly review share them.
func TopBlocks(items []domain.Evaluation) ([]Block, []TopAccount) { return topBlocks(items) }

// AccountButtons is the row of account buttons under an alert.
func AccountButtons(id string) Actions { return accountButtons(id) }

// ReadinessTone colours a renewal readiness.
func ReadinessTone(r domain.Readiness) Tone { return readinessTone(r) }

// PriorityTone colours a priority.
func PriorityTone(p domain.Priority) Tone { return priorityTone(p) }

// PlainItems turns lines into list items.
func PlainItems(ss []string) []Item { return plainItems(ss) }
