package hubspot

import (
	"bufio"
	"context"
	"fmt"
	"github.com/accountbot/accountbot/storage/badger"
	"io"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/accountbot/accountbot/connector"
	"github.com/accountbot/accountbot/connector/connectortest"
	"github.com/accountbot/accountbot/hubspot/hubspottest"
	"github.com/accountbot/accountbot/internal/cputime"
)

// The targets: a full sync of 100,000 companies (with deals and
// contacts) ≤ 20 s of AccountBot's CPU and ≤ 300 MB; 1,000 changes ≤ 1 s.
// The fake runs in a child process (this test binary running
// TestBenchFake), so the CPU time and memory measured here are
// AccountBot's own: the client, JSON decoding, mapping, the runner and
// the Badger store. The fake's time is not counted.
const benchCompanies = 100_000

// benchFakeEnv, when set, makes TestBenchFake serve a generated portal:
// "companies base-unix-seconds". Lines on stdin then change it:
// "changed N at-unix-nanos rev" (answered "ok").
const benchFakeEnv = "HUBSPOT_BENCH_FAKE"

// TestBenchFake is the benchmarks' fake HubSpot, run in a child process;
// skipped unless the benchmarks started it.
func TestBenchFake(t *testing.T) {
	spec := strings.Fields(os.Getenv(benchFakeEnv))
	if len(spec) != 2 {
		t.Skip("the benchmarks' child-process fake; runs only under them")
	}
	n, _ := strconv.Atoi(spec[0])
	base, _ := strconv.ParseInt(spec[1], 10, 64)
	f := hubspottest.New(t, hubspottest.LoadPortal(t))
	f.Gen = &hubspottest.Generated{Companies: n, Base: time.Unix(base, 0)}
	fmt.Println(f.URL())
	in := bufio.NewScanner(os.Stdin)
	for in.Scan() { // until the parent closes stdin
		var changed, rev int
		var at int64
		if _, err := fmt.Sscanf(in.Text(), "changed %d %d %d", &changed, &at, &rev); err != nil {
			t.Fatalf("bad command %q: %v", in.Text(), err)
		}
		f.Mu.Lock()
		f.Gen.Changed, f.Gen.ChangedAt, f.Gen.Rev = changed, time.Unix(0, at), rev
		f.Mu.Unlock()
		fmt.Println("ok")
	}
}

// benchFake is the child-process fake: its URL and a way to change it.
type benchFake struct {
	url    string
	in     io.Writer
	out    *bufio.Reader
	cancel func()
}

// change marks the last n companies modified at `at`, named with rev.
func (f *benchFake) change(b *testing.B, n int, at time.Time, rev int) {
	fmt.Fprintf(f.in, "changed %d %d %d\n", n, at.UnixNano(), rev)
	if l, err := f.out.ReadString('\n'); err != nil || l != "ok\n" {
		b.Fatalf("fake: %q %v", l, err)
	}
}

func childFake(b *testing.B, base time.Time) *benchFake {
	cmd := exec.Command(os.Args[0], "-test.run=^TestBenchFake$")
	cmd.Env = append(os.Environ(), fmt.Sprintf("%s=%d %d", benchFakeEnv, benchCompanies, base.Unix()))
	cmd.Stderr = os.Stderr
	in, _ := cmd.StdinPipe()
	out, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { in.Close(); cmd.Wait() })
	f := &benchFake{in: in, out: bufio.NewReader(out)}
	line, err := f.out.ReadString('\n')
	if err != nil {
		b.Fatal(err)
	}
	f.url = strings.TrimSpace(line)
	return f
}

func benchEnv(b *testing.B, url string) (*badger.DB, *Source, *connector.Runner) {
	db, err := badger.Open(context.Background(), b.TempDir(), badger.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	connectortest.AsSyncCommand(b, db) // the memory limit and page release of `accountbot sync`
	src, err := NewSource(NewClient(url, "pat-na1-test", 0, nil, nil), Config{Mapping: Mapping{Plan: "plan", Seats: "seats"}}, "USD")
	if err != nil {
		b.Fatal(err)
	}
	return db, src, &connector.Runner{Store: db, Now: time.Now}
}

// peakHeap samples the Go heap in use until stop is called.
func peakHeap() (stop func() uint64) {
	var mu sync.Mutex
	var peak uint64
	done := make(chan struct{})
	go func() {
		t := time.NewTicker(20 * time.Millisecond)
		defer t.Stop()
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			mu.Lock()
			peak = max(peak, ms.HeapInuse)
			mu.Unlock()
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	return func() uint64 { close(done); mu.Lock(); defer mu.Unlock(); return peak }
}

func BenchmarkFullSync100k(b *testing.B) {
	f := childFake(b, time.Now().Add(-30*24*time.Hour))
	for b.Loop() {
		b.StopTimer()
		_, src, r := benchEnv(b, f.url)
		runtime.GC()
		stop, cpu0 := peakHeap(), cputime.Self()
		b.StartTimer()
		rep, err := r.Run(context.Background(), src, connector.Options{Full: true, Create: true, DefaultCurrency: "USD"})
		b.StopTimer()
		cpu, peak := cputime.Self()-cpu0, stop()
		if err != nil || rep.Status.Created != benchCompanies {
			b.Fatalf("created %d, err %v", rep.Status.Created, err)
		}
		b.ReportMetric(cpu.Seconds(), "cpu-s")
		b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
		b.StartTimer()
	}
	b.ReportMetric(connectortest.PeakRSSMB(), "peak-rss-MB")
}

func BenchmarkIncremental1000(b *testing.B) {
	f := childFake(b, time.Now().Add(-30*24*time.Hour))
	db, src, r := benchEnv(b, f.url)
	ctx := context.Background()
	if _, err := r.Run(ctx, src, connector.Options{Full: true, Create: true, DefaultCurrency: "USD"}); err != nil {
		b.Fatal(err)
	}
	cur, _, _ := db.SyncState(ctx, Name)
	at, rev := time.Now().Add(time.Hour), 0
	var cpu time.Duration
	for b.Loop() {
		rev++
		b.StopTimer()
		f.change(b, 1000, at, rev)
		if err := db.CommitPage(ctx, Name, connector.Commit{Cursor: cur}); err != nil { // back to the cursor after the full load
			b.Fatal(err)
		}
		cpu0 := cputime.Self()
		b.StartTimer()
		rep, err := r.Run(ctx, src, connector.Options{Create: true, DefaultCurrency: "USD"})
		cpu += cputime.Self() - cpu0
		if err != nil || rep.Status.Changed != 1000 {
			b.Fatalf("changed %d, err %v", rep.Status.Changed, err)
		}
	}
	b.ReportMetric(cpu.Seconds()/float64(b.N), "cpu-s/op")
}
