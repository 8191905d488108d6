// Package storagetest is the contract every storage backend passes (Run,
// against the Store interface), and gives other packages' tests an
// in-memory store holding the example book from examples/ (Open).
//
// The rules about data (how a patch merges into an account, how a name is
// found) live in domain; a backend stores and indexes, and guarantees:
//
//   - Atomicity per call: Apply and ApplyOnce write all their patches or
//     none (an invalid patch anywhere rejects the whole call), and a crash
//     leaves the store as before the call or fully after it. A call that
//     returned nil survives a crash. Applies do not interleave.
//   - Apply merges with domain.MergePatch and counts with its result:
//     usage by date, signals by content, an unchanged patch writes nothing.
//   - Resolve finds candidates by its indexes and ranks them with domain's
//     name rules (exact id, then exact name or alias, then prefix, then
//     suggestions by distance), with ties in id order.
//   - Dedupe keys are put-if-absent and atomic: FirstSeen, EventSeen,
//     WriteSeen, ApplyOnce, AddOutcomeOnce and AcceptSegment report a key
//     as new to exactly one caller, even under concurrent calls; LedgerPut
//     overwrites (the ledger records the last state of a nudge).
//   - Ordering: lists come back in the documented order (audit newest
//     first, outcomes by date, ledger by time, owners by e-mail, ids by
//     id unless said otherwise).
//   - A backup made by Backup restores (Restorer) to a store that reads
//     the same.
package storagetest

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/accountbot/accountbot/storage"
	"github.com/accountbot/accountbot/storage/importer"
)

// ExamplesDir is the repository's examples/ directory.
func ExamplesDir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "examples")
}

// Open returns an in-memory store with the example book imported; it is
// closed when the test ends.
func Open(t testing.TB) *storage.DB {
	t.Helper()
	ctx := context.Background()
	db, err := storage.Open(ctx, "", storage.Options{InMemory: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	im := importer.New(importer.Options{})
	files, _ := filepath.Glob(filepath.Join(ExamplesDir(), "*"))
	for _, f := range files {
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
	if _, err := db.Apply(ctx, res.Patches); err != nil {
		t.Fatal(err)
	}
	return db
}
