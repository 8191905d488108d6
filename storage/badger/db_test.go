package badger

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/accountbot/accountbot/domain"
)

var day = domain.MustDate("2026-11-23")

func openTemp(t *testing.T) (*DB, string) {
	t.Helper()
	dir := t.TempDir()
	db, err := Open(context.Background(), dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db, dir
}

func acct(id, name, owner string) *domain.Account {
	return &domain.Account{ID: id, Name: name, Owner: owner, ARR: 120_000_00, Currency: "USD",
		RenewalDate: day.AddDays(100), FeaturesAvailable: 10, FeaturesAdopted: 5}
}

func TestSecondProcessGetsClearError(t *testing.T) {
	_, dir := openTemp(t)
	_, err := Open(context.Background(), dir, Options{})
	if domain.ErrorCode(err) != domain.ECONFLICT || !strings.Contains(domain.ErrorMessage(err), "in use by another AccountBot process") {
		t.Fatalf("second open = %v", err)
	}
}

// TestCrashKeepsAcknowledgedWrites runs a child process that writes
// accounts, reports each acknowledged write, and is killed with SIGKILL;
// every acknowledged write must be there after reopening.
func TestCrashKeepsAcknowledgedWrites(t *testing.T) {
	if dir := os.Getenv("ACCOUNTBOT_CRASH_CHILD"); dir != "" {
		crashChild(dir)
		return
	}
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashKeepsAcknowledgedWrites$")
	cmd.Env = append(os.Environ(), "ACCOUNTBOT_CRASH_CHILD="+dir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(out)
	acked := 0
	for sc.Scan() && acked < 20 {
		if strings.HasPrefix(sc.Text(), "acked ") {
			acked++
		}
	}
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	if acked < 20 {
		t.Fatalf("child acknowledged only %d writes", acked)
	}
	db, err := Open(context.Background(), dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for i := range acked {
		id := fmt.Sprintf("crash-%04d", i)
		a, err := db.Account(context.Background(), id)
		if err != nil || len(a.Usage) != 1 {
			t.Fatalf("acknowledged %s lost after kill -9: %v", id, err)
		}
	}
}

func crashChild(dir string) {
	db, err := Open(context.Background(), dir, Options{})
	if err != nil {
		fmt.Println("open:", err)
		os.Exit(1)
	}
	for i := 0; ; i++ {
		id := fmt.Sprintf("crash-%04d", i)
		p := domain.Patch{ID: id, Core: acct(id, "Crash "+id, "c@example.com"), Usage: []domain.Snapshot{{Date: day, ActiveUsers: i}}}
		if _, err := db.Apply(context.Background(), []domain.Patch{p}); err != nil {
			fmt.Println("apply:", err)
			os.Exit(1)
		}
		fmt.Println("acked", id)
	}
}

// A kill -9 right after Badger creates a memtable file leaves it empty;
// the store must still open at the first try.
func TestOpenAfterCrashLeftAnEmptyMemtable(t *testing.T) {
	db, dir := openTemp(t)
	if _, err := db.Apply(context.Background(), []domain.Patch{{ID: "acme", Core: acct("acme", "Acme", "a@example.com")}}); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if err := os.WriteFile(filepath.Join(dir, "00099.mem"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	db, err := Open(context.Background(), dir, Options{})
	if err != nil {
		t.Fatalf("open after the crash: %v", err)
	}
	defer db.Close()
	if _, err := db.Account(context.Background(), "acme"); err != nil {
		t.Errorf("data after reopening: %v", err)
	}
}

// Table builders live in Go memory and a compaction runs many at once: the
// deeper levels must not build bigger tables than the base one (db.go).
func TestTablesAreBaseSizedAtEveryLevel(t *testing.T) {
	db, _ := openTemp(t)
	o := db.db.Opts()
	if o.TableSizeMultiplier != 1 || o.BaseTableSize > 2<<20 {
		t.Errorf("tables: base %d bytes ×%d per level; want at most 2 MB at every level", o.BaseTableSize, o.TableSizeMultiplier)
	}
}
