package badger

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"github.com/accountbot/accountbot/storage"
	"maps"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dgraph-io/badger/v4"

	"github.com/accountbot/accountbot/domain"
)

// fillBook writes n accounts with usage and signals, then renames some
// (index deletions, so the stream holds tombstones).
func fillBook(t *testing.T, db *DB, n int, tag string) {
	t.Helper()
	ctx := context.Background()
	var ps []domain.Patch
	for i := range n {
		id := fmt.Sprintf("%s-%04d", tag, i)
		ps = append(ps, domain.Patch{ID: id, Core: acct(id, "Name "+id, fmt.Sprintf("o%d@example.com", i%7)),
			Usage:   []domain.Snapshot{{Date: day, ActiveUsers: i}, {Date: day.AddDays(-7), ActiveUsers: i + 1}},
			Signals: []domain.Signal{{Date: day, Kind: domain.SignalNote, Note: strings.Repeat("n", i%50)}}})
	}
	if _, err := db.Apply(ctx, ps); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < n; i += 10 {
		id := fmt.Sprintf("%s-%04d", tag, i)
		a := acct(id, "Renamed "+id, "moved@example.com")
		if _, err := db.Apply(ctx, []domain.Patch{{ID: id, Core: a}}); err != nil {
			t.Fatal(err)
		}
	}
}

// dump returns every key and value of the store in dir, opened and closed.
func dump(t *testing.T, dir string) map[string]string {
	t.Helper()
	db, err := Open(context.Background(), dir, Options{})
	if err != nil {
		t.Fatalf("opening %s: %v", dir, err)
	}
	defer db.Close()
	out := map[string]string{}
	err = db.db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{PrefetchValues: true})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			v, err := it.Item().ValueCopy(nil)
			if err != nil {
				return err
			}
			out[string(it.Item().Key())] = string(v)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// bookDir makes a closed store of n accounts and returns its directory,
// its backup and its dump.
func bookDir(t *testing.T, n int, tag string) (string, []byte, map[string]string) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "data")
	db, err := Open(context.Background(), dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	fillBook(t, db, n, tag)
	var buf bytes.Buffer
	if err := db.Backup(context.Background(), &buf); err != nil {
		t.Fatal(err)
	}
	db.Close()
	return dir, buf.Bytes(), dump(t, dir)
}

// frameBoundaries returns the offset of every frame start in a backup,
// and the offset of its trailer.
func frameBoundaries(t *testing.T, b []byte) []int {
	t.Helper()
	off := len(backupMagic)
	out := []int{off}
	for {
		sz := binary.LittleEndian.Uint64(b[off:])
		if sz == endOfFrames {
			return out
		}
		off += 8 + int(sz)
		out = append(out, off)
	}
}

func TestBackupRoundTripsExactly(t *testing.T) {
	ctx := context.Background()
	_, backup, want := bookDir(t, 300, "rt")
	dir := filepath.Join(t.TempDir(), "restored")
	res, err := Restore(ctx, dir, bytes.NewReader(backup), storage.RestoreOptions{})
	if err != nil || !res.Verified || res.Accounts != 300 {
		t.Fatalf("restore = %+v, %v", res, err)
	}
	if got := dump(t, dir); !maps.Equal(got, want) {
		t.Fatalf("restored store differs: %d keys, want %d", len(got), len(want))
	}
	db, err := Open(ctx, dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if ids, _ := db.IDsByOwner(ctx, "moved@example.com"); len(ids) != 30 {
		t.Errorf("owner index after restore: %d ids", len(ids))
	}
	if r, _ := db.Resolve(ctx, "Renamed rt-0010"); len(r.IDs) != 1 {
		t.Errorf("name index after restore: %+v", r)
	}
	staging, old := siblings(dir)
	for _, p := range []string{staging, old} {
		if _, err := os.Stat(p); err == nil {
			t.Errorf("%s left behind", p)
		}
	}
}

// Every damaged copy is refused with a message that says what is wrong,
// and the good store it was to replace is untouched.
func TestDamagedBackupsAreRefused(t *testing.T) {
	ctx := context.Background()
	_, backup, _ := bookDir(t, 300, "src")
	live, _, before := bookDir(t, 20, "live")
	bounds := frameBoundaries(t, backup)
	trailer := bounds[len(bounds)-1]
	if len(bounds) < 2 {
		t.Fatalf("want a backup with frames, got %d", len(bounds)-1)
	}
	t.Logf("%d bytes, %d frames", len(backup), len(bounds)-1)
	type damaged struct {
		name, file, want string
	}
	var cases []damaged
	for _, b := range bounds {
		cases = append(cases, damaged{fmt.Sprintf("cut at frame boundary %d", b), string(backup[:b]), "truncated"})
	}
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rnd := rand.New(rand.NewPCG(seed, 1))
	for range 32 {
		n := rnd.IntN(len(backup)-1) + 1
		cases = append(cases, damaged{fmt.Sprintf("cut at byte %d", n), string(backup[:n]), ""})
	}
	cases = append(cases,
		damaged{"header only", backupMagic, "ends after its 20-byte header"},
		damaged{"cut inside the trailer", string(backup[:trailer+20]), "trailer"},
		damaged{"empty", "", "not an AccountBot backup"},
		damaged{"not a backup", "hello, world, this is not it", "not an AccountBot backup"},
		damaged{"newer format", strings.Replace(string(backup), backupMagic, "ACCOUNTBOT-BACKUP 9\n", 1), "format"},
		damaged{"trailing data", string(backup) + "x", "after its trailer"},
		damaged{"trailer count changed", string(backup[:trailer+8]) + "\x01" + string(backup[trailer+9:]), "checksum"},
	)
	for i := range 64 {
		bit := rnd.IntN(len(backup) * 8)
		b := bytes.Clone(backup)
		b[bit/8] ^= 1 << (bit % 8)
		cases = append(cases, damaged{fmt.Sprintf("flip %d: bit %d", i, bit), string(b), ""})
	}
	for _, c := range cases {
		_, err := Restore(ctx, live, strings.NewReader(c.file), storage.RestoreOptions{Replace: true})
		if domain.ErrorCode(err) != domain.EINVALID || !strings.Contains(domain.ErrorMessage(err), c.want) {
			t.Errorf("%s: err = %v, want EINVALID mentioning %q", c.name, err, c.want)
		}
	}
	if got := dump(t, live); !maps.Equal(got, before) {
		t.Fatal("a refused restore changed the live store")
	}
	// The intact file still restores over it.
	if _, err := Restore(ctx, live, bytes.NewReader(backup), storage.RestoreOptions{Replace: true}); err != nil {
		t.Fatalf("good restore after refusals: %v", err)
	}
}

func TestRestoreRules(t *testing.T) {
	ctx := context.Background()
	_, backup, want := bookDir(t, 30, "a")
	live, _, before := bookDir(t, 5, "b")
	// A store with accounts is replaced only on request.
	if _, err := Restore(ctx, live, bytes.NewReader(backup), storage.RestoreOptions{}); domain.ErrorCode(err) != domain.ECONFLICT || !strings.Contains(err.Error(), "--replace") {
		t.Errorf("restore over accounts = %v", err)
	}
	if got := dump(t, live); !maps.Equal(got, before) {
		t.Fatal("refused restore changed the store")
	}
	// An open store is refused, not swapped under its owner.
	db, err := Open(ctx, live, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Restore(ctx, live, bytes.NewReader(backup), storage.RestoreOptions{Replace: true}); domain.ErrorCode(err) != domain.ECONFLICT {
		t.Errorf("restore into an open store = %v", err)
	}
	db.Close()
	// A file that is not the store's stops the whole-directory swap.
	os.WriteFile(filepath.Join(live, "notes.txt"), []byte("mine"), 0o600)
	if _, err := Restore(ctx, live, bytes.NewReader(backup), storage.RestoreOptions{Replace: true}); err == nil || !strings.Contains(err.Error(), "notes.txt") {
		t.Errorf("restore over a foreign file = %v", err)
	}
	os.Remove(filepath.Join(live, "notes.txt"))
	// A format-1 backup (no trailer) cannot be verified.
	bounds := frameBoundaries(t, backup)
	v1 := backupMagicV1 + string(backup[len(backupMagic):bounds[len(bounds)-1]])
	if _, err := Restore(ctx, live, strings.NewReader(v1), storage.RestoreOptions{Replace: true}); err == nil || !strings.Contains(err.Error(), "--unverified") {
		t.Errorf("format-1 restore = %v", err)
	}
	if _, err := Restore(ctx, live, strings.NewReader(backupMagicV1), storage.RestoreOptions{Replace: true, Unverified: true}); err == nil || !strings.Contains(err.Error(), "header") {
		t.Errorf("header-only format-1 restore = %v", err)
	}
	res, err := Restore(ctx, live, strings.NewReader(v1), storage.RestoreOptions{Replace: true, Unverified: true})
	if err != nil || res.Verified {
		t.Fatalf("format-1 --unverified = %+v %v", res, err)
	}
	if got := dump(t, live); !maps.Equal(got, want) {
		t.Error("format-1 restore differs")
	}
}

// A crash between the two renames of the swap leaves the old store aside;
// the next Open puts it back. A crash after them leaves the old copy,
// which the next Open removes.
func TestInterruptedSwapRecovers(t *testing.T) {
	live, _, before := bookDir(t, 5, "s")
	staging, old := siblings(live)
	if err := os.Rename(live, old); err != nil {
		t.Fatal(err)
	}
	if got := dump(t, live); !maps.Equal(got, before) {
		t.Fatal("the old store was not put back")
	}
	if err := os.CopyFS(old, os.DirFS(live)); err != nil {
		t.Fatal(err)
	}
	os.Mkdir(staging, 0o700)
	dump(t, live)
	if _, err := os.Stat(old); err == nil {
		t.Error("finished swap: old copy not removed")
	}
}

// "--data ." works: the staging directory goes next to the working
// directory, not inside it.
func TestRestoreIntoWorkingDirectory(t *testing.T) {
	_, backup, want := bookDir(t, 10, "wd")
	dir := filepath.Join(t.TempDir(), "data")
	os.Mkdir(dir, 0o700)
	t.Chdir(dir)
	if _, err := Restore(context.Background(), ".", bytes.NewReader(backup), storage.RestoreOptions{}); err != nil {
		t.Fatal(err)
	}
	if got := dump(t, dir); !maps.Equal(got, want) {
		t.Error("restored store differs")
	}
}
