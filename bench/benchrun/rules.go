package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"time"
)

// rulesSection measures `accountbot rules diff` (issue 20) on an n-account
// demo book on disk, written by the binary itself so it carries the demo
// history and outcomes: 26 weeks against one week (which evaluates the
// book once under each rule set), wall time, CPU time (user+sys: the
// figure a shared machine does not distort much) and peak RSS of the
// process.
func rulesSection(ctx context.Context, n int, o options) string {
	dir := tempDir("accountbot-rules-")
	defer os.RemoveAll(dir)
	cand := abs("examples/rules-candidate.yaml")
	fail := func(what string, err error) string {
		return fmt.Sprintf("\n## Rules diff (`accountbot rules diff`, %d accounts)\n\n%s failed: %v\n", n, what, err)
	}
	if _, err := timed(ctx, o.bin, "--data", dir, "demo", "--accounts", strconv.Itoa(n), "--owners", strconv.Itoa(owners(n)), "--weeks", strconv.Itoa(o.weeks)); err != nil {
		return fail("writing the book", err)
	}
	one, err := timed(ctx, o.bin, "--data", dir, "rules", "diff", "--weeks", "1", "--json", cand)
	if err != nil {
		return fail("rules diff --weeks 1", err)
	}
	full, err := timed(ctx, o.bin, "--data", dir, "rules", "diff", "--weeks", "26", "--json", cand)
	if err != nil {
		return fail("rules diff --weeks 26", err)
	}
	secs := func(d time.Duration) string { return fmt.Sprintf("%.1f s", d.Seconds()) }
	return fmt.Sprintf("\n## Rules diff (`accountbot rules diff examples/rules-candidate.yaml`, %d accounts on disk)\n\n"+
		"Each replayed week evaluates every account as it was that day under the current and the candidate rules; one week is therefore two whole-book evaluations (plus the scan).\n\n"+
		"| weeks | time | CPU (user+sys) | peak RSS | time ÷ one week |\n|---:|---:|---:|---:|---:|\n| 1 | %s | %s | %.0f MB | 1.0× |\n| 26 | %s | %s | %.0f MB | %.1f× |\n\n"+
		"| target | result |\n|---|---|\n| 26 weeks ≤ 30 s | %s: %s |\n| memory ≤ 500 MB | %.0f MB: %s |\n",
		n, secs(one.wall), secs(one.cpu), one.rss, secs(full.wall), secs(full.cpu), full.rss, float64(full.wall)/float64(max(one.wall, 1)),
		secs(full.wall), verdict(full.wall <= 30*time.Second), full.rss, verdict(full.rss <= 500))
}

// procRun is what one run of the binary cost.
type procRun struct {
	wall, cpu time.Duration
	rss       float64 // peak, MB
}

// timed runs the binary to completion and returns its wall time, CPU time
// and peak RSS.
func timed(ctx context.Context, bin string, args ...string) (procRun, error) {
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Stdout, cmd.Stderr = nil, os.Stderr
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return procRun{}, err
	}
	// Peak RSS from the child's VmHWM, sampled until it exits: the
	// rusage of a child started by vfork and exec reports the parent's
	// high-water mark when it is the higher (Linux carries it over exec),
	// and this process grows far beyond a replay's.
	var peak float64
	exited, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		for {
			if mb := hwmMB(cmd.Process.Pid); mb > peak {
				peak = mb
			}
			select {
			case <-exited:
				return
			case <-time.After(20 * time.Millisecond):
			}
		}
	}()
	err := cmd.Wait()
	r := procRun{wall: time.Since(start)}
	close(exited)
	<-done
	r.rss = peak
	if ps := cmd.ProcessState; ps != nil {
		r.cpu = ps.UserTime() + ps.SystemTime()
	}
	return r, err
}
