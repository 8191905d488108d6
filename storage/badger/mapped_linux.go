package badger

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"github.com/dgraph-io/badger/v4"
)

// ReleaseMapped drops the pages of the store's table files from the
// process's resident set (madvise MADV_DONTNEED on their shared, read-only
// mappings: the data stays in the page cache and in the files) and returns
// how many bytes of mappings it advised. In-memory stores have none.
//
// A table's mapping is removed when its last reference goes (compaction
// replaces tables all the time), and its address range may then be reused
// by anonymous memory, which MADV_DONTNEED would zero. So only tables an
// open iterator holds are advised: an iterator references every table in
// the levels when it is created, and a table listed by Tables() both before
// and after that creation was in the levels at that moment.
func (s *DB) ReleaseMapped() (int64, error) {
	if s.dir == "" || s.db.Opts().InMemory {
		return 0, nil
	}
	before := tableIDs(s.db.Tables())
	txn := s.db.NewTransaction(false)
	defer txn.Discard()
	it := txn.NewIterator(badger.IteratorOptions{})
	defer it.Close()
	held := map[uint64]bool{}
	for _, t := range s.db.Tables() {
		if before[t.ID] {
			held[t.ID] = true
		}
	}
	dir, err := filepath.Abs(s.dir)
	if err != nil {
		return 0, fmt.Errorf("resolving the data directory: %w", err)
	}
	if d, err := filepath.EvalSymlinks(dir); err == nil {
		dir = d
	}
	maps, err := os.ReadFile("/proc/self/maps")
	if err != nil {
		return 0, fmt.Errorf("reading the process's mappings: %w", err)
	}
	var n int64
	for _, m := range tableMappings(maps, dir) {
		if !held[m.id] {
			continue
		}
		if _, _, errno := syscall.Syscall(syscall.SYS_MADVISE, m.start, m.end-m.start, syscall.MADV_DONTNEED); errno != 0 {
			return n, fmt.Errorf("releasing table %d's pages: %w", m.id, errno)
		}
		n += int64(m.end - m.start)
	}
	return n, nil
}

// mappedResident is how much of the process's resident set is shared
// file pages (/proc/self/statm's third field: RssFile and RssShmem), in
// bytes; 0 when it cannot be read.
func mappedResident() int64 {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return 0
	}
	pages, err := strconv.ParseInt(f[2], 10, 64)
	if err != nil {
		return 0
	}
	return pages * int64(os.Getpagesize())
}

func tableIDs(ts []badger.TableInfo) map[uint64]bool {
	ids := make(map[uint64]bool, len(ts))
	for _, t := range ts {
		ids[t.ID] = true
	}
	return ids
}

// mapping is one mapped table file: its address range and table id.
type mapping struct {
	start, end uintptr
	id         uint64
}

// tableMappings finds the shared mappings of dir's *.sst files in the
// text of /proc/self/maps ("start-end perms offset dev inode path").
func tableMappings(maps []byte, dir string) []mapping {
	var out []mapping
	sc := bufio.NewScanner(bytes.NewReader(maps))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) != 6 || len(f[1]) != 4 || f[1][3] != 's' { // a deleted file ends in "(deleted)": 7 fields
			continue
		}
		path := f[5]
		if filepath.Dir(path) != dir || !strings.HasSuffix(path, ".sst") {
			continue
		}
		id, err := strconv.ParseUint(strings.TrimSuffix(filepath.Base(path), ".sst"), 10, 64)
		if err != nil {
			continue
		}
		lo, hi, ok := strings.Cut(f[0], "-")
		start, err1 := strconv.ParseUint(lo, 16, 64)
		end, err2 := strconv.ParseUint(hi, 16, 64)
		if !ok || err1 != nil || err2 != nil || end <= start {
			continue
		}
		out = append(out, mapping{start: uintptr(start), end: uintptr(end), id: id})
	}
	return out
}
