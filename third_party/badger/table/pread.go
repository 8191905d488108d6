package table

// AccountBot's change to Badger (see ../ACCOUNTBOT.md): an uncompressed,
// unencrypted table on disk is read with pread into Go memory, not
// through its memory map. Pages a process reads through a mapping count
// in its resident set until the kernel reclaims them, and on recent
// kernels (Linux 6.18, ext4) one read maps a whole large folio of the page
// cache (~169 KB): under random reads every table of a store became
// resident. A pread copies the 4 KB block it needs and leaves the page
// cache out of the resident set.

import (
	"sync"

	"github.com/dgraph-io/badger/v4/options"
)

// preadable reports whether t is read with pread: on disk (its file is
// open), uncompressed and unencrypted. Compressed and encrypted blocks are
// copied out of the mapping by Badger already, and in-memory tables have
// no file.
func (t *Table) preadable() bool {
	return t.MmapFile != nil && t.Fd != nil && t.opt.Compression == options.None && !t.shouldDecrypt()
}

// pooledBlockCap is the capacity of the pooled block buffers: Badger's
// blocks are 4 KB (Options.BlockSize) plus the entry that crosses the
// boundary. A larger block gets a buffer of its own.
const pooledBlockCap = 8 << 10

var blockBufs = sync.Pool{New: func() any { b := make([]byte, pooledBlockCap); return &b }}

// getBlockBuf returns a buffer of length n for a block read. It goes back
// to the pool when the block's last reference does (Block.decrRef), as a
// decompressed block's buffer is freed: Badger keeps no slice of a block
// past that.
func getBlockBuf(n int) []byte {
	if n > pooledBlockCap {
		return make([]byte, n)
	}
	return (*blockBufs.Get().(*[]byte))[:n]
}

func putBlockBuf(b []byte) {
	if cap(b) != pooledBlockCap {
		return
	}
	b = b[:cap(b)]
	blockBufs.Put(&b)
}
