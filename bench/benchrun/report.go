package main

import (
	"fmt"
	"strings"
	"time"
)

type report struct {
	machine string
	date    time.Time
	rows    []row
	serve   *serveResult
	peer    *serveResult
	peerErr string
	rules   string // rules.go's section
	// sections are the listed sections' results, in order.
	sections []sectionResult
	elapsed  time.Duration
	// The machine's 1-minute load average at the start and end: the cores
	// are shared, and a load above their number slows every figure.
	loadStart, loadEnd string
}

func ms(d time.Duration) string { return fmt.Sprintf("%.3f ms", float64(d)/float64(time.Millisecond)) }

func verdict(ok bool) string {
	if ok {
		return "met"
	}
	return "**missed**"
}

func (r report) markdown() string {
	var b strings.Builder
	fmt.Fprintf(&b, "# AccountBot benchmark results\n\nRun %s on %s. Total time %s.\n\n", r.date.Format("2006-01-02 15:04 UTC"), r.machine, r.elapsed.Round(time.Second))
	fmt.Fprintf(&b, "Load average (1 min) %s at the start, %s at the end: the cores are shared with other work, and a load above their number slows every figure here.\n\n", r.loadStart, r.loadEnd)
	b.WriteString("Books are the deterministic demo generator's (`accountbot demo`), 52 weekly snapshots per account, Badger on disk. Ratios are AccountBot ÷ raw Badger (for times, lower is better).\n\n")

	if len(r.rows) > 0 {
		b.WriteString("## Import\n\n| accounts | snapshots | AccountBot accounts/s | snapshots/s | raw WriteBatch accounts/s | AccountBot ÷ raw |\n|---:|---:|---:|---:|---:|---:|\n")
		for _, x := range r.rows {
			fmt.Fprintf(&b, "| %d | %d | %.0f | %.0f | %.0f | %.0f%% |\n", x.accounts, x.snapshots, x.importPerSec, x.snapPerSec, x.rawImportPerSec, 100*x.importPerSec/x.rawImportPerSec)
		}
		b.WriteString("\n## Answer (in-process, through the command engine)\n\n| accounts | `health` p50 | p99 | `renewal` p50 | p99 | raw Get p50 | p99 | health p99 ÷ raw p99 |\n|---:|---:|---:|---:|---:|---:|---:|---:|\n")
		for _, x := range r.rows {
			fmt.Fprintf(&b, "| %d | %s | %s | %s | %s | %s | %s | %.0f× |\n", x.accounts, ms(x.healthP50), ms(x.healthP99), ms(x.renewalP50), ms(x.renewalP99),
				ms(x.rawGetP50), ms(x.rawGetP99), float64(x.healthP99)/float64(max(x.rawGetP99, 1)))
		}
		b.WriteString("\n## Access check\n\n`account X health` asked by the operator (admin: the check stops at once) and by the account's owner (owner-index lookup, resolution among readable accounts, `domain.Authorize`), interleaved in the same run.\n\n| accounts | p99 without | p99 with | access check adds |\n|---:|---:|---:|---:|\n")
		for _, x := range r.rows {
			fmt.Fprintf(&b, "| %d | %s | %s | %.1f%% |\n", x.accounts, ms(x.access.baseP99), ms(x.access.checkedP99), x.access.overhead())
		}
		b.WriteString("\n## Digest: every owner's top 5 over the whole book\n\nAs the scheduler builds each owner's daily digest: the first 5 cards of the owner's stored ranks (built first, as serve's start-up check builds them), every owner in turn; against raw Badger reads of the same keys.\n\n| accounts | owners | digest | raw reads (same keys) | ratio | per owner |\n|---:|---:|---:|---:|---:|---:|\n")
		for _, x := range r.rows {
			fmt.Fprintf(&b, "| %d | %d | %s | %s | %.1f× | %.1f µs |\n", x.accounts, owners(x.accounts), x.digest.Round(time.Millisecond), x.rawIter.Round(time.Millisecond),
				float64(x.digest)/float64(max(x.rawIter, 1)), float64(x.digest.Microseconds())/float64(owners(x.accounts)))
		}
		if len(r.rows) >= 2 {
			a, z := r.rows[0], r.rows[len(r.rows)-1]
			growth := (float64(z.digest) / float64(a.digest)) / (float64(z.accounts) / float64(a.accounts))
			fmt.Fprintf(&b, "\nGrowth from %d to %d accounts: %.2f× the linear expectation (1.00 = exactly linear).\n", a.accounts, z.accounts, growth)
		}
	}
	if s := r.serve; s != nil {
		fmt.Fprintf(&b, "\n## Serve end to end (`accountbot serve`, Slack HTTP mode, %d accounts on disk, signed slash commands on loopback)\n\n", s.accounts)
		if s.startupCheck > 0 {
			fmt.Fprintf(&b, "Measured once serve's start-up check (every account evaluated and stored once, then once a day) was done, %s after start, and serve was idle again (under a tenth of a core for 2 s: the compactions of what the check wrote done), %s after that; this section's serve also runs the ingest section below.\n\n", s.startupCheck.Round(time.Second), s.startIdle.Round(time.Second))
		}
		if s.settled > 0 {
			fmt.Fprintf(&b, "The ramp began once serve was idle again (under a tenth of a core for 2 s, waiting at most 3 minutes) after the sections before it, %s after they ended.\n\n", s.settled.Round(time.Second))
		}
		b.WriteString("| run | target req/s | achieved req/s | p50 | p99 | errors |\n|---|---:|---:|---:|---:|---:|\n")
		line := func(name string, l loadResult) {
			fmt.Fprintf(&b, "| %s | %d | %.0f | %s | %s | %d/%d |\n", name, l.target, l.achieved, ms(l.p50), ms(l.p99), l.errors, l.requests)
		}
		line("AccountBot, fixed rate", s.fixed)
		for _, st := range s.steps {
			line("AccountBot, ramp", st)
		}
		if p := r.peer; p != nil {
			line("Bolt peer, fixed rate", p.fixed)
			for _, st := range p.steps {
				line("Bolt peer, ramp", st)
			}
		}
		fmt.Fprintf(&b, "\nHighest sustainable rate (p99 ≤ 100 ms, ≤ 1%% errors, ≥ 95%% of target): AccountBot %.0f req/s", s.best.achieved)
		if p := r.peer; p != nil {
			fmt.Fprintf(&b, ", Bolt peer %.0f req/s → **%.1f×** the peer's throughput; p99 at the fixed rate %s vs %s.", p.best.achieved,
				s.best.achieved/max(p.best.achieved, 1), ms(s.fixed.p99), ms(p.fixed.p99))
		} else if r.peerErr != "" {
			fmt.Fprintf(&b, "; the Bolt peer could not run: %s.", r.peerErr)
		}
		fmt.Fprintf(&b, "\n\nMemory of `serve` with the %d-account book: RSS %.0f MB idle, %.0f MB under the fixed-rate load (Go heap in use %.0f MB), %.0f MB after the ramp past saturation.", s.accounts, s.rssIdleMB, s.rssMB, s.heapMB, s.rssPeakMB)
		if p := r.peer; p != nil {
			fmt.Fprintf(&b, " (Bolt peer RSS %.0f MB.)", p.rssMB)
		}
		b.WriteString("\n")
	}
	for _, sec := range r.sections {
		b.WriteString("\n" + strings.TrimRight(sec.markdown, "\n") + "\n")
	}
	b.WriteString("\n## Targets\n\n| target | result |\n|---|---|\n")
	if len(r.rows) > 0 {
		z := r.rows[len(r.rows)-1]
		fmt.Fprintf(&b, "| answer p99 ≤ 1 ms in-process at %d accounts | health %s, renewal %s: %s |\n", z.accounts, ms(z.healthP99), ms(z.renewalP99), verdict(z.healthP99 <= time.Millisecond && z.renewalP99 <= time.Millisecond))
		fmt.Fprintf(&b, "| digest ≤ 2 s for %d accounts, within 3× raw reads | %s, %.1f×: %s |\n", z.accounts, z.digest.Round(time.Millisecond), float64(z.digest)/float64(max(z.rawIter, 1)),
			verdict(z.digest <= 2*time.Second && float64(z.digest) <= 3*float64(z.rawIter)))
		fmt.Fprintf(&b, "| access check adds < 5%% to the in-process answer p99 at %d accounts | %.1f%%: %s |\n", z.accounts, z.access.overhead(), verdict(z.access.overhead() < 5))
		fmt.Fprintf(&b, "| import ≥ 50%% of raw WriteBatch | %.0f%%: %s |\n", 100*z.importPerSec/z.rawImportPerSec, verdict(z.importPerSec >= 0.5*z.rawImportPerSec))
	}
	if s := r.serve; s != nil {
		fmt.Fprintf(&b, "| end-to-end p99 ≤ 20 ms at %d req/s | %s: %s |\n", s.fixed.target, ms(s.fixed.p99), verdict(s.fixed.p99 <= 20*time.Millisecond && s.fixed.errors == 0))
		if p := r.peer; p != nil {
			ratio := s.best.achieved / max(p.best.achieved, 1)
			fmt.Fprintf(&b, "| throughput ≥ 3× the Bolt peer's, with a lower p99 | %.1f×, p99 %s vs %s: %s |\n", ratio, ms(s.fixed.p99), ms(p.fixed.p99), verdict(ratio >= 3 && s.fixed.p99 < p.fixed.p99))
		}
		fmt.Fprintf(&b, "| RSS of serve ≤ 300 MB with the %d book, under load | %.0f MB at %d req/s (%.0f MB after saturating it): %s |\n", s.accounts, s.rssMB, s.fixed.target, s.rssPeakMB, verdict(s.rssMB <= 300))
	}
	for _, sec := range r.sections {
		for _, t := range sec.targets {
			fmt.Fprintf(&b, "| %s | %s: %s |\n", t.target, t.result, verdict(t.met))
		}
	}
	b.WriteString("\nCPU profiles of the answer, digest and serve-under-load phases are in `bench/results/profiles/` (`go tool pprof -top FILE`).\n")
	b.WriteString(r.rules)
	return b.String()
}
