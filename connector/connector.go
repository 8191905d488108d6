// Package connector pulls accounts from the systems a CS team already runs
// (CRMs first) into AccountBot's store, and pushes notes and scores back.
//
// A Source knows one vendor's API; the Runner knows everything else:
// matching records to accounts by external id, field ownership, applying
// each page all-or-nothing together with the cursor that follows it,
// dry runs, and per-source status. Write-backs go through an outbox in the
// store: chat only queues them, Deliver sends them later (after each sync)
// with backoff, so a chat reply never waits on a CRM.
//
// # Field ownership
//
// A source owns the fields its mapping names (Fields.Has): those are
// overwritten on every sync. Everything else — usage, signals, outcomes,
// notes, stakeholder flags set in chat — belongs to AccountBot and is never
// touched. A record deleted or merged at the source is marked (Mark), not
// silently kept or deleted: the account stays, its data stays, and sync
// status lists it.
//
// # Adding a source (Salesforce, Zendesk, Stripe…)
//
//  1. Write a package with a typed config and a Source: Begin turns the
//     stored cursor (opaque to the runner; JSON is handy) into the cursor of
//     this run, Fetch returns one page and the cursor after it. A page must
//     be small enough to apply in one transaction (≤ a few hundred records).
//  2. Map vendor records to Record: set Fields.Has for the fields the
//     mapping owns; put a per-record mapping failure in Record.Err (the
//     record is refused and reported, the others are applied); return an
//     error from Fetch only when the whole page is unusable (auth, scope,
//     network) — the cursor then stays where it was.
//  3. Optionally implement Writer so the outbox can deliver notes and
//     property updates; make deliveries idempotent (Write.ID is stable
//     across retries).
//  4. Register it in cmd/accountbot/sync.go: its name in syncSources and a
//     case in syncSource that builds it from its config section.
//
// Salesforce, for instance: Begin/Fetch over SOQL with a SystemModstamp
// cursor (Bulk API 2.0 for the first load), User e-mails for owners, Task
// creation (WhatId = the account) and Bulk 2.0 ingest for Writer.
package connector

import (
	"context"
	"time"

	"github.com/accountbot/accountbot/domain"
)

// Cursor is a source's position, opaque to the runner and stored verbatim.
type Cursor string

// Source is one system AccountBot syncs from.
type Source interface {
	// Name is the source's name, also its external-id source ("hubspot").
	Name() string
	// Begin returns the cursor to start a run from: a fresh full load when
	// full is set or prev is empty, otherwise prev (which may be in the
	// middle of an interrupted run: the run resumes there).
	Begin(prev Cursor, full bool, now time.Time) Cursor
	// Fetch returns the page at cur and the cursor after it.
	Fetch(ctx context.Context, cur Cursor) (Page, error)
}

// Page is one batch of records and the cursor that follows it.
type Page struct {
	Records []Record
	Next    Cursor
	Done    bool // no more pages in this run
}

// Field is a bit naming one CRM-owned account field.
type Field uint16

const (
	FieldName Field = 1 << iota
	FieldOwner
	FieldARR // ARR and its currency
	FieldRenewal
	FieldContractStart
	FieldPlan
	FieldSeats
	FieldStakeholders
)

var fieldNames = []struct {
	f    Field
	name string
}{{FieldName, "name"}, {FieldOwner, "owner"}, {FieldARR, "arr"}, {FieldRenewal, "renewal_date"},
	{FieldContractStart, "contract_start"}, {FieldPlan, "plan"}, {FieldSeats, "seats"}, {FieldStakeholders, "stakeholders"}}

// String names the fields set in f, comma-separated.
func (f Field) String() string {
	s := ""
	for _, n := range fieldNames {
		if f&n.f != 0 {
			if s != "" {
				s += ","
			}
			s += n.name
		}
	}
	return s
}

// Fields are the values of the CRM-owned fields of one record; Has says
// which the source provides (and so owns).
type Fields struct {
	Has           Field
	Name          string
	Owner         string // the CSM's e-mail
	ARR           int64  // minor units of Currency
	Currency      string
	RenewalDate   domain.Date
	ContractStart domain.Date
	Plan          string
	Seats         int
	Stakeholders  []domain.Stakeholder
}

// Record is one account-level record from a source.
type Record struct {
	ExternalID string
	Fields     Fields
	Deleted    bool   // removed (archived) at the source
	MergedInto string // the surviving record's external id, when merged
	Err        error  // a mapping failure: the record is refused, others go on
	Sample     string // a short rendering for the review list and errors
	// Contribute, when set, changes AccountBot-side data a non-CRM source
	// feeds (tickets, billing) on the matched account record (which has no
	// usage or signals) and returns the changes in words. It runs after
	// the CRM-owned fields are merged; nil for CRM sources.
	Contribute func(a *domain.Account) []string
}

// Mark records that an account's source record was deleted or merged.
type Mark struct {
	AccountID  string    `json:"account_id"`
	Source     string    `json:"source"`
	ExternalID string    `json:"external_id"`
	Kind       string    `json:"kind"` // "deleted" or "merged"
	MergedInto string    `json:"merged_into,omitempty"`
	At         time.Time `json:"at"`
}

// Unmatched is a record that named no account (and creation is off).
type Unmatched struct {
	Source     string `json:"source"`
	ExternalID string `json:"external_id"`
	Sample     string `json:"sample,omitempty"`
}

// UnmatchedKind marks the review-list entries a sync puts there (the
// ingest API and Segment add other kinds).
const UnmatchedKind = "sync"

// SyncUnmatched picks a sync's entries out of the whole review list: every
// store answers SyncUnmatched with it.
func SyncUnmatched(all []domain.UnmatchedRecord) []Unmatched {
	var out []Unmatched
	for _, r := range all {
		if r.Kind == UnmatchedKind {
			out = append(out, Unmatched{Source: r.Source, ExternalID: r.ExternalID, Sample: r.Sample})
		}
	}
	return out
}

// Commit is what one page changes, applied in one transaction together
// with the cursor after it.
type Commit struct {
	Accounts  []Linked // records to write, CRM fields already merged in
	Marks     []Mark
	Unmatched []Unmatched
	// Alive are accounts whose records were seen unchanged: a mark from an
	// earlier deletion is cleared (the record was restored at the source).
	Alive  []string
	Cursor Cursor
}

// Linked is an account record and the external id it is matched on.
type Linked struct {
	Account    *domain.Account
	ExternalID string
	Created    bool
}

// Store is what the runner needs from AccountBot's store.
type Store interface {
	// SyncState returns the source's stored cursor and status (zero when
	// it never ran).
	SyncState(ctx context.Context, source string) (Cursor, Status, error)
	// SaveStatus stores the source's status (not its cursor).
	SaveStatus(ctx context.Context, source string, st Status) error
	// Match returns the stored account records (without usage and signals)
	// matched to the source's external ids; ids with no account are absent.
	Match(ctx context.Context, source string, extIDs []string) (map[string]*domain.Account, error)
	// CommitPage applies c and stores c.Cursor in one transaction.
	CommitPage(ctx context.Context, source string, c Commit) error
}

// Status is a source's last run, persisted and shown by `sync status`.
type Status struct {
	Source      string    `json:"source"`
	LastRun     time.Time `json:"last_run,omitzero"`
	LastSuccess time.Time `json:"last_success,omitzero"`
	NextRun     time.Time `json:"next_run,omitzero"`
	Full        bool      `json:"full,omitempty"` // the last run was a full load
	Read        int       `json:"read"`
	Changed     int       `json:"changed"`
	Created     int       `json:"created"`
	Refused     int       `json:"refused"`
	Unmatched   int       `json:"unmatched"`
	Marked      int       `json:"marked"`
	Cursor      Cursor    `json:"cursor,omitempty"`
	LastError   string    `json:"last_error,omitempty"`
	Refusals    []string  `json:"refusals,omitempty"` // the first few refused records and why
	// Write-back (filled by the outbox worker and `sync status`).
	WritesPending int    `json:"writes_pending"`
	WritesFailed  int    `json:"writes_failed"`
	LastWriteErr  string `json:"last_write_error,omitempty"`
}
