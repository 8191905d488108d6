package storagetest

import (
	"context"
	"io"
	"testing"
	"time"

	"github.com/accountbot/accountbot/connector"
	"github.com/accountbot/accountbot/domain"
	"github.com/accountbot/accountbot/storage"
)

// Store is what every storage backend offers the rest of AccountBot: the
// methods the contract suite (Run) checks. It is the union of small groups
// so that a change in one area stays local. Methods that only make sense
// for one technology are not here: Badger's Raw, Sync, RunGC and
// MigrateLegacyRefs (keys written by Badger-era versions), and the
// background loops (RunAuditPruning) built on the methods below.
type Store interface {
	AccountStore
	NudgeStore
	UserStore
	RefStore
	AuditStore
	TokenStore
	SegmentStore
	SyncStore
	ExternalStore
	ScoreStore
	InstallStore
	Backup(ctx context.Context, w io.Writer) error
}

// AccountStore holds the book: account records, usage, signals and the
// owner, renewal and name indexes Apply keeps.
type AccountStore interface {
	Apply(ctx context.Context, patches []domain.Patch) (domain.ApplyStats, error)
	ApplyOnce(ctx context.Context, id string, patches []domain.Patch) (domain.ApplyStats, bool, error)
	WriteSeen(ctx context.Context, id string) (bool, error)
	Account(ctx context.Context, id string) (*domain.Account, error)
	ForEach(ctx context.Context, fn func(*domain.Account) error) error
	ForEachConcurrent(ctx context.Context, workers int, fn func(worker int, a *domain.Account) error) error
	Resolve(ctx context.Context, query string) (domain.Resolution, error)
	IDsByOwner(ctx context.Context, owner string) ([]string, error)
	Owners(ctx context.Context) ([]domain.OwnerCount, error)
	OwnsAccounts(ctx context.Context, email string) (bool, error)
	IDsRenewingBetween(ctx context.Context, from, to domain.Date) ([]string, error)
	Empty(ctx context.Context) (bool, error)
}

// NudgeStore is the nudge ledger and per-user settings.
type NudgeStore interface {
	LedgerGet(ctx context.Context, key string) (domain.LedgerEntry, bool, error)
	LedgerPut(ctx context.Context, e domain.LedgerEntry) error
	LedgerSince(ctx context.Context, since time.Time) ([]domain.LedgerEntry, error)
	Settings(ctx context.Context, user string) (domain.UserSettings, error)
	SetSettings(ctx context.Context, user string, u domain.UserSettings) error
}

// UserStore is snoozes, outcomes and event de-duplication.
type UserStore interface {
	SetSnooze(ctx context.Context, user, id string, until domain.Date) error
	Snoozes(ctx context.Context, user string) (map[string]domain.Date, error)
	AddOutcome(ctx context.Context, o domain.Outcome) error
	AddOutcomeOnce(ctx context.Context, id string, o domain.Outcome) (bool, error)
	Outcomes(ctx context.Context, from, to domain.Date) ([]domain.Outcome, error)
	FirstSeen(ctx context.Context, platform, id string, ttl time.Duration) (bool, error)
	EventSeen(ctx context.Context, platform, id string) (bool, error)
}

// RefStore is the platforms' conversation references.
type RefStore interface {
	PutRef(ctx context.Context, platform, key string, v []byte) error
	Ref(ctx context.Context, platform, key string) ([]byte, bool, error)
	PutChannelRef(ctx context.Context, platform string, k storage.ChannelKey, name string, ref []byte) error
	ChannelRef(ctx context.Context, platform string, k storage.ChannelKey) ([]byte, bool, error)
	ChannelRefByName(ctx context.Context, platform, tenant, name string) (storage.ChannelKey, []byte, bool, error)
	ChannelRefByID(ctx context.Context, platform, tenant, channel string) (storage.ChannelKey, []byte, bool, error)
	PutPersonRef(ctx context.Context, platform string, k storage.PersonKey, email, homeTenant string, ref []byte) (bool, error)
	PersonRef(ctx context.Context, platform string, k storage.PersonKey) ([]byte, bool, error)
	PersonRefByEmail(ctx context.Context, platform, email string) (storage.PersonKey, []byte, bool, error)
}

// AuditStore is the audit log.
type AuditStore interface {
	AppendAudit(ctx context.Context, e domain.AuditEntry) error
	Audit(ctx context.Context, q storage.AuditQuery) ([]domain.AuditEntry, error)
	PruneAudit(ctx context.Context, before time.Time) (int, error)
}

// TokenStore is API tokens and the ingest API's idempotency answers.
type TokenStore interface {
	PutToken(ctx context.Context, t storage.Token) error
	Token(ctx context.Context, id string) (storage.Token, error)
	Tokens(ctx context.Context) ([]storage.Token, error)
	RevokeToken(ctx context.Context, id string) error
	Idempotent(ctx context.Context, token, key string) ([]byte, bool, error)
	PutIdempotent(ctx context.Context, token, key string, answer []byte, ttl time.Duration) error
}

// SegmentStore is the Segment inbox.
type SegmentStore interface {
	AcceptSegment(ctx context.Context, events []storage.SegmentIn) (accepted, duplicates int, err error)
	SegmentInbox(ctx context.Context, limit int) ([]storage.InboxItem, error)
	SegmentUserAccount(ctx context.Context, userID string) (string, bool, error)
	ApplySegment(ctx context.Context, effects []storage.SegmentEffect, now time.Time) error
}

// SyncStore is the CRM connectors' state: cursors, status, matches and
// the write-back queue.
type SyncStore interface {
	SyncState(ctx context.Context, source string) (connector.Cursor, connector.Status, error)
	SaveStatus(ctx context.Context, source string, st connector.Status) error
	Match(ctx context.Context, source string, ext []string) (map[string]*domain.Account, error)
	LinkExternal(ctx context.Context, source, ext, id string) error
	ExternalID(ctx context.Context, source, id string) (string, error)
	CommitPage(ctx context.Context, source string, c connector.Commit) error
	SyncMarks(ctx context.Context) ([]connector.Mark, error)
	SyncUnmatched(ctx context.Context) ([]connector.Unmatched, error)
	Enqueue(ctx context.Context, w connector.Write) error
	Due(ctx context.Context, source string, now time.Time, limit int) ([]connector.Write, error)
	Delivered(ctx context.Context, w connector.Write, remote string) error
	Reschedule(ctx context.Context, w connector.Write) error
	Written(ctx context.Context, source, id string) (map[string]string, error)
	Pending(ctx context.Context, source string) (pending, failed int, lastErr string, err error)
}

// ExternalStore is the accounts' external ids and the records that
// matched none.
type ExternalStore interface {
	ResolveAccount(ctx context.Context, source, ref string) (string, error)
	AddUnmatched(ctx context.Context, rec domain.UnmatchedRecord, at time.Time) error
	Unmatched(ctx context.Context) ([]domain.UnmatchedRecord, error)
}

// ScoreStore is the daily score history.
type ScoreStore interface {
	PutScores(ctx context.Context, scores []domain.Scored) error
	ScoreHistory(ctx context.Context, id string, from, to domain.Date) ([]domain.ScoreSnapshot, error)
}

// InstallStore is the platforms' installation records.
type InstallStore interface {
	Installation(ctx context.Context, platform string) (domain.Installation, bool, error)
	LearnInstallation(ctx context.Context, in domain.Installation) (domain.Installation, bool, error)
	ForgetInstallation(ctx context.Context, platform string) error
}

// Restorer is what the backup round trip needs besides Store: a way to
// load a backup made by Store.Backup into a new, separate store of the
// same backend. Restore is an offline operation with backend-specific
// inputs (Badger restores into a directory that is not open), so the
// backend's test wraps its store to offer it; the value the suite's
// factory returns must implement it.
type Restorer interface {
	Restored(ctx context.Context, t *testing.T, backup io.ReadSeeker) (Store, error)
}
