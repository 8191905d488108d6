package table

// AccountBot's change to Badger (see ../ACCOUNTBOT.md): a new table is
// written to its file with buffered writes and synced with fdatasync,
// not copied into a fresh shared mapping and synced with msync. The copy
// into the mapping faulted in every page of the new file, and msync then
// walked and write-protected them again: together 11% of serve's CPU
// under the ingest load of issue 16, where the table's data only had to
// reach the file. Reads use pread (pread.go), so the mapping made after
// the write is never touched.

import (
	"bufio"
	"os"

	"github.com/dgraph-io/ristretto/v2/z"

	"github.com/dgraph-io/badger/v4/y"
)

// writeBufSize is the write buffer: a 2 MB table in eight writes.
const writeBufSize = 256 << 10

// writeTable writes bd to a new file fname, syncs its data and returns
// the file mapped, as OpenTable takes it.
func writeTable(fname string, bd buildData) (*z.MmapFile, error) {
	fd, err := os.OpenFile(fname, os.O_CREATE|os.O_RDWR|os.O_EXCL, 0666)
	if err != nil {
		return nil, y.Wrapf(err, "while creating table: %s", fname)
	}
	if err := bd.writeTo(bufio.NewWriterSize(fd, writeBufSize)); err != nil {
		fd.Close()
		return nil, y.Wrapf(err, "while writing table %s", fname)
	}
	if err := fdatasync(fd); err != nil {
		fd.Close()
		return nil, y.Wrapf(err, "while syncing table %s", fname)
	}
	mf, err := z.OpenMmapFileUsing(fd, 0, true) // writable, as Badger maps tables
	if err != nil {
		fd.Close()
		return nil, y.Wrapf(err, "while mapping table %s", fname)
	}
	return mf, nil
}

// writeTo writes what Copy copies.
func (bd *buildData) writeTo(w *bufio.Writer) error {
	for _, bl := range bd.blockList {
		w.Write(bl.data[:bl.end])
	}
	w.Write(bd.index)
	w.Write(y.U32ToBytes(uint32(len(bd.index))))
	w.Write(bd.checksum)
	w.Write(y.U32ToBytes(uint32(len(bd.checksum))))
	return w.Flush() // the first error of any Write
}
