package domain

import "strings"

// Result is how an expansion or renewal conversation ended.
type Result string

const (
	Won     Result = "won"
	Lost    Result = "lost"
	Pending Result = "pending"
)

// Outcome records the result of a talk track, for win rates by motion.
type Outcome struct {
	AccountID string `json:"account_id"`
	Date      Date   `json:"date"`
	Result    Result `json:"result"`
	Motion    Motion `json:"motion,omitempty"`
	ARR       int64  `json:"arr_minor,omitempty"` // the ARR won (or at stake)
	Currency  string `json:"currency,omitempty"`
	TalkTrack string `json:"talk_track,omitempty"`
	By        string `json:"by,omitempty"` // who logged it
	Note      string `json:"note,omitempty"`
}

// ParseResult reads won/lost/pending.
func ParseResult(s string) (Result, bool) {
	switch r := Result(strings.ToLower(strings.TrimSpace(s))); r {
	case Won, Lost, Pending:
		return r, true
	}
	return "", false
}
