package salesforce

import (
	"bufio"
	"context"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"github.com/accountbot/accountbot/storage/badger"
	"io"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/accountbot/accountbot/connector"
	"github.com/accountbot/accountbot/connector/connectortest"
	"github.com/accountbot/accountbot/internal/cputime"
	"github.com/accountbot/accountbot/salesforce/salesforcetest"
)

// The benchmarks run the fake Salesforce in a child process (this test
// binary with SF_FAKE_ACCOUNTS set), so the CPU time and memory measured
// here are AccountBot's own: the client, JSON/CSV decoding, mapping, the
// runner and the Badger store. The fake's latency is not counted.
func TestMain(m *testing.M) {
	if n := os.Getenv("SF_FAKE_ACCOUNTS"); n != "" {
		os.Exit(serveFake(n, os.Getenv("SF_FAKE_CHANGED"), os.Getenv("SF_FAKE_PUBKEY")))
	}
	os.Exit(m.Run())
}

func serveFake(accounts, changed, pubPEM string) int {
	n, _ := strconv.Atoi(accounts)
	ch, _ := strconv.Atoi(changed)
	base, err := salesforcetest.ReadOrg()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	o := salesforcetest.MakeOrg(base.Fields, n)
	later := testNow.Add(-30 * time.Minute).Format("2006-01-02T15:04:05.000+0000")
	for i := 0; i < ch && i < n; i++ {
		o.Objects["Account"][i]["SystemModstamp"] = later
		o.Objects["Account"][i]["Name"] = fmt.Sprintf("Customer %d (renamed)", i+1)
	}
	blk, _ := pem.Decode([]byte(pubPEM))
	pub, err := x509.ParsePKIXPublicKey(blk.Bytes)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	f, err := salesforcetest.Start(o, pub.(*rsa.PublicKey))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	f.Quiet = true
	f.Freeze()
	fmt.Println(f.Srv.URL)
	io.Copy(io.Discard, os.Stdin) // serve until the parent closes stdin
	return 0
}

// childFake starts the fake in a child process and returns its URL.
func childFake(b testing.TB, accounts, changed int) string {
	k, _ := key(b)
	der, _ := x509.MarshalPKIXPublicKey(&k.PublicKey)
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "SF_FAKE_ACCOUNTS="+strconv.Itoa(accounts), "SF_FAKE_CHANGED="+strconv.Itoa(changed),
		"SF_FAKE_PUBKEY="+string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})))
	cmd.Stderr = os.Stderr
	in, _ := cmd.StdinPipe()
	out, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { in.Close(); cmd.Wait() })
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		b.Fatal(err)
	}
	return line[:len(line)-1]
}

// peakHeap samples the live heap until stop is closed.
func peakHeap(stop chan struct{}, out *uint64, wg *sync.WaitGroup) {
	defer wg.Done()
	var ms runtime.MemStats
	for {
		runtime.ReadMemStats(&ms)
		*out = max(*out, ms.HeapInuse)
		select {
		case <-stop:
			return
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func openStore(b *testing.B) *badger.DB {
	db, err := badger.Open(context.Background(), b.TempDir(), badger.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	connectortest.AsSyncCommand(b, db) // the memory limit and page release of `accountbot sync`
	return db
}

// benchSync syncs from the fake at url into the Badger store. With prev
// set, the store first gets a full load from the fake at baseURL (not
// measured) and every timed run starts again from prev: an incremental
// sync of records that changed since, matching existing accounts.
func benchSync(b *testing.B, url, baseURL string, prev connector.Cursor) {
	_, pemKey := key(b)
	var cpu time.Duration
	var heap uint64
	var st connector.Status
	calls := 0
	ctx := context.Background()
	clk := &testClock{now: testNow}
	newSource := func(url string) (*Client, *Source) {
		cl := NewClient(Creds{ClientID: testClientID, Username: testUser, KeyPEM: pemKey, LoginURL: url}, Options{Clock: clk})
		src, err := NewSource(cl, Config{}, "USD")
		if err != nil {
			b.Fatal(err)
		}
		return cl, src
	}
	var db *badger.DB
	if prev != "" {
		db = openStore(b)
		_, src := newSource(baseURL)
		if _, err := (&connector.Runner{Store: db, Now: clk.Now}).Run(ctx, src, connector.Options{Create: true, DefaultCurrency: "USD"}); err != nil {
			b.Fatal(err)
		}
	}
	for b.Loop() {
		b.StopTimer()
		if prev == "" {
			db = openStore(b)
		} else if err := db.CommitPage(ctx, Name, connector.Commit{Cursor: prev}); err != nil {
			b.Fatal(err)
		}
		cl, src := newSource(url)
		runtime.GC()
		stop := make(chan struct{})
		var wg sync.WaitGroup
		wg.Add(1)
		go peakHeap(stop, &heap, &wg)
		c0 := cputime.Self()
		b.StartTimer()
		rep, err := (&connector.Runner{Store: db, Now: clk.Now}).Run(ctx, src, connector.Options{Create: true, DefaultCurrency: "USD"})
		cpu += cputime.Self() - c0
		close(stop)
		wg.Wait()
		if err != nil {
			b.Fatal(err)
		}
		st, calls = rep.Status, cl.Calls()
	}
	b.ReportMetric(cpu.Seconds()/float64(b.N), "cpu-s/op")
	b.ReportMetric(float64(heap)/(1<<20), "peak-heap-MB")
	b.ReportMetric(connectortest.PeakRSSMB(), "peak-rss-MB")
	b.ReportMetric(float64(st.Read), "records")
	b.ReportMetric(float64(calls), "requests")
	b.Logf("status: read %d changed %d created %d refused %d", st.Read, st.Changed, st.Created, st.Refused)
}

// BenchmarkFullSync100k: 100,000 accounts, 200,000 opportunities and
// 300,000 contacts through Bulk API 2.0 (accounts) and REST (children).
func BenchmarkFullSync100k(b *testing.B) {
	benchSync(b, childFake(b, 100_000, 0), "", "")
}

// BenchmarkIncremental1000: 1,000 accounts changed in an org of 100,000,
// already loaded in the store.
func BenchmarkIncremental1000(b *testing.B) {
	prev := cursor{Phase: phaseIdle, Since: testNow.Add(-2 * time.Hour)}.encode()
	benchSync(b, childFake(b, 100_000, 1000), childFake(b, 100_000, 0), prev)
}
