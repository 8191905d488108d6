package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Issue 16's ingest figure: usage events posted through the HTTP API of
// the running serve (NDJSON batches as a client would send them, each
// answered only once it is synced to disk) by several concurrent clients,
// while signed slash commands ask `account X health` at a fixed rate.
const (
	ingestClients  = 4
	ingestBatch    = 500
	ingestDuration = 30 * time.Second // the default of -ingest-for: spans one of serve's coalesced score passes (every 30 s)
	ingestAskRate  = 100              // slash commands per second during the load
)

// ingestTokens holds the bearer tokens servePrep created, one per client.
var ingestTokens []string

func init() {
	servePrep = append(servePrep, createIngestTokens)
}

// createIngestTokens creates one ingest token per client with the CLI,
// before serve holds the store, and lifts the per-token rate limit in the
// bench config so that the limiter is not what the figure measures.
func createIngestTokens(ctx context.Context, s *serveProc) error {
	ingestTokens = nil
	for i := range ingestClients {
		out, err := exec.CommandContext(ctx, s.bin, "--data", s.dir, "token", "create", "--scope", "ingest", "--name", fmt.Sprintf("bench%d", i)).Output()
		if err != nil {
			return fmt.Errorf("token create: %v", err)
		}
		ingestTokens = append(ingestTokens, strings.TrimSpace(string(out)))
	}
	f, err := os.OpenFile(s.cfg, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = f.WriteString("ingest:\n  rate_per_second: 100000\n  burst: 1000\n")
	return err
}

// usageBatch is one NDJSON body of ingestBatch usage events for random
// accounts over the last week.
func usageBatch(rng *rand.Rand, accounts int) []byte {
	var b bytes.Buffer
	for range ingestBatch {
		d := today.Time().AddDate(0, 0, -rng.IntN(7)).Format("2006-01-02")
		fmt.Fprintf(&b, "{\"account_id\":\"acct-%05d\",\"date\":%q,\"active_users\":%d,\"usage\":%d}\n", rng.IntN(accounts)+1, d, 1+rng.IntN(400), rng.IntN(50000))
	}
	return b.Bytes()
}

// ingestPrepared is how many bodies each client makes before a 30 s run
// (26,700 events/s from 4 clients; in proportion for longer runs): the load generator shares
// the 2 cores with serve, and formatting the bodies during the run took
// CPU from what is measured. A client that runs out makes more as it goes.
const ingestPrepared = 400

// preparedBatches returns a client's bodies for a run of d, made before it.
func preparedBatches(rng *rand.Rand, accounts int, d time.Duration) [][]byte {
	out := make([][]byte, int(float64(ingestPrepared)*max(d.Seconds(), 1)/ingestDuration.Seconds()))
	for i := range out {
		out[i] = usageBatch(rng, accounts)
	}
	return out
}

type ingestResult struct {
	events, errors    int64
	duration          time.Duration // asked for (-ingest-for)
	elapsed           time.Duration
	reqP50, reqP99    time.Duration // one batch's round trip
	ask               loadResult
	rssPeakMB, hwmMB  float64
	peakAnonMB        float64 // of the peak: anonymous memory (Go heap, stacks, runtime)
	peakFileMB        float64 // and mapped file pages (Badger's tables and logs)
	peakFiles         string  // those by kind of file
	peakHeapMB        float64 // the Go heap in use then (/debug/vars)
	folios            foliosProbe
	rssBeforeMB       float64
	firstErr          string
	serveCPU          time.Duration // serve's user+system CPU during the run
	settle, settleCPU time.Duration // how long serve kept working after the run, and its CPU then
	load              string        // /proc/loadavg's 1-minute figure at the start and end
}

func (r ingestResult) perSec() float64 { return float64(r.events) / r.elapsed.Seconds() }

// ingestSection measures the ingest rate, the answer p99 under it and
// serve's memory.
func ingestSection(ctx context.Context, s *serveProc, o options) (sectionResult, error) {
	if len(ingestTokens) != ingestClients {
		return sectionResult{}, fmt.Errorf("no ingest tokens (servePrep did not run)")
	}
	r := ingestResult{rssBeforeMB: rssMB(s.pid()), duration: o.ingestFor}
	var err error
	if r.folios, err = probeFolios(s.dir); err != nil {
		return sectionResult{}, fmt.Errorf("probing page-cache folios: %w", err)
	}
	cpu0, load0 := procCPU(s.pid()), loadAvg()
	stop := make(chan struct{})
	var sampler sync.WaitGroup
	sampler.Go(func() { // RSS sampled through the load
		for {
			if rss, anon, file := rssParts(s.pid()); rss > r.rssPeakMB {
				r.rssPeakMB, r.peakAnonMB, r.peakFileMB = rss, anon, file
				r.peakFiles = mappedByKind(s.pid())
				r.peakHeapMB = heapMB(s.base)
			}
			select {
			case <-stop:
				return
			case <-time.After(100 * time.Millisecond):
			}
		}
	})
	var events, errs atomic.Int64
	var mu sync.Mutex
	var lat []time.Duration
	var wg sync.WaitGroup
	rngs, bodies := make([]*rand.Rand, ingestClients), make([][][]byte, ingestClients)
	for c := range ingestClients {
		rngs[c] = rand.New(rand.NewPCG(uint64(c), 16))
		bodies[c] = preparedBatches(rngs[c], s.accounts, o.ingestFor)
	}
	start := time.Now()
	deadline := start.Add(o.ingestFor)
	for c := range ingestClients {
		wg.Go(func() {
			for time.Now().Before(deadline) && ctx.Err() == nil {
				var body []byte
				if len(bodies[c]) > 0 {
					body, bodies[c] = bodies[c][0], bodies[c][1:]
				} else {
					body = usageBatch(rngs[c], s.accounts)
				}
				t := time.Now()
				err := postUsage(ctx, s.base, ingestTokens[c], body)
				el := time.Since(t)
				if err != nil {
					errs.Add(1)
					mu.Lock()
					if r.firstErr == "" {
						r.firstErr = err.Error()
					}
					mu.Unlock()
					time.Sleep(100 * time.Millisecond)
					continue
				}
				events.Add(ingestBatch)
				mu.Lock()
				lat = append(lat, el)
				mu.Unlock()
			}
		})
	}
	prof := cpuProfile(s.base, 10*time.Second, filepath.Join(o.profiles, "serve-ingest.cpu.pprof"))
	r.ask = run(ctx, s.base+"/slack/commands", ingestAskRate, o.ingestFor, s.accounts)
	wg.Wait()
	r.elapsed = time.Since(start)
	r.serveCPU, r.load = procCPU(s.pid())-cpu0, load0+" → "+loadAvg()
	close(stop)
	sampler.Wait()
	<-prof
	r.settle, r.settleCPU = settleAfter(s.pid())
	r.events, r.errors = events.Load(), errs.Load()
	r.reqP50, r.reqP99 = percentile(lat, .5), percentile(lat, .99)
	r.hwmMB = hwmMB(s.pid())
	return r.section(s.accounts), nil
}

func postUsage(ctx context.Context, base, token string, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/api/v1/usage", bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/x-ndjson")
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("HTTP %d: %.200s", resp.StatusCode, b)
	}
	return nil
}

// cpuProfile fetches a CPU profile of serve over d into path; the channel
// closes when it is written.
func cpuProfile(base string, d time.Duration, path string) <-chan struct{} {
	done := make(chan struct{})
	go func() {
		defer close(done)
		resp, err := http.Get(fmt.Sprintf("%s/debug/pprof/profile?seconds=%d", base, int(d.Seconds())))
		if err != nil {
			return
		}
		defer resp.Body.Close()
		if b, err := io.ReadAll(resp.Body); err == nil && resp.StatusCode == http.StatusOK {
			os.WriteFile(path, b, 0o644)
		}
	}()
	return done
}

// settleAfter waits until serve goes quiet after the run (settle: under a
// tenth of a core over 2 s, at most 3 minutes, as the ramp waits) and
// returns how long that took and the CPU serve used meanwhile: the
// evaluator's queue of changed accounts and the compactions the run left,
// work the events caused that the run's own figure does not count.
func settleAfter(pid int) (time.Duration, time.Duration) {
	start, cpu0 := time.Now(), procCPU(pid)
	settle([]int{pid}, 3*time.Minute)
	return time.Since(start), procCPU(pid) - cpu0
}

// loadAvg is the machine's 1-minute load average (the cores are shared).
func loadAvg() string {
	b, _ := os.ReadFile("/proc/loadavg")
	if f := strings.Fields(string(b)); len(f) > 0 {
		return f[0]
	}
	return "?"
}

// mappedByKind sums the resident pages of the process's file mappings by
// kind of file (/proc/PID/smaps): Badger's tables (.sst), memtable logs
// (.mem), value logs (.vlog), and the rest (the binary, libraries).
func mappedByKind(pid int) string {
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "smaps"))
	if err != nil {
		return ""
	}
	kb := map[string]int{}
	kind := ""
	for _, l := range strings.Split(string(b), "\n") {
		f := strings.Fields(l)
		switch {
		case len(f) >= 5 && strings.Contains(f[0], "-") && len(f[1]) == 4:
			kind = ""
			if len(f) >= 6 {
				switch ext := filepath.Ext(f[5]); ext {
				case ".sst", ".mem", ".vlog":
					kind = ext
				default:
					kind = "other files"
				}
			}
		case kind != "" && len(f) >= 2 && f[0] == "Rss:":
			n, _ := strconv.Atoi(f[1])
			kb[kind] += n
		}
	}
	var parts []string
	for _, k := range []string{".sst", ".mem", ".vlog", "other files"} {
		parts = append(parts, fmt.Sprintf("%s %.0f MB", k, float64(kb[k])/1024))
	}
	return strings.Join(parts, ", ")
}

func (r ingestResult) section(accounts int) sectionResult {
	var b strings.Builder
	fmt.Fprintf(&b, "## Ingest under load (`serve` with the %d-account book, `POST /api/v1/usage`)\n\n", accounts)
	fmt.Fprintf(&b, "%d clients, each with its own token, post NDJSON batches of %d usage events back to back for %s (each answered after the write is synced to disk; the bodies are made before the run, as a client on another machine would, so that making them takes no CPU from serve); at the same time signed slash commands ask `account X health` at %d req/s. The per-token rate limit is lifted in the bench config.\n\n",
		ingestClients, ingestBatch, r.duration, ingestAskRate)
	b.WriteString("| events/s sustained | batches | failed | batch p50 | batch p99 | answer p50 under load | answer p99 under load | answer errors | RSS before | RSS peak during | VmHWM of serve |\n|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	fmt.Fprintf(&b, "| %.0f | %d | %d | %s | %s | %s | %s | %d/%d | %.0f MB | %.0f MB | %.0f MB |\n", r.perSec(), r.events/ingestBatch, r.errors, ms(r.reqP50), ms(r.reqP99),
		ms(r.ask.p50), ms(r.ask.p99), r.ask.errors, r.ask.requests, r.rssBeforeMB, r.rssPeakMB, r.hwmMB)
	fmt.Fprintf(&b, "\nserve used %.1f s of CPU in the %s run (%.2f of the 2 cores; load average %s): %.0f events per serve CPU-second, answers included.\n",
		r.serveCPU.Seconds(), r.elapsed.Round(time.Second), r.serveCPU.Seconds()/r.elapsed.Seconds(), r.load, float64(r.events)/max(r.serveCPU.Seconds(), 0.01))
	fmt.Fprintf(&b, "\nAfter the run serve kept working for %s (the evaluator's queue of changed accounts, compactions) and used %.1f s more CPU: %.0f events per serve CPU-second with it.\n",
		r.settle.Round(time.Second), r.settleCPU.Seconds(), float64(r.events)/max((r.serveCPU+r.settleCPU).Seconds(), 0.01))
	if r.firstErr != "" {
		fmt.Fprintf(&b, "\nFirst failed batch: %s\n", r.firstErr)
	}
	fmt.Fprintf(&b, "\nAt the RSS peak during the run, %.0f MB were anonymous memory (the Go heap, stacks, the runtime; Go heap in use %.0f MB) and %.0f MB mapped pages of files (%s).\n", r.peakAnonMB, r.peakHeapMB, r.peakFileMB, r.peakFiles)
	if p := r.folios.String(); p != "" {
		fmt.Fprintf(&b, "\n%s\n", p)
	}
	b.WriteString("\nVmHWM is serve's high-water mark since it started, so it includes start-up (today's scores over the whole book) and the answer load before this run; the peak during is the RSS sampled every 100 ms through the ingest run.\n")
	return sectionResult{markdown: b.String(), targets: []targetRow{
		{fmt.Sprintf("ingest ≥ 20,000 usage events/s through the HTTP API, durable, while answering (%d accounts)", accounts),
			fmt.Sprintf("%.0f events/s, answer p99 %s", r.perSec(), ms(r.ask.p99)), r.perSec() >= 20000 && r.errors == 0},
		{fmt.Sprintf("RSS of serve ≤ 300 MB with the %d book under the ingest load", accounts),
			fmt.Sprintf("peak %.0f MB during, VmHWM %.0f MB", r.rssPeakMB, r.hwmMB), r.rssPeakMB <= 300 && r.hwmMB <= 300},
	}}
}
