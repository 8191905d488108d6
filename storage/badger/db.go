package badger

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/dgraph-io/badger/v4/options"

	"github.com/accountbot/accountbot/domain"
)

// DB is the Badger-backed store. It is safe for concurrent use.
type DB struct {
	db      *badger.DB
	dir     string
	log     *slog.Logger
	applyMu sync.Mutex       // one Apply at a time: a journaled one owns the journal
	clock   func() time.Time // dates field history (fieldhistory.go); nil: the wall clock
	sync    groupSync
	evals   evalCache     // decoded evaluations by version (evalcache.go)
	known   knownAccounts // ids of stored accounts (known.go)
}

// Options configures Open.
type Options struct {
	InMemory bool         // for tests: nothing touches the disk
	Logger   *slog.Logger // Badger's own warnings and errors go here

	memTableSize int64 // tests: a small one makes small transactions overflow
}

// Open opens (creating if needed) the store in dir and migrates its schema.
// A directory locked by another process is a clear ECONFLICT error at once,
// never a hang. An interrupted restore swap is finished or undone first,
// and an import a crash left unfinished is rolled back.
func Open(ctx context.Context, dir string, opt Options) (*DB, error) {
	if !opt.InMemory {
		if err := recoverSwap(dir); err != nil {
			return nil, err
		}
	}
	s, err := openBadger(dir, opt)
	if err != nil {
		return nil, err
	}
	if err := s.migrate(ctx); err != nil {
		s.db.Close()
		return nil, err
	}
	if err := s.recoverImport(ctx); err != nil {
		s.db.Close()
		return nil, err
	}
	return s, nil
}

// openBadger opens the Badger database in dir, without migrating.
func openBadger(dir string, opt Options) (*DB, error) {
	log := opt.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	bo := badger.DefaultOptions(dir).
		WithLogger(badgerLogger{log}).
		// Sized for a 2-core box with a few hundred MB to spare: Badger's
		// defaults (64 MB memtables ×5, 256 MB block cache) are for servers.
		// A memtable also caps a transaction (15%: 2.4 MB), and a CRM
		// page commits in one: no smaller.
		WithMemTableSize(16 << 20).
		WithNumMemtables(3).
		// Tables are not compressed: a read then copies a 4 KB block with
		// pread into a pooled buffer (Badger as patched in
		// third_party/badger, which reads uncompressed tables that way and
		// not through their mappings, so reads add nothing to RSS) instead
		// of decompressing it into a new one (with Snappy, decompression and
		// the garbage it made were a third of an ingested event's CPU: 268
		// against 170 µs of CPU per event in evaluator's
		// BenchmarkIngestWithEvaluator at 100K accounts), and no block
		// cache is needed (Badger requires one with compression). The
		// tables are ~2.4× larger on disk.
		WithCompression(options.None).
		WithBlockCacheSize(0).
		WithIndexCacheSize(16 << 20).
		WithValueLogFileSize(128 << 20).
		WithNumCompactors(2).
		WithCompactL0OnClose(true)
	// Every level's tables are 2 MB (Badger's base size, which it doubles
	// per level by default: 8 MB in the 100K book's last level). A table
	// builder holds its table uncompressed and compressed in Go memory,
	// and a compaction keeps up to ten builders in flight. In serve's
	// start-up check on the 100K book, Badger's table builders held 472
	// MB of the heap with 8 MB tables and 200 MB with 2 MB (heap profiles
	// at the same moment; RSS peak 558-604 against 419-482 MB): memory
	// the GC cannot free, so above serve's soft limit it collected back to
	// back and starved the answers. 1 MB tables at every level made
	// iterators open too many tables (portfolio top's p99 tripled).
	bo.TableSizeMultiplier = 1
	if opt.memTableSize > 0 {
		bo = bo.WithMemTableSize(opt.memTableSize).WithValueThreshold(opt.memTableSize / 16)
	}
	if opt.InMemory {
		bo = bo.WithInMemory(true).WithDir("").WithValueDir("")
	} else if err := os.MkdirAll(dir, 0o700); err != nil {
		// Owner-only: the store and the control socket live here.
		return nil, fmt.Errorf("creating data directory %s: %w", dir, err)
	}
	db, err := badger.Open(bo)
	if err != nil && strings.Contains(err.Error(), "Create a new file") {
		// A kill -9 just after Badger created a memtable file leaves it
		// empty, and Badger's next Open fails on it once (sizing the file
		// as it goes; dgraph-io/badger#2207): the second Open succeeds.
		db, err = badger.Open(bo)
	}
	if err != nil {
		if strings.Contains(err.Error(), "Another process is using this Badger database") || strings.Contains(err.Error(), "resource temporarily unavailable") {
			return nil, domain.Errorf(domain.ECONFLICT, "the data directory %s is in use by another AccountBot process; stop it first or choose another directory with --data", dir)
		}
		return nil, fmt.Errorf("opening store in %s: %w", dir, err)
	}
	return &DB{db: db, dir: dir, log: log, sync: groupSync{fsync: db.Sync}}, nil
}

// Close flushes and closes the store.
func (s *DB) Close() error {
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("closing store: %w", err)
	}
	return nil
}

// Sync forces committed writes to disk (survives power loss, not just a
// crash). Concurrent callers share one flush (groupSync).
func (s *DB) Sync() error {
	if err := s.sync.do(); err != nil {
		return fmt.Errorf("syncing store: %w", err)
	}
	return nil
}

// Empty reports whether the store holds no accounts.
func (s *DB) Empty(ctx context.Context) (bool, error) {
	empty := true
	err := s.db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: prefixAccount})
		defer it.Close()
		it.Rewind()
		empty = !it.Valid()
		return nil
	})
	return empty, err
}

// RunGC reclaims value-log space every interval until ctx ends. Badger
// rewrites at most one file per call and answers ErrNoRewrite when there is
// nothing to do, which is the normal, quiet case.
func (s *DB) RunGC(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			for {
				err := s.db.RunValueLogGC(0.5)
				if err != nil {
					if !errors.Is(err, badger.ErrNoRewrite) && !errors.Is(err, badger.ErrRejected) {
						s.log.Warn("value log GC", "err", err)
					}
					break
				}
			}
		}
	}
}

// schemaVersion is the current key-schema version; migrations[v] upgrades a
// store from version v to v+1.
const schemaVersion = 1

var migrations = map[uint32]func(txn *badger.Txn) error{}

func (s *DB) migrate(ctx context.Context) error {
	return s.db.Update(func(txn *badger.Txn) error {
		v := uint32(0)
		item, err := txn.Get(keySchema)
		switch {
		case errors.Is(err, badger.ErrKeyNotFound):
			v = schemaVersion // a new store starts at the current version
		case err != nil:
			return fmt.Errorf("reading schema version: %w", err)
		default:
			if err := item.Value(func(b []byte) error {
				if len(b) != 4 {
					return fmt.Errorf("schema version has %d bytes", len(b))
				}
				v = binary.BigEndian.Uint32(b)
				return nil
			}); err != nil {
				return err
			}
		}
		if v > schemaVersion {
			return domain.Errorf(domain.ECONFLICT, "the store was written by a newer AccountBot (schema %d, this binary knows %d); upgrade AccountBot", v, schemaVersion)
		}
		for ; v < schemaVersion; v++ {
			m, ok := migrations[v]
			if !ok {
				return fmt.Errorf("no migration from schema %d", v)
			}
			if err := m(txn); err != nil {
				return fmt.Errorf("migrating schema %d → %d: %w", v, v+1, err)
			}
		}
		var b [4]byte
		binary.BigEndian.PutUint32(b[:], schemaVersion)
		return txn.Set(keySchema, b[:])
	})
}

// badgerLogger sends Badger's warnings and errors to slog and drops its
// chatty info and debug lines.
type badgerLogger struct{ l *slog.Logger }

func (b badgerLogger) Errorf(f string, a ...any) {
	b.l.Error("badger: " + strings.TrimSpace(fmt.Sprintf(f, a...)))
}
func (b badgerLogger) Warningf(f string, a ...any) {
	b.l.Warn("badger: " + strings.TrimSpace(fmt.Sprintf(f, a...)))
}
func (b badgerLogger) Infof(string, ...any)  {}
func (b badgerLogger) Debugf(string, ...any) {}
