package main

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"syscall"

	"golang.org/x/sys/unix"
)

// foliosProbe measures what one page read through a file mapping costs in
// resident memory on this machine's kernel and file system, the way Badger
// as published reads its tables: a file written through a shared mapping
// and synced (as its table.CreateTable does), then read at random pages through another
// mapping after MADV_DONTNEED (as serve's release leaves a table). Recent
// kernels keep such files in the page cache as large folios and a fault
// maps the whole folio, not the page; that set how fast serve's mapped
// table pages grew back between releases before Badger read its tables
// with pread (third_party/badger).
type foliosProbe struct {
	reads, faults int
	mappedKB      int // RssFile growth over the reads
}

// probeFolios writes a 64 MB file in dir and reads 256 random pages of it.
func probeFolios(dir string) (foliosProbe, error) {
	const size, reads = 64 << 20, 256
	f, err := os.CreateTemp(dir, "folio-probe-*.sst")
	if err != nil {
		return foliosProbe{}, err
	}
	defer os.Remove(f.Name())
	defer f.Close()
	if err := writeMapped(f, size); err != nil {
		return foliosProbe{}, fmt.Errorf("writing %s: %w", filepath.Base(f.Name()), err)
	}
	data, err := syscall.Mmap(int(f.Fd()), 0, size, syscall.PROT_READ, syscall.MAP_SHARED)
	if err != nil {
		return foliosProbe{}, err
	}
	defer syscall.Munmap(data)
	rng := rand.New(rand.NewPCG(1, 2))
	rss0, flt0 := statusMB(os.Getpid(), "RssFile")[0], minorFaults()
	for range reads {
		probeSink += data[rng.IntN(size)]
	}
	p := foliosProbe{reads: reads, faults: minorFaults() - flt0}
	p.mappedKB = int((statusMB(os.Getpid(), "RssFile")[0] - rss0) * 1024)
	return p, nil
}

// probeSink keeps the probe's reads from being optimised away.
var probeSink byte

// writeMapped fills f with size bytes through a shared mapping, syncs and
// unmaps it.
func writeMapped(f *os.File, size int) error {
	if err := f.Truncate(int64(size)); err != nil {
		return err
	}
	data, err := syscall.Mmap(int(f.Fd()), 0, size, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_SHARED)
	if err != nil {
		return err
	}
	defer syscall.Munmap(data)
	rng := rand.New(rand.NewPCG(3, 4))
	for i := 0; i < size; i += 8 {
		v := rng.Uint64()
		for j := range 8 {
			data[i+j] = byte(v >> (8 * j))
		}
	}
	return unix.Msync(data, unix.MS_SYNC)
}

// minorFaults is this process's minor page faults so far.
func minorFaults() int {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return int(ru.Minflt)
}

// String is the probe's sentence for the ingest section.
func (p foliosProbe) String() string {
	if p.reads == 0 {
		return ""
	}
	return fmt.Sprintf("A read of one page of a table maps far more than the page on this machine: %d random one-byte reads of a 64 MB file written and synced through a mapping, as Badger as published writes a table, took %d page faults and mapped %d KB (%d KB per read; a page is 4 KB). The kernel keeps such files in the page cache as large folios and maps a whole folio per fault: with Badger as published, which reads its tables through mappings, serve's mapped table pages grew back within a fraction of a second after each release under random reads. AccountBot's Badger (third_party/badger) reads them with pread, so none of this reaches serve's RSS (the mapped .sst pages above).",
		p.reads, p.faults, p.mappedKB, p.mappedKB/p.reads)
}
