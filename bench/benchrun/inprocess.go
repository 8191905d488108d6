package main

import (
	"context"
	"fmt"
	"log"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime/pprof"
	"sort"
	"time"

	badgerstore "github.com/accountbot/accountbot/storage/badger"

	"github.com/dgraph-io/badger/v4"

	"github.com/accountbot/accountbot/bot"
	"github.com/accountbot/accountbot/domain"
	"github.com/accountbot/accountbot/evaluator"
	"github.com/accountbot/accountbot/playbooks"
	"github.com/accountbot/accountbot/storage/demo"
)

var today = domain.MustDate("2026-11-23")

type row struct {
	accounts, snapshots           int
	importPerSec, rawImportPerSec float64 // accounts per second
	snapPerSec                    float64
	healthP50, healthP99          time.Duration
	renewalP50, renewalP99        time.Duration
	rawGetP50, rawGetP99          time.Duration
	access                        accessResult
	digest, rawIter               time.Duration
}

func percentile(d []time.Duration, p float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), d...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[min(len(s)-1, int(float64(len(s))*p))]
}

// answerWarmup is how many answer samples are run before latencies are recorded.
const answerWarmup = 200

func inProcess(ctx context.Context, n int, o options) (row, error) {
	r := row{accounts: n}
	opt := demo.Options{Accounts: n, Owners: owners(n), Weeks: o.weeks, Seed: 42, Today: today}

	// 1. Import through AccountBot (validation, merge, indexes, sync) …
	dir := tempDir("bench-import-")
	defer os.RemoveAll(dir)
	db, err := badgerstore.Open(ctx, dir, badgerstore.Options{})
	if err != nil {
		return r, err
	}
	defer db.Close()
	if err := importAccountBot(ctx, db, opt, n, &r); err != nil {
		return r, err
	}

	// … against a raw Badger WriteBatch of the same records.
	rawDir := tempDir("bench-raw-")
	defer os.RemoveAll(rawDir)
	if r.rawImportPerSec, err = importRaw(rawDir, opt, n); err != nil {
		return r, err
	}

	// 2. Answers through the command engine, against a raw Get.
	e := bot.NewEngine(db, domain.DefaultConfig(), nil)
	if d, err := playbooks.New(""); err == nil {
		e.Drafter = d
	}
	ids := sampleIDs(n)
	now := today.Time().Add(9 * time.Hour)
	if err := measureAnswers(ctx, e, ids, now, n, o, &r); err != nil {
		return r, err
	}
	if r.access, err = accessCost(ctx, e, db, ids, now); err != nil {
		return r, err
	}
	rawLat, err := rawGets(db, ids)
	if err != nil {
		return r, err
	}
	r.rawGetP50, r.rawGetP99 = percentile(rawLat, .5), percentile(rawLat, .99)

	// 3. Every owner's digest read from stored ranks, against raw reads
	// of the same keys.
	err = measureDigest(ctx, e, db, n, now, o, &r)
	return r, err
}

// importAccountBot imports n generated accounts through db.Apply in batches
// of 2000 and records the rates, leaving the generation time out.
func importAccountBot(ctx context.Context, db *badgerstore.DB, opt demo.Options, n int, r *row) error {
	var genTime time.Duration
	start := time.Now()
	for from := 0; from < n; from += 2000 {
		g := time.Now()
		ps := demo.GenerateRange(opt, from, min(from+2000, n))
		genTime += time.Since(g)
		st, err := db.Apply(ctx, ps)
		if err != nil {
			return err
		}
		r.snapshots += st.Snapshots
	}
	imp := time.Since(start) - genTime
	r.importPerSec = float64(n) / imp.Seconds()
	r.snapPerSec = float64(r.snapshots) / imp.Seconds()
	return nil
}

// importRaw writes the same records with a raw Badger WriteBatch in dir and
// returns accounts per second, timing only the writes and the final sync.
func importRaw(dir string, opt demo.Options, n int) (float64, error) {
	raw, err := badger.Open(badger.DefaultOptions(dir).WithLogger(nil).WithMemTableSize(16 << 20).WithBlockCacheSize(32 << 20))
	if err != nil {
		return 0, err
	}
	var rawTime time.Duration
	for from := 0; from < n; from += 2000 {
		ps := demo.GenerateRange(opt, from, min(from+2000, n))
		t0 := time.Now()
		wb := raw.NewWriteBatch()
		for _, p := range ps {
			for _, kv := range badgerstore.Records(p) {
				if err := wb.Set(kv.Key, kv.Value); err != nil {
					return 0, err
				}
			}
		}
		if err := wb.Flush(); err != nil {
			return 0, err
		}
		rawTime += time.Since(t0)
	}
	t0 := time.Now()
	raw.Sync()
	rawTime += time.Since(t0)
	raw.Close()
	return float64(n) / rawTime.Seconds(), nil
}

// sampleIDs picks the account IDs the answer benchmarks ask about, with a
// fixed seed so every run asks the same questions.
func sampleIDs(n int) []string {
	rng := rand.New(rand.NewPCG(7, 7))
	const samples = 3000
	ids := make([]string, samples)
	for i := range ids {
		ids[i] = fmt.Sprintf("acct-%05d", rng.IntN(n)+1)
	}
	return ids
}

// measureAnswers times the health and renewal answers for ids under a CPU
// profile and records their percentiles.
func measureAnswers(ctx context.Context, e *bot.Engine, ids []string, now time.Time, n int, o options, r *row) error {
	cpu, _ := os.Create(filepath.Join(o.profiles, fmt.Sprintf("answer-%d.cpu.pprof", n)))
	pprof.StartCPUProfile(cpu)
	h, err := measureCommand(ctx, e, ids, now, "health")
	if err != nil {
		return err
	}
	rn, err := measureCommand(ctx, e, ids, now, "renewal")
	pprof.StopCPUProfile()
	cpu.Close()
	if err != nil {
		return err
	}
	r.healthP50, r.healthP99 = percentile(h, .5), percentile(h, .99)
	r.renewalP50, r.renewalP99 = percentile(rn, .5), percentile(rn, .99)
	return nil
}

// measureCommand asks "account ID cmd" for every id as the operator and
// returns the latencies after the warm-up (timeAnswers: the same
// measurement as `portfolio top`'s in the eval section).
func measureCommand(ctx context.Context, e *bot.Engine, ids []string, now time.Time, cmd string) ([]time.Duration, error) {
	t, err := timeAnswers(len(ids), answerWarmup, func(i int) error {
		m := e.Handle(ctx, bot.Request{Text: fmt.Sprintf("account %s %s", ids[i], cmd), Now: now, User: operator})
		if m.Error {
			return fmt.Errorf("%s %s: %v", ids[i], cmd, m.Data)
		}
		return nil
	})
	if err == nil {
		log.Printf("account X %s: CPU per answer p50 %s, p99 %s; %d answers over %s, %d of them on CPU", cmd,
			ms(percentile(t.cpu, .5)), ms(percentile(t.cpu, .99)), t.slow, slowAnswer, t.slowCPU)
	}
	return t.wall, err
}

// rawGets times a raw Badger Get of each id's account record, after the warm-up.
func rawGets(db *badgerstore.DB, ids []string) ([]time.Duration, error) {
	var rawLat []time.Duration
	for i, id := range ids {
		t := time.Now()
		err := db.Raw().View(func(txn *badger.Txn) error {
			item, err := txn.Get(badgerstore.AccountKey(id))
			if err != nil {
				return err
			}
			_, err = item.ValueCopy(nil)
			return err
		})
		if err != nil {
			return nil, err
		}
		if i >= answerWarmup {
			rawLat = append(rawLat, time.Since(t))
		}
	}
	return rawLat, nil
}

// measureDigest times every owner's daily digest as the scheduler reads
// it, the first 5 cards of the owner's stored ranks (bot.Cards), best of
// three and under a CPU profile, against the best of three raw reads of
// the same keys. The whole-book scan this table used to time (TopAll) is
// no product path any more: digests, `portfolio top` and the App Home read
// stored ranks (issue 16), so the stored evaluations are built first, as
// serve's start-up check builds them.
func measureDigest(ctx context.Context, e *bot.Engine, db *badgerstore.DB, n int, now time.Time, o options, r *row) error {
	ev := evaluator.New(db, evaluator.Options{Rules: e.Rules(), Now: func() time.Time { return now }})
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { ev.Run(runCtx); close(done) }()
	for !ev.Ready() {
		time.Sleep(10 * time.Millisecond)
	}
	stop()
	<-done
	all, _, err := ev.Owners(ctx)
	if err != nil {
		return err
	}
	dcpu, _ := os.Create(filepath.Join(o.profiles, fmt.Sprintf("digest-%d.cpu.pprof", n)))
	pprof.StartCPUProfile(dcpu)
	r.digest, err = bestOf3(func() error {
		for _, ow := range all {
			if _, _, err := bot.Cards(ctx, ev, ow.Owner, false, 5, nil); err != nil {
				return err
			}
		}
		return nil
	})
	pprof.StopCPUProfile()
	dcpu.Close()
	if err != nil {
		return err
	}
	r.rawIter, err = bestOf3(func() error { return rawDigests(db, all) })
	return err
}

// bestOf3 runs f three times and returns its fastest run.
func bestOf3(f func() error) (time.Duration, error) {
	var b time.Duration
	for i := range 3 {
		t := time.Now()
		if err := f(); err != nil {
			return 0, err
		}
		if d := time.Since(t); i == 0 || d < b {
			b = d
		}
	}
	return b, nil
}

// rawDigests reads, for every owner, the first 5 keys of the owner's rank
// index and those accounts' stored evaluations, with raw Badger reads.
func rawDigests(db *badgerstore.DB, owners []domain.OwnerCount) error {
	return db.Raw().View(func(txn *badger.Txn) error {
		for _, ow := range owners {
			p := badgerstore.EvalOwnerPrefix(ow.Owner)
			it := txn.NewIterator(badger.IteratorOptions{Prefix: p})
			var ids []string
			for it.Rewind(); it.Valid() && len(ids) < 5; it.Next() {
				ids = append(ids, string(it.Item().Key()[len(p)+domain.RankKeyLen:]))
			}
			it.Close()
			for _, id := range ids {
				item, err := txn.Get(badgerstore.EvalKey(id))
				if err != nil {
					return err
				}
				if _, err := item.ValueCopy(nil); err != nil {
					return err
				}
			}
		}
		return nil
	})
}
