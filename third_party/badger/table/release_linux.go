package table

import "golang.org/x/sys/unix"

// releaseWritten drops a table Badger has just written through its mapping
// and synced from the process's resident set (AccountBot's change, see
// pread.go): the page cache and the file keep the data, and reads use
// pread. Without it every table a compaction writes stays resident until
// the compaction ends (up to ~200 MB in a compaction of the 100K book).
func releaseWritten(b []byte) { _ = unix.Madvise(b, unix.MADV_DONTNEED) }
