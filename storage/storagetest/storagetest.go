// Package storagetest is the contract every storage backend passes, and
// gives other packages' tests an in-memory Badger store holding the
// example book from examples/ (Open).
//
// A backend implements Store, and its own test calls Run with a function
// that opens a new, empty store and also implements Restorer (see
// storage/contract_test.go). The rules about data live in domain, not in
// backends: Apply reads what a patch touches, calls domain.MergePatch and
// writes the result (counting it with ApplyStats.Count) with the indexes
// that follow it (domain.NameKeys for names); Resolve looks candidates up
// and lets domain rank them (domain.ParseNameQuery, AddMatch, Suggester).
// Beyond that, a backend guarantees:
//
//   - Atomicity per call. Apply, ApplyOnce, CommitPage, ApplySegment and
//     AcceptSegment write everything or nothing: an invalid or unknown
//     patch anywhere rejects the whole call. A crash leaves the store as
//     before the call or fully after it, and a call that returned nil
//     survives a crash (the ledger, settings, snoozes and outcomes are
//     durable when their call returns; the audit log may trail by one
//     write). Later patches of one call see the earlier ones.
//   - Dedupe keys are put-if-absent and atomic: FirstSeen, ApplyOnce,
//     AddOutcomeOnce, LearnInstallation and AcceptSegment (by messageId)
//     let exactly one of concurrent callers with one key through. A call
//     that fails records nothing, so its retry can succeed. EventSeen and
//     WriteSeen only look. LedgerPut is not put-if-absent: the ledger keeps
//     the last state written for a dedupe key.
//   - Ordering: ForEach by id; Resolve's matches of one name by id;
//     IDsRenewingBetween by date, then id; Owners by e-mail; Outcomes by
//     account, then date, then write order (two the same day are both
//     kept); Audit oldest first (Limit keeps the newest); LedgerSince
//     newest first; SegmentInbox in acceptance order; ScoreHistory oldest
//     first; Tokens by id.
//   - Keys: ids, e-mails and platform keys holding control or invisible
//     characters are refused with EINVALID, never stored.
//   - A backup made by Backup restores (Restorer) to a store that reads
//     the same.
package storagetest

import (
	"context"
	"github.com/accountbot/accountbot/storage/badger"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/accountbot/accountbot/domain"
	"github.com/accountbot/accountbot/storage/importer"
)

// ExamplesDir is the repository's examples/ directory.
func ExamplesDir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "examples")
}

// SeedAt is when the example book is imported (ExamplePatches): three
// days before the tests' usual now (2026-11-23 09:00 UTC), so its cards
// are fresh.
var SeedAt = time.Date(2026, 11, 20, 8, 0, 0, 0, time.UTC)

// Open returns an in-memory store with the example book imported; it is
// closed when the test ends.
func Open(t testing.TB) *badger.DB {
	t.Helper()
	ctx := context.Background()
	db, err := badger.Open(ctx, "", badger.Options{InMemory: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Apply(ctx, ExamplePatches(t)); err != nil {
		t.Fatal(err)
	}
	return db
}

// ExamplePatches returns the example book as patches, as `accountbot
// import examples/` reads it.
func ExamplePatches(t testing.TB) []domain.Patch {
	t.Helper()
	im := importer.New(importer.Options{})
	files, _ := filepath.Glob(filepath.Join(ExamplesDir(), "*"))
	for _, f := range files {
		if filepath.Ext(f) == ".yaml" {
			continue // a rules candidate (README: Testing a rule change), not part of the book
		}
		fh, err := os.Open(f)
		if err != nil {
			t.Fatal(err)
		}
		im.Add(filepath.Base(f), fh)
		fh.Close()
	}
	res := im.Finish(nil)
	if len(res.Errors) > 0 {
		t.Fatal(res.Errors)
	}
	for i := range res.Patches { // a fixed "data as of" for the cards' goldens
		res.Patches[i].Source, res.Patches[i].At = domain.SourceImport, SeedAt
	}
	return res.Patches
}
