package main

import (
	"expvar"
	"runtime"
	"runtime/metrics"
	"time"

	"golang.org/x/sys/unix"
)

// answerTimes is one series of timed answers: each one's wall time and
// the CPU time its thread spent on it (GC assists included), so a tail can
// be told apart: an answer slow on CPU did the work itself; one slow on
// the wall clock only waited for a core (the Go scheduler's other
// goroutines, such as Badger's compactions, or other processes).
type answerTimes struct {
	wall, cpu []time.Duration
	// slow counts the answers over slowAnswer; slowCPU those of them whose
	// own CPU time was over it too, slowCompacting those that overlapped a
	// Badger compaction, slowGC those during which a GC cycle ended,
	// slowBusy those during which the rest of the process ran on a core
	// for at least half the answer's wall time (the answer's wait was
	// this process's own work, not another process's).
	slow, slowCPU, slowCompacting, slowGC, slowBusy int
	// span is the wall time of the timed answers, from the first to the
	// last; own is their threads' CPU time and process the whole
	// process's over the same answers, so process - own is what else in
	// the process ran meanwhile (getrusage, RUSAGE_SELF).
	span, own, process time.Duration
}

const slowAnswer = time.Millisecond

// timeAnswers runs ask(i) for i in [0, n), timing those from warmup on.
// The goroutine keeps its thread throughout, so the thread's CPU clock is
// the answers' own.
func timeAnswers(n, warmup int, ask func(i int) error) (answerTimes, error) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	t := answerTimes{wall: make([]time.Duration, 0, max(n-warmup, 0)), cpu: make([]time.Duration, 0, max(n-warmup, 0))}
	var first time.Time
	for i := range n {
		gc0, comp0 := gcCycles(), compacting()
		p0 := processCPU()
		c0, w0 := threadCPU(), time.Now()
		if err := ask(i); err != nil {
			return t, err
		}
		wall, cpu := time.Since(w0), threadCPU()-c0
		others := processCPU() - p0 - cpu
		if i < warmup {
			continue
		}
		if i == warmup {
			first = w0
		}
		t.span, t.own, t.process = time.Since(first), t.own+cpu, t.process+cpu+others
		t.wall, t.cpu = append(t.wall, wall), append(t.cpu, cpu)
		if wall > slowAnswer {
			t.slow++
			if cpu > slowAnswer {
				t.slowCPU++
			}
			if others >= wall/2 {
				t.slowBusy++
			}
			if comp0 || compacting() {
				t.slowCompacting++
			}
			if gcCycles() != gc0 {
				t.slowGC++
			}
		}
	}
	return t, nil
}

// threadCPU is the calling thread's CPU time.
func threadCPU() time.Duration {
	var ts unix.Timespec
	if unix.ClockGettime(unix.CLOCK_THREAD_CPUTIME_ID, &ts) != nil {
		return 0
	}
	return time.Duration(ts.Nano())
}

// processCPU is the whole process's CPU time, user and system, every
// thread included. The kernel accounts it in scheduler ticks for the
// other threads, so over one short answer it is coarse; over many it adds
// up to what ran.
func processCPU() time.Duration {
	var ru unix.Rusage
	if unix.Getrusage(unix.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// gcCycles is how many GC cycles have completed (runtime/metrics: unlike
// ReadMemStats, reading it does not stop the world).
func gcCycles() uint64 {
	s := []metrics.Sample{{Name: "/gc/cycles/total:gc-cycles"}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return s[0].Value.Uint64()
}

// compacting reports whether Badger is compacting tables (its expvar).
func compacting() bool {
	v, ok := expvar.Get("badger_compaction_current_num_lsm").(*expvar.Int)
	return ok && v.Value() > 0
}
