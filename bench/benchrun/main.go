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
}

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
	r := report{machine: machine(), date: time.Now().UTC()}
	for _, n := range o.sizes {
		if *onlyServe {
			break
		}
		log.Printf("in-process: %d accounts", n)
		row, err := inProcess(ctx, n, o)
		if err != nil {
			log.Fatalf("in-process %d: %v", n, err)
		}
		r.rows = append(r.rows, row)
	}
	if !o.skipServe {
		n := o.sizes[len(o.sizes)-1]
		log.Printf("serve end to end: %d accounts", n)
		s, err := serveRun(ctx, n, o)
		if err != nil {
			log.Fatalf("serve: %v", err)
		}
		r.serve = &s
		if !o.skipPeer {
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
	r.rules = rulesSection(ctx, o.sizes[len(o.sizes)-1], o) // issue 20: rules.go
	r.elapsed = time.Since(start)
	if err := os.WriteFile(o.out, []byte(r.markdown()), 0o644); err != nil {
		log.Fatal(err)
	}
	fmt.Print(r.markdown())
	log.Printf("wrote %s in %s", o.out, r.elapsed.Round(time.Second))
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
