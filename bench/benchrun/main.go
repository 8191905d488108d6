// Command benchrun is `make bench`: it measures AccountBot at several book
// sizes against Badger's own limits and against a Bolt-for-JavaScript peer,
// in one run on this machine, and writes a Markdown table. All traffic
// stays on loopback; every load stops by itself.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// A section is one measurement of `make bench` that is not tied to the
// book sizes or the running serve: it returns its part of the report.
// To add one, write bench/benchrun/<area>.go with the function and add one
// line to sections.
type section struct {
	name string
	run  func(ctx context.Context, o options) (sectionResult, error)
}

// A serveSection measures against the running `accountbot serve` with the
// largest book, after the fixed-rate answer load and before the ramp past
// saturation (so that its memory figures are not the ramp's).
type serveSection struct {
	name string
	run  func(ctx context.Context, s *serveProc, o options) (sectionResult, error)
}

// sectionResult is a section's Markdown ("## Title\n\n…") and its rows
// of the Targets table.
type sectionResult struct {
	markdown string
	targets  []targetRow
}

type targetRow struct {
	target, result string
	met            bool
}

// sections run after the in-process and serve measurements, in this order.
var sections = []section{
	{"crm", crmSection},
	{"postgres", postgresSection}, // postgres.go
	{"eval", evalSection},         // issue 16 item 5: eval.go
}

// serveSections run inside the serve measurement, in this order.
var serveSections = []serveSection{
	{"ingest", ingestSection},
}

type options struct {
	sizes       []int
	weeks       int
	bin, bolt   string
	out         string
	profiles    string
	fixedRate   int
	stepSeconds int
	skipServe   bool
	skipPeer    bool
	only        map[string]bool // section names to run; empty: all
	goBin       string
	ingestFor   time.Duration // how long the ingest section posts
}

// wants says whether the section named name is to run.
func (o options) wants(name string) bool { return len(o.only) == 0 || o.only[name] }

func main() {
	var o options
	sizes := flag.String("sizes", "1000,10000,100000", "book sizes (accounts)")
	flag.IntVar(&o.weeks, "weeks", 52, "weekly snapshots per account")
	flag.StringVar(&o.bin, "bin", "bin/accountbot", "the accountbot binary")
	flag.StringVar(&o.bolt, "bolt", "bench/bolt", "the Bolt peer's directory (npm-installed)")
	flag.StringVar(&o.out, "out", "bench/results/latest.md", "where to write the results table")
	flag.StringVar(&o.profiles, "profiles", "bench/results/profiles", "where to write pprof profiles")
	flag.IntVar(&o.fixedRate, "rate", 200, "the fixed request rate for the end-to-end test (req/s)")
	flag.IntVar(&o.stepSeconds, "step", 5, "seconds per load step")
	flag.BoolVar(&o.skipServe, "skip-serve", false, "skip the end-to-end and peer runs")
	flag.BoolVar(&o.skipPeer, "skip-peer", false, "skip the Bolt peer")
	only := flag.String("only", "", "comma-separated parts to run: inprocess, serve, crm, ingest… (empty: all)")
	flag.StringVar(&o.goBin, "go", "go", "the go command (for the CRM benchmarks)")
	flag.DurationVar(&o.ingestFor, "ingest-for", ingestDuration, "how long the ingest section posts (a longer run shows whether the rate holds as the store grows)")
	onlyServe := flag.Bool("only-serve", false, "skip the in-process measurements")
	onlyAccess := flag.Bool("only-access", false, "measure only what the access check adds to the answer p99 (largest size), print it, write nothing")
	flag.Parse()
	for _, s := range strings.Split(*sizes, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 10 {
			log.Fatalf("bad size %q", s)
		}
		o.sizes = append(o.sizes, n)
	}
	for _, name := range strings.Split(*only, ",") {
		if name = strings.TrimSpace(name); name != "" {
			if o.only == nil {
				o.only = map[string]bool{}
			}
			o.only[name] = true
		}
	}
	if err := os.MkdirAll(o.profiles, 0o755); err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	if *onlyAccess {
		n := o.sizes[len(o.sizes)-1]
		a, err := accessOnly(ctx, n, o)
		if err != nil {
			log.Fatalf("access: %v", err)
		}
		fmt.Printf("%d accounts: answer p99 %s without the access check, %s with it: access check adds %.1f%% to the in-process answer p99\n",
			n, ms(a.baseP99), ms(a.checkedP99), a.overhead())
		return
	}
	start := time.Now()
	r := report{machine: machine(), date: time.Now().UTC(), loadStart: loadAvg()}
	for _, n := range o.sizes {
		if *onlyServe || !o.wants("inprocess") {
			break
		}
		log.Printf("in-process: %d accounts", n)
		row, err := inProcess(ctx, n, o)
		if err != nil {
			log.Fatalf("in-process %d: %v", n, err)
		}
		r.rows = append(r.rows, row)
	}
	if !o.skipServe && (o.wants("serve") || o.wantsServeSection()) {
		n := o.sizes[len(o.sizes)-1]
		log.Printf("serve end to end: %d accounts", n)
		s, extra, err := serveRun(ctx, n, o)
		if err != nil {
			log.Fatalf("serve: %v", err)
		}
		if o.wants("serve") {
			r.serve = &s
		}
		r.sections = append(r.sections, extra...)
		if !o.skipPeer && o.wants("serve") {
			log.Printf("bolt peer")
			p, err := peerRun(ctx, o)
			if err != nil {
				log.Printf("bolt peer failed: %v", err)
				r.peerErr = err.Error()
			} else {
				r.peer = &p
			}
		}
	}
	if o.wants("rules") {
		r.rules = rulesSection(ctx, o.sizes[len(o.sizes)-1], o) // issue 20: rules.go
	}
	for _, sec := range sections {
		if !o.wants(sec.name) {
			continue
		}
		log.Printf("%s", sec.name)
		res, err := sec.run(ctx, o)
		if err != nil {
			log.Printf("%s failed: %v", sec.name, err)
			res = sectionResult{markdown: fmt.Sprintf("## %s\n\nFailed: %v\n", sec.name, err)}
		}
		r.sections = append(r.sections, res)
	}
	r.elapsed, r.loadEnd = time.Since(start), loadAvg()
	if err := os.WriteFile(o.out, []byte(r.markdown()), 0o644); err != nil {
		log.Fatal(err)
	}
	fmt.Print(r.markdown())
	log.Printf("wrote %s in %s", o.out, r.elapsed.Round(time.Second))
}

func (o options) wantsServeSection() bool {
	for _, s := range serveSections {
		if o.wants(s.name) {
			return true
		}
	}
	return false
}

// machine describes where the numbers come from.
func machine() string {
	cpu := "unknown CPU"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(l, "model name") {
				cpu = strings.TrimSpace(strings.SplitN(l, ":", 2)[1])
				break
			}
		}
	}
	mem := ""
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		f := strings.Fields(strings.SplitN(string(b), "\n", 2)[0])
		if len(f) >= 2 {
			kb, _ := strconv.Atoi(f[1])
			mem = fmt.Sprintf(", %.0f GiB RAM", float64(kb)/1024/1024)
		}
	}
	node := "node not found"
	if out, err := exec.Command("node", "--version").Output(); err == nil {
		node = "node " + strings.TrimSpace(string(out))
	}
	return fmt.Sprintf("%d × %s%s, %s/%s, %s, %s", runtime.NumCPU(), cpu, mem, runtime.GOOS, runtime.GOARCH, runtime.Version(), node)
}

func tempDir(prefix string) string {
	d, err := os.MkdirTemp("", prefix)
	if err != nil {
		log.Fatal(err)
	}
	return d
}

func owners(n int) int { return max(8, n/250) }

func abs(p string) string {
	a, err := filepath.Abs(p)
	if err != nil {
		return p
	}
	return a
}
