package storage

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
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

func TestIndexesFollowTheRecord(t *testing.T) {
	ctx := context.Background()
	db, _ := openTemp(t)
	a := acct("acme", "Acme", "ana@example.com")
	if _, err := db.Apply(ctx, []domain.Patch{{ID: "acme", Core: a}, {ID: "beta", Core: acct("beta", "Beta", "ana@example.com")}}); err != nil {
		t.Fatal(err)
	}
	b := *a
	b.Owner, b.Name, b.RenewalDate = "bo@example.com", "Acme Renamed", day.AddDays(300)
	if _, err := db.Apply(ctx, []domain.Patch{{ID: "acme", Core: &b}}); err != nil {
		t.Fatal(err)
	}
	if ids, _ := db.IDsByOwner(ctx, "ana@example.com"); len(ids) != 1 || ids[0] != "beta" {
		t.Errorf("old owner still indexed: %v", ids)
	}
	if ids, _ := db.IDsByOwner(ctx, "bo@example.com"); len(ids) != 1 || ids[0] != "acme" {
		t.Errorf("new owner = %v", ids)
	}
	if ids, _ := db.IDsRenewingBetween(ctx, day, day.AddDays(200)); len(ids) != 1 || ids[0] != "beta" {
		t.Errorf("renewals = %v", ids)
	}
	if r, _ := db.Resolve(ctx, "acme"); len(r.IDs) != 1 {
		t.Errorf("id lookup = %+v", r)
	}
	if r, _ := db.Resolve(ctx, "ACME renamed"); len(r.IDs) != 1 || r.IDs[0] != "acme" {
		t.Errorf("new name = %+v", r)
	}
	owners, _ := db.Owners(ctx)
	if len(owners) != 2 || owners[0].Owner != "ana@example.com" || owners[0].Accounts != 1 {
		t.Errorf("owners = %+v", owners)
	}
}

func TestResolve(t *testing.T) {
	ctx := context.Background()
	db, _ := openTemp(t)
	globex := acct("g1", "Globex", "ana@example.com")
	globex.Aliases = []string{"GBX"}
	var ps []domain.Patch
	for _, a := range []*domain.Account{globex, acct("i1", "Initech", "a@b.co"), acct("i2", "Initrode", "a@b.co"), acct("u1", "Umbrella Corp", "a@b.co")} {
		ps = append(ps, domain.Patch{ID: a.ID, Core: a})
	}
	if _, err := db.Apply(ctx, ps); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		q       string
		ids     []string
		suggest []string
	}{
		{"gbx", []string{"g1"}, nil},
		{"GLOBEX", []string{"g1"}, nil},
		{"umbrella", []string{"u1"}, nil},
		{"init", []string{"i1", "i2"}, nil},
		{"globx", nil, []string{"g1"}},
		{"zzzzzz", nil, nil},
	}
	for _, tt := range tests {
		r, err := db.Resolve(ctx, tt.q)
		if err != nil || fmt.Sprint(r.IDs) != fmt.Sprint(tt.ids) || fmt.Sprint(r.Suggestions) != fmt.Sprint(tt.suggest) {
			t.Errorf("Resolve(%q) = %+v %v; want %v / %v", tt.q, r, err, tt.ids, tt.suggest)
		}
	}
}

func TestScoreHistory(t *testing.T) {
	ctx := context.Background()
	db, _ := openTemp(t)
	var sc []domain.Scored
	for i := range 5 {
		sc = append(sc, domain.Scored{ID: "acme", Snapshot: domain.ScoreSnapshot{Date: day.AddDays(-7 * i), Combined: i}})
	}
	if err := db.PutScores(ctx, sc); err != nil {
		t.Fatal(err)
	}
	h, err := db.ScoreHistory(ctx, "acme", day.AddDays(-14), day)
	if err != nil || len(h) != 3 || h[0].Date != day.AddDays(-14) || h[2].Combined != 0 {
		t.Errorf("history = %+v %v", h, err)
	}
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

func TestForEachConcurrentSeesEveryAccountOnce(t *testing.T) {
	ctx := context.Background()
	db, _ := openTemp(t)
	var ps []domain.Patch
	for i := range 300 {
		id := fmt.Sprintf("acc-%03d", i)
		ps = append(ps, domain.Patch{ID: id, Core: acct(id, "Name "+id, "o@example.com"),
			Usage:   []domain.Snapshot{{Date: day, ActiveUsers: i}, {Date: day.AddDays(-7), ActiveUsers: i + 1}},
			Signals: []domain.Signal{{Date: day, Kind: domain.SignalNote, Note: id}}})
	}
	if _, err := db.Apply(ctx, ps); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	seen := map[string]int{}
	workers := map[int]bool{}
	err := db.ForEachConcurrent(ctx, 4, func(w int, a *domain.Account) error {
		mu.Lock()
		defer mu.Unlock()
		seen[a.ID]++
		workers[w] = true
		if len(a.Usage) != 2 || a.Usage[0].Date >= a.Usage[1].Date || a.Usage[0].ActiveUsers != a.Usage[1].ActiveUsers+1 || len(a.Signals) != 1 || a.Signals[0].Note != a.ID {
			t.Errorf("%s loaded wrongly: %+v %+v", a.ID, a.Usage, a.Signals)
		}
		return nil
	})
	if err != nil || len(seen) != 300 {
		t.Fatalf("seen %d, err %v", len(seen), err)
	}
	for id, n := range seen {
		if n != 1 {
			t.Errorf("%s seen %d times", id, n)
		}
	}
	// An error from fn stops the scan and is returned.
	boom := fmt.Errorf("boom")
	if err := db.ForEachConcurrent(ctx, 2, func(int, *domain.Account) error { return boom }); err != boom {
		t.Errorf("err = %v", err)
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
