package badger

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/dgraph-io/badger/v4"
)

// tableRSS is how much of dir's mapped table files is resident in this
// process, from /proc/self/smaps.
func tableRSS(t *testing.T, dir string) int64 {
	t.Helper()
	f, err := os.Open("/proc/self/smaps")
	if err != nil {
		t.Skipf("no /proc/self/smaps: %v", err)
	}
	defer f.Close()
	var rss int64
	in := false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fs := strings.Fields(sc.Text())
		switch {
		case len(fs) >= 5 && strings.Contains(fs[0], "-") && !strings.HasSuffix(fs[0], ":"):
			in = len(fs) == 6 && filepath.Dir(fs[5]) == dir && strings.HasSuffix(fs[5], ".sst")
		case in && fs[0] == "Rss:":
			kb, _ := strconv.ParseInt(fs[1], 10, 64)
			rss += kb << 10
		}
	}
	return rss
}

// Tables are read with pread into Go memory, not through their mappings
// (third_party/badger, table/pread.go), and a table Badger writes is
// written with write, not through a mapping (table/write.go): neither a scan,
// nor point reads, nor a compaction leave table pages resident. With
// Badger as published, the scan alone made the ~20 MB of tables resident
// (and on Linux 6.18 a point read mapped a large folio, ~169 KB). The
// data reads the same before and after ReleaseMapped, which remains as a
// guard.
func TestTableReadsAndWritesStayOutOfTheResidentSet(t *testing.T) {
	ctx := context.Background()
	dir, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	s, err := Open(ctx, dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	val := func(i int) []byte { // incompressible, so the tables are as big as the data
		b := make([]byte, 512)
		r := rand.New(rand.NewPCG(uint64(i), 7))
		for j := range b {
			b[j] = byte(r.Uint32())
		}
		return b
	}
	const n = 40000 // ~20 MB
	wb := s.db.NewWriteBatch()
	for i := range n {
		if err := wb.Set(fmt.Appendf(nil, "x/%06d", i), val(i)); err != nil {
			t.Fatal(err)
		}
	}
	if err := wb.Flush(); err != nil {
		t.Fatal(err)
	}
	s.Close() // the memtables become tables
	if s, err = Open(ctx, dir, Options{}); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	readAll := func() {
		t.Helper()
		err := s.db.View(func(txn *badger.Txn) error {
			it := txn.NewIterator(badger.IteratorOptions{Prefix: []byte("x/")})
			defer it.Close()
			i := 0
			for it.Rewind(); it.Valid(); it.Next() {
				v, err := it.Item().ValueCopy(nil)
				if err != nil {
					return err
				}
				if string(v) != string(val(i)) {
					return fmt.Errorf("value %d differs", i)
				}
				i++
			}
			if i != n {
				return fmt.Errorf("read %d values, want %d", i, n)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	getSome := func() {
		t.Helper()
		r := rand.New(rand.NewPCG(1, 2))
		err := s.db.View(func(txn *badger.Txn) error {
			for range 2000 {
				i := r.IntN(n)
				item, err := txn.Get(fmt.Appendf(nil, "x/%06d", i))
				if err != nil {
					return err
				}
				if v, err := item.ValueCopy(nil); err != nil || string(v) != string(val(i)) {
					return fmt.Errorf("value %d differs (%v)", i, err)
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	resident := func(after string) {
		t.Helper()
		if rss := tableRSS(t, dir); rss > 1<<20 {
			t.Errorf("after %s %d bytes of tables are resident; want under 1 MB (reads go through pread)", after, rss)
		}
	}
	readAll()
	resident("a scan of ~20 MB of tables")
	getSome()
	resident("2,000 random point reads")
	if err := s.db.Flatten(2); err != nil { // a compaction writes new tables
		t.Fatal(err)
	}
	resident("a compaction")
	if _, err := s.ReleaseMapped(); err != nil {
		t.Fatal(err)
	}
	readAll()
	getSome()
}

func TestTableMappingsReadsOnlyTheStoresLiveSharedTables(t *testing.T) {
	maps := strings.Join([]string{
		"7f0000000000-7f0000100000 r--s 00000000 08:01 11 /data/000012.sst",
		"7f0000100000-7f0000200000 rw-s 00000000 08:01 12 /data/000013.sst",
		"7f0000200000-7f0000300000 r--s 00000000 08:01 13 /data/000014.sst (deleted)", // gone: its range may be reused
		"7f0000300000-7f0000400000 r--p 00000000 08:01 14 /data/000015.sst",           // private
		"7f0000400000-7f0000500000 r--s 00000000 08:01 15 /other/000016.sst",
		"7f0000500000-7f0000600000 rw-s 00000000 08:01 16 /data/00001.mem",
		"7f0000600000-7f0000700000 rw-p 00000000 00:00 0 ",
		"7f0000700000-7f0000600000 r--s 00000000 08:01 17 /data/000018.sst", // end before start
		"zz-7f0000800000 r--s 00000000 08:01 18 /data/000019.sst",
		"7f0000900000-7f0000a00000 r--s 00000000 08:01 19 /data/notatable.sst",
		"c000000000-c004000000 rw-p 00000000 00:00 0",
	}, "\n")
	got := tableMappings([]byte(maps), "/data")
	want := []mapping{{0x7f0000000000, 0x7f0000100000, 12}, {0x7f0000100000, 0x7f0000200000, 13}}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("tableMappings = %v, want %v", got, want)
	}
}

// BenchmarkReleaseMapped is one release over a store on disk (its number
// of tables reported), nothing resident: the cost serve pays every second.
func BenchmarkReleaseMapped(b *testing.B) {
	ctx := context.Background()
	dir := b.TempDir()
	s, err := Open(ctx, dir, Options{})
	if err != nil {
		b.Fatal(err)
	}
	wb := s.db.NewWriteBatch()
	v := make([]byte, 1024)
	for i := range 200_000 {
		for j := range v {
			v[j] = byte(i*31 + j*7 + j*j)
		}
		if err := wb.Set(fmt.Appendf(nil, "x/%07d", i), v); err != nil {
			b.Fatal(err)
		}
	}
	if err := wb.Flush(); err != nil {
		b.Fatal(err)
	}
	s.Close()
	if s, err = Open(ctx, dir, Options{}); err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	for b.Loop() {
		if _, err := s.ReleaseMapped(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(s.db.Tables())), "tables")
}

// mappedResident counts a mapped file's pages once they are read, and
// ReleaseMapped's madvise gives them back.
func TestMappedResidentCountsMappedPages(t *testing.T) {
	f, err := os.CreateTemp(t.TempDir(), "mapped")
	if err != nil {
		t.Fatal(err)
	}
	const size = 32 << 20
	if _, err := f.Write(bytes.Repeat([]byte{1}, size)); err != nil {
		t.Fatal(err)
	}
	data, err := syscall.Mmap(int(f.Fd()), 0, size, syscall.PROT_READ, syscall.MAP_SHARED)
	if err != nil {
		t.Fatal(err)
	}
	defer syscall.Munmap(data)
	before := mappedResident()
	var sum int
	for i := 0; i < size; i += os.Getpagesize() {
		sum += int(data[i])
	}
	read := mappedResident()
	if sum == 0 || read-before < size/2 {
		t.Fatalf("reading 32 MB of a mapping raised mapped pages by %d bytes", read-before)
	}
	if err := syscall.Madvise(data, syscall.MADV_DONTNEED); err != nil {
		t.Fatal(err)
	}
	if after := mappedResident(); read-after < size/2 {
		t.Errorf("releasing the mapping lowered mapped pages by %d bytes", read-after)
	}
}
