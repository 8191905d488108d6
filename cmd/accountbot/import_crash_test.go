package main

import (
	"bufio"
	"context"
	"fmt"
	badgerstore "github.com/accountbot/accountbot/storage/badger"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/dgraph-io/badger/v4"
)

// binary (console_pty_test.go) builds the real accountbot once per run.

const bookHeader = "id,name,owner,arr,currency,plan,contract_start,renewal_date,term_months,seats_purchased,seats_active,features_available,features_adopted\n"

// writeBook writes an accounts CSV: ids acc-00000 onward, every step-th.
func writeBook(t *testing.T, path string, n, step int, tag string) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriter(f)
	w.WriteString(bookHeader)
	for i := range n {
		id := i * step
		fmt.Fprintf(w, "acc-%06d,%s %d,csm%d@example.com,%d,USD,Pro,2025-01-01,2027-%02d-15,24,%d,%d,10,%d\n",
			id, tag, id, id%40, 10000+id, 1+id%12, 50+id%100, 20+id%50, id%10)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	f.Close()
}

// countAccounts opens the store (rolling back an unfinished import) and
// counts account records and owner-index entries, which must agree.
func countAccounts(t *testing.T, dir string) int {
	t.Helper()
	db, err := badgerstore.Open(context.Background(), dir, badgerstore.Options{})
	if err != nil {
		t.Fatalf("store does not open after the kill: %v", err)
	}
	defer db.Close()
	records := 0
	db.Raw().View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: badgerstore.AccountPrefix})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			records++
		}
		return nil
	})
	owners, err := db.Owners(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	indexed := 0
	for _, o := range owners {
		indexed += o.Accounts
	}
	if indexed != records {
		t.Fatalf("%d account records but %d in the owner index", records, indexed)
	}
	return records
}

// A kill -9 at any point of a big import leaves the store exactly as
// before it or as after it, never in between.
func TestImportKilledAnywhereIsAllOrNothing(t *testing.T) {
	n := 50_000
	if testing.Short() {
		n = 10_000
	}
	bin := binary(t)
	files := t.TempDir()
	small, big := filepath.Join(files, "small.csv"), filepath.Join(files, "big.csv")
	writeBook(t, small, 2000, 7, "Old") // 2,000 accounts, every 7th id
	writeBook(t, big, n, 1, "Company")  // n accounts: updates the seeded ones among them, adds the rest
	updated := min(2000, (n+6)/7)       // seeded ids below n
	before, after := 2000, 2000+n-updated

	fresh := func() string {
		dir := filepath.Join(t.TempDir(), "data")
		if out, err := exec.Command(bin, "--data", dir, "import", small).CombinedOutput(); err != nil {
			t.Fatalf("seeding: %v\n%s", err, out)
		}
		return dir
	}
	// One full run gives the import's length on this machine.
	dir := fresh()
	start := time.Now()
	if out, err := exec.Command(bin, "--data", dir, "import", big).CombinedOutput(); err != nil {
		t.Fatalf("full import: %v\n%s", err, out)
	}
	full := time.Since(start)
	if got := countAccounts(t, dir); got != after {
		t.Fatalf("after a full import: %d accounts, want %d", got, after)
	}
	seed := uint64(time.Now().UnixNano())
	rnd := rand.New(rand.NewPCG(seed, 2))
	t.Logf("full import of %d accounts: %s; seed %d", n, full.Round(time.Millisecond), seed)
	outcomes := map[int]int{}
	for i := range 10 {
		dir := fresh()
		cmd := exec.Command(bin, "--data", dir, "import", big)
		logStderrOnFailure(t, cmd)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		delay := time.Duration(rnd.Int64N(int64(full)))
		time.Sleep(delay)
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()
		// The first open after the kill (and any rollback) is the real binary's.
		out, err := exec.Command(bin, "--data", dir, "ask", "--as", "csm7@example.com", "account acc-000007 health").CombinedOutput()
		if err != nil || len(strings.TrimSpace(string(out))) == 0 {
			t.Fatalf("kill %d after %s: the store does not answer: %v\n%s", i, delay.Round(time.Millisecond), err, out)
		}
		got := countAccounts(t, dir)
		if got != before && got != after {
			t.Fatalf("kill %d after %s: %d accounts, want %d (before) or %d (after)", i, delay.Round(time.Millisecond), got, before, after)
		}
		outcomes[got]++
	}
	t.Logf("outcomes (accounts → runs): %v", outcomes)
}
