package domain

import "time"

// The data types exchanged with a store. The interfaces themselves are
// declared by their consumers (bot/, cmd/); any backend returns these.

// Patch is one account's worth of changes, as an import or a chat command
// produces them. Usage merges by date, signals merge by content; the core
// record and the stakeholder list replace what is stored when given.
type Patch struct {
	ID                  string
	Core                *Account // nil: keep the stored record (which must exist)
	Stakeholders        []Stakeholder
	ReplaceStakeholders bool
	Usage               []Snapshot
	Signals             []Signal
	// Source names who writes (SourceImport, SourceAPI, a connector…) and
	// At when; the store stamps both on the account when the patch changes
	// it. A zero At is the store's clock.
	Source string
	At     time.Time
}

// ApplyStats counts what applying patches did.
type ApplyStats struct {
	Created   int `json:"created"`
	Updated   int `json:"updated"`
	Unchanged int `json:"unchanged"`
	Snapshots int `json:"snapshots_written"`
	Signals   int `json:"signals_written"`
}

// Resolution is the result of looking an account up by what a user typed.
type Resolution struct {
	IDs         []string // one: found; several: ambiguous
	Suggestions []string // ids of close names when nothing matched ("did you mean")
}

// OwnerCount is an owner with the number of accounts they own.
type OwnerCount struct {
	Owner    string `json:"owner"`
	Accounts int    `json:"accounts"`
}

// Scored is one account's score snapshot for a day.
type Scored struct {
	ID       string
	Snapshot ScoreSnapshot
}
