package main

import (
	"context"
	"fmt"
	"github.com/accountbot/accountbot/storage/badger"
	"io"
	"os"
	"strings"
	"time"

	"github.com/accountbot/accountbot/connector"
	"github.com/accountbot/accountbot/domain"
	"github.com/accountbot/accountbot/leader"
	"github.com/accountbot/accountbot/storage"
	"github.com/accountbot/accountbot/storage/postgres"
)

// Store is what the program needs of its store: the embedded Badger one
// (badger.DB, the default) or PostgreSQL (postgres.DB, selected by
// ACCOUNTBOT_DATABASE_URL or database_url). bot/ and connector/ declare
// their own, smaller interfaces; this is the union the wiring passes on
// (ForEachConcurrent: `rules diff` replays through it on PostgreSQL, which
// has no ForEachWithHistory; the id-keyed conversation
// references and OwnsAccounts: for the Teams and access wiring).
type Store interface {
	Close() error
	Empty(ctx context.Context) (bool, error)
	RunGC(ctx context.Context, interval time.Duration)
	RunAuditPruning(ctx context.Context, interval, retention time.Duration, now func() time.Time)
	Backup(ctx context.Context, w io.Writer) error

	Apply(ctx context.Context, patches []domain.Patch) (domain.ApplyStats, error)
	ApplyOnce(ctx context.Context, id string, patches []domain.Patch) (domain.ApplyStats, bool, error)
	Account(ctx context.Context, id string) (*domain.Account, error)
	HasAccount(ctx context.Context, id string) (bool, error)
	ForEach(ctx context.Context, fn func(*domain.Account) error) error
	ForEachConcurrent(ctx context.Context, workers int, fn func(worker int, a *domain.Account) error) error
	Resolve(ctx context.Context, query string) (domain.Resolution, error)
	IDsByOwner(ctx context.Context, owner string) ([]string, error)
	Owners(ctx context.Context) ([]domain.OwnerCount, error)
	OwnsAccounts(ctx context.Context, email string) (bool, error)
	IDsRenewingBetween(ctx context.Context, from, to domain.Date) ([]string, error)

	LedgerGet(ctx context.Context, key string) (domain.LedgerEntry, bool, error)
	LedgerPut(ctx context.Context, e domain.LedgerEntry) error
	LedgerSince(ctx context.Context, since time.Time) ([]domain.LedgerEntry, error)
	Settings(ctx context.Context, user string) (domain.UserSettings, error)
	SetSettings(ctx context.Context, user string, u domain.UserSettings) error

	SetSnooze(ctx context.Context, user, id string, until domain.Date) error
	Snoozes(ctx context.Context, user string) (map[string]domain.Date, error)
	AddOutcome(ctx context.Context, o domain.Outcome) error
	AddOutcomeOnce(ctx context.Context, id string, o domain.Outcome) (bool, error)
	Outcomes(ctx context.Context, from, to domain.Date) ([]domain.Outcome, error)
	FirstSeen(ctx context.Context, platform, id string, ttl time.Duration) (bool, error)
	EventSeen(ctx context.Context, platform, id string) (bool, error)

	PutRef(ctx context.Context, platform, key string, v []byte) error
	Ref(ctx context.Context, platform, key string) ([]byte, bool, error)
	PutChannelRef(ctx context.Context, platform string, k storage.ChannelKey, name string, ref []byte) error
	ChannelRef(ctx context.Context, platform string, k storage.ChannelKey) ([]byte, bool, error)
	ChannelRefByName(ctx context.Context, platform, tenant, name string) (storage.ChannelKey, []byte, bool, error)
	PutPersonRef(ctx context.Context, platform string, k storage.PersonKey, email, homeTenant string, ref []byte) (bool, error)
	PersonRef(ctx context.Context, platform string, k storage.PersonKey) ([]byte, bool, error)
	PersonRefByEmail(ctx context.Context, platform, email string) (storage.PersonKey, []byte, bool, error)
	MigrateLegacyRefs(ctx context.Context, platform string, homeTenants []string, decode func(key string, v []byte) (storage.LegacyRef, bool)) (moved, dropped int, err error)
	ChannelRefByID(ctx context.Context, platform, tenant, channel string) (storage.ChannelKey, []byte, bool, error)
	Installation(ctx context.Context, platform string) (domain.Installation, bool, error)

	RulesVersions(ctx context.Context) ([]domain.RulesVersion, error)
	LatestRules(ctx context.Context) (domain.RulesVersion, bool, error)
	RulesVersion(ctx context.Context, n int) (domain.RulesVersion, error)
	AddRulesVersion(ctx context.Context, v domain.RulesVersion, file *domain.Config) (domain.RulesVersion, error)
	RulesFile(ctx context.Context) (domain.Config, bool, error)
	SetRulesFile(ctx context.Context, c domain.Config) error

	Evaluation(ctx context.Context, id string) (domain.EvalRecord, bool, error)
	PutEvaluations(ctx context.Context, recs []domain.EvalRecord) error
	DeleteEvaluation(ctx context.Context, id string) error
	ForEachEvaluation(ctx context.Context, fn func(domain.EvalRecord) error) error
	Ranked(ctx context.Context, owner string, book bool, fn func(id string) bool) error
	EvaluationOwners(ctx context.Context) ([]domain.OwnerCount, error)

	AppendAudit(ctx context.Context, e domain.AuditEntry) error
	Audit(ctx context.Context, q storage.AuditQuery) ([]domain.AuditEntry, error)

	PutToken(ctx context.Context, t storage.Token) error
	Token(ctx context.Context, id string) (storage.Token, error)
	Tokens(ctx context.Context) ([]storage.Token, error)
	RevokeToken(ctx context.Context, id string) error
	Idempotent(ctx context.Context, token, key string) ([]byte, bool, error)
	PutIdempotent(ctx context.Context, token, key string, answer []byte, ttl time.Duration) error

	AcceptSegment(ctx context.Context, events []storage.SegmentIn) (accepted, duplicates int, err error)
	SegmentInbox(ctx context.Context, limit int) ([]storage.InboxItem, error)
	SegmentUserAccount(ctx context.Context, userID string) (string, bool, error)
	ApplySegment(ctx context.Context, effects []storage.SegmentEffect, now time.Time) error

	SyncState(ctx context.Context, source string) (connector.Cursor, connector.Status, error)
	SaveStatus(ctx context.Context, source string, st connector.Status) error
	Match(ctx context.Context, source string, ext []string) (map[string]*domain.Account, error)
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

	ResolveAccount(ctx context.Context, source, ref string) (string, error)
	Unmatched(ctx context.Context) ([]domain.UnmatchedRecord, error)

	SetClock(now func() time.Time)
	FieldHistory(ctx context.Context, id string) ([]domain.FieldState, error)
	PutFieldHistory(ctx context.Context, states map[string][]domain.FieldState) error
	PutOutcomes(ctx context.Context, outs []domain.Outcome) error

	PutScores(ctx context.Context, scores []domain.Scored) error
	ScoreHistory(ctx context.Context, id string, from, to domain.Date) ([]domain.ScoreSnapshot, error)

	LearnInstallation(ctx context.Context, in domain.Installation) (domain.Installation, bool, error)
}

var (
	_ Store = (*badger.DB)(nil)
	_ Store = (*postgres.DB)(nil)
)

// databaseURL is the PostgreSQL database to use, "" for the embedded
// store: ACCOUNTBOT_DATABASE_URL wins over database_url in the config.
func (m *Main) databaseURL() string {
	if u := strings.TrimSpace(m.Getenv("ACCOUNTBOT_DATABASE_URL")); u != "" {
		return u
	}
	return strings.TrimSpace(m.Config.DatabaseURL)
}

// openStore opens PostgreSQL when a database URL is set, else Badger in
// the data directory.
func (m *Main) openStore(ctx context.Context) (Store, error) {
	if u := m.databaseURL(); u != "" {
		db, err := postgres.Open(ctx, u, postgres.Options{Logger: m.log})
		if err != nil {
			return nil, fmt.Errorf("opening the PostgreSQL database (ACCOUNTBOT_DATABASE_URL or database_url): %w", err)
		}
		return db, nil
	}
	return badger.Open(ctx, m.DataDir, badger.Options{Logger: m.log})
}

// restorePostgres loads a PostgreSQL backup into the configured database
// (in one transaction, after checking the whole file).
func (m *Main) restorePostgres(ctx context.Context, r io.ReadSeeker, opt storage.RestoreOptions) (storage.RestoreResult, error) {
	db, err := m.open(ctx)
	if err != nil {
		return storage.RestoreResult{}, err
	}
	pg, ok := db.(*postgres.DB)
	if !ok {
		return storage.RestoreResult{}, fmt.Errorf("restoring: the open store is not PostgreSQL")
	}
	return pg.Restore(ctx, r, opt)
}

// elector chooses whether this process runs the nudge scheduler and the
// sync loops: on PostgreSQL the replica holding the advisory lock, with
// the embedded store always this process.
func (m *Main) elector() leader.Elector {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.elect == nil {
		if u := m.databaseURL(); u != "" {
			e := leader.NewPostgres(u, m.log)
			e.AppName = fmt.Sprintf("accountbot leader pid %d", os.Getpid())
			m.elect = e
		} else {
			m.elect = leader.Always{}
		}
	}
	return m.elect
}
