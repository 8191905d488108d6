package storagetest

import (
	"context"
	"testing"
	"time"

	"github.com/accountbot/accountbot/domain"
)

// Run runs the contract suite: every test calls open for a new, empty
// store of the backend under test, which open must close (t.Cleanup) when
// that test ends. Tests run one after another; a backend may share one
// server between them as long as each store starts empty.
func Run(t *testing.T, open func(t *testing.T) Store) {
	for _, c := range contract {
		t.Run(c.name, func(t *testing.T) { c.fn(t, open(t)) })
	}
}

// contract lists the suite's tests, by area.
var contract = []struct {
	name string
	fn   func(t *testing.T, s Store)
}{
	{"ApplyAndRead", testApplyAndRead},
	{"ApplyIsAllOrNothing", testApplyIsAllOrNothing},
	{"ApplySeesItsOwnPatches", testApplySeesItsOwnPatches},
	{"ResolveRanking", testResolveRanking},
	{"Ledger", testLedger},
	{"FirstSeenIsPutIfAbsent", testFirstSeenIsPutIfAbsent},
	{"SegmentInbox", testSegmentInbox},
	{"SnoozesAndSettings", testSnoozesAndSettings},
	{"OutcomesOrder", testOutcomesOrder},
	{"Idempotency", testIdempotency},
	{"PruneAudit", testPruneAudit},
	{"BackupRoundTrip", testBackupRoundTrip},
	{"IndexesFollowTheRecord", testIndexesFollowTheRecord},
	{"Resolve", testResolve},
	{"ScoreHistory", testScoreHistory},
	{"ForEachConcurrentSeesEveryAccountOnce", testForEachConcurrentSeesEveryAccountOnce},
	{"SuggestionsForEveryUnknownName", testSuggestionsForEveryUnknownName},
	{"AuditAppendAndQuery", testAuditAppendAndQuery},
	{"LearnInstallationFirstWins", testLearnInstallationFirstWins},
	{"LearnInstallationConcurrent", testLearnInstallationConcurrent},
	{"EventSeenDoesNotRecord", testEventSeenDoesNotRecord},
	{"OwnsAccounts", testOwnsAccounts},
	{"AddOutcomeOnceReplay", testAddOutcomeOnceReplay},
	{"AddOutcomeOnceConcurrent", testAddOutcomeOnceConcurrent},
	{"ApplyOnce", testApplyOnce},
	{"WriteOnceFailureKeepsIDFree", testWriteOnceFailureKeepsIDFree},
	{"ExternalIDsAreIndexedWithTheAccount", testExternalIDsAreIndexedWithTheAccount},
	{"TokensStoreOnlyTheHash", testTokensStoreOnlyTheHash},
	{"SyncCommitPage", testSyncCommitPage},
	{"Outbox", testOutbox},
	{"SyncSharesExternalIDs", testSyncSharesExternalIDs},
	{"ChannelNameHijack", testChannelNameHijack},
	{"ChannelRenameAndAmbiguity", testChannelRenameAndAmbiguity},
	{"EmailRekeyFromForeignTenant", testEmailRekeyFromForeignTenant},
	{"ChannelByIDKeepsNameAndAbsorbsTeamless", testChannelByIDKeepsNameAndAbsorbsTeamless},
}

// Fixed times: the suite never reads the clock.
var (
	day = domain.MustDate("2026-11-23")
	now = day.Time().Add(9 * time.Hour)
)

func acct(id, name, owner string) *domain.Account {
	return &domain.Account{ID: id, Name: name, Owner: owner, ARR: 120_000_00, Currency: "USD",
		RenewalDate: day.AddDays(100), FeaturesAvailable: 10, FeaturesAdopted: 5}
}

// apply applies patches and fails the test on an error.
func apply(t *testing.T, s Store, ps ...domain.Patch) domain.ApplyStats {
	t.Helper()
	st, err := s.Apply(context.Background(), ps)
	if err != nil {
		t.Fatalf("applying %d patches: %v", len(ps), err)
	}
	return st
}

func withAccount(t *testing.T, s Store, id, owner string) {
	t.Helper()
	apply(t, s, domain.Patch{ID: id, Core: acct(id, id, owner)})
}

func countOutcomes(t *testing.T, s Store) int {
	t.Helper()
	os, err := s.Outcomes(context.Background(), day.AddDays(-1), day.AddDays(1))
	if err != nil {
		t.Fatal(err)
	}
	return len(os)
}

const refHome = "72f988bf-86f1-41af-91ab-2d7cd011db47"
const refEvil = "deadbeef-0000-4000-8000-000000000666"

func ref(conv string) []byte { return []byte(`{"conversation":{"id":"` + conv + `"}}`) }
