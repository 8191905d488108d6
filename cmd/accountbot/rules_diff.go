package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/debug"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/accountbot/accountbot/domain"
	"github.com/accountbot/accountbot/replay"
)

// runRulesDiff is `accountbot rules diff CANDIDATE.yaml [--weeks 26] [--json]`.
func (m *Main) runRulesDiff(ctx context.Context) error {
	fs := m.subFlags("rules diff", "rules diff CANDIDATE.yaml [--weeks 26] [--json]")
	weeks := fs.Int("weeks", 26, "weeks to replay, ending today (1 to 260)")
	asJSON := fs.Bool("json", false, "print the typed result (docs/schemas/rules.diff.json)")
	args, err := parseInterleaved(fs, m.Args[1:]) // after "diff"
	if err != nil {
		return err
	}
	if len(args) != 1 {
		return domain.Errorf(domain.EINVALID, "rules diff needs one candidate rules file: accountbot rules diff CANDIDATE.yaml")
	}
	cand, err := loadCandidate(m.path(args[0]), m.Config.Rules)
	if err != nil {
		return err
	}
	if sent, err := m.viaServer(ctx); sent {
		return err // a running serve replays it on its open store
	}
	if m.db == nil {
		tuneGCForReplay(m.Getenv) // this process exists for the replay alone
	}
	db, err := m.open(ctx)
	if err == nil {
		err = m.loadRules(ctx, db)
	}
	if err != nil {
		return err
	}
	// Against the rules version in force (rules_version.go), which the
	// candidate's absent keys keep.
	current, _ := m.scoringRules()
	if cand, err = loadCandidate(m.path(args[0]), current); err != nil {
		return err
	}
	start := time.Now()
	d, err := replay.Run(ctx, db, current, cand, replay.Options{Today: m.today(), Weeks: *weeks, Workers: runtime.GOMAXPROCS(0)})
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(m.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(d)
	}
	printDiff(m.Stdout, d, args[0])
	fmt.Fprintf(m.Stdout, "\nReplayed in %s.\n", time.Since(start).Round(time.Millisecond))
	return nil
}

// tuneGCForReplay trades memory headroom for CPU: a replay allocates
// millions of short-lived evaluations over a live heap of ~65 MB, so the
// memory limit, not the GC target, sets how often it collects. 256 MiB
// rather than 192 cut the 100K replay's CPU by 7% (run side by side), for a
// peak RSS of 394 MB against the 500 MB budget (make bench); GOMEMLIMIT
// overrides it.
func tuneGCForReplay(getenv func(string) string) {
	debug.SetGCPercent(400)
	if getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(256 << 20)
	}
}

// loadCandidate reads a candidate rules file: the keys of the config
// file's `rules:` section (or a whole config file with one), over the
// current rules, so a candidate names only what it changes. Unknown keys,
// values of the wrong type and bad values are refused with the field named
// (domain.ParseRules; `rules apply` reads candidates the same way).
func loadCandidate(path string, current domain.Config) (domain.Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return domain.Config{}, domain.Errorf(domain.EINVALID, "reading the candidate rules %s: %v", path, err)
	}
	var top map[string]yaml.Node
	if yaml.Unmarshal(b, &top) == nil {
		if n, ok := top["rules"]; ok && len(top) <= 1 {
			if b, err = yaml.Marshal(&n); err != nil {
				return domain.Config{}, fmt.Errorf("reading %s: %w", path, err)
			}
		}
	}
	cand, err := domain.ParseRules(b, current)
	if err != nil {
		return domain.Config{}, domain.Errorf(domain.EINVALID, "candidate rules %s: %s (the keys are those of `rules:` in `accountbot rules show`)",
			path, domain.ErrorMessage(err))
	}
	return cand, nil
}

// printDiff writes the diff for a terminal.
func printDiff(w io.Writer, d *replay.Diff, name string) {
	fmt.Fprintf(w, "Rules diff: current rules vs %s, %d weeks from %s to %s\n", name, d.Weeks, d.From, d.Today)
	fmt.Fprintf(w, "%d accounts replayed, %d account-weeks under each rule set", d.Accounts, d.AccountWeeks)
	if d.BaselineWeeks > 0 {
		fmt.Fprintf(w, " (%d before the account's field history began: its earliest recorded values stood in)", d.BaselineWeeks)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "\nAccounts that change")
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "\ttoday\tany week\t")
	for _, r := range []struct {
		name     string
		now, any int
	}{{"any", d.Changed.Accounts, d.ChangedAnyWeek.Accounts}, {"tier", d.Changed.Tier, d.ChangedAnyWeek.Tier},
		{"bands", d.Changed.Bands, d.ChangedAnyWeek.Bands}, {"priority", d.Changed.Priority, d.ChangedAnyWeek.Priority}} {
		fmt.Fprintf(tw, "  %s\t%d\t%d\t\n", r.name, r.now, r.any)
	}
	tw.Flush()
	if len(d.Largest) > 0 {
		fmt.Fprintf(w, "\nLargest accounts that change (by ARR, at the latest week they differ)\n")
		tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "  ACCOUNT\tARR\tOWNER\tWEEK\tCURRENT\tCANDIDATE\tRULE\tWEEKS")
		for _, c := range d.Largest {
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\t%s\t%s\t%d\n", c.Name, c.ARR.Format(), c.Owner, c.Date,
				verdictText(c.Current), verdictText(c.Candidate), c.Rule, c.WeeksDiffering)
		}
		tw.Flush()
	}
	printNudges(w, d)
	printBacktest(w, "Back-test: HIGH or DECISION POINT vs churn, contraction and `outcome lost`", d.Backtest.Risk)
	printBacktest(w, "Back-test: TOP PRIORITY vs expansions (ARR up by a motion) and `outcome won`", d.Backtest.Expansion)
}

func verdictText(v replay.Verdict) string {
	return fmt.Sprintf("T%d %s E:%s P:%s R:%s", v.Tier, domain.Priority(v.Priority).Label(), v.Engagement, v.Potential, v.Risk)
}

func printNudges(w io.Writer, d *replay.Diff) {
	fmt.Fprintf(w, "\nNudges over the %d weeks\n", d.Weeks)
	fmt.Fprintf(w, "  alert budget: %d alerts under the current rules, %d under the candidate (%+d)\n",
		d.Alerts.Current, d.Alerts.Candidate, d.Alerts.Candidate-d.Alerts.Current)
	digests, entries := 0, 0
	for _, c := range d.ByCSM {
		digests += c.DigestsChanged
		entries += c.EntriesChanged
	}
	fmt.Fprintf(w, "  digests that would list other accounts: %d of %d CSM-weeks (%d accounts in or out)\n",
		digests, len(d.ByCSM)*d.Weeks, entries)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  CSM\tDIGESTS CHANGED\tACCOUNTS IN/OUT\tALERTS CURRENT\tALERTS CANDIDATE")
	for _, c := range d.ByCSM {
		fmt.Fprintf(tw, "  %s\t%d\t%d\t%d\t%d\n", c.Owner, c.DigestsChanged, c.EntriesChanged, c.Alerts.Current, c.Alerts.Candidate)
	}
	tw.Flush()
	printDigestDiffs(w, d)
	fmt.Fprintln(w, "\n  By week (weeks where something differs)")
	tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  WEEK\tDIGESTS CHANGED\tACCOUNTS IN/OUT\tALERTS CURRENT\tALERTS CANDIDATE")
	for _, wk := range d.ByWeek {
		if wk.DigestsChanged > 0 || wk.Alerts.Current != wk.Alerts.Candidate {
			fmt.Fprintf(tw, "  %s\t%d\t%d\t%d\t%d\n", wk.Date, wk.DigestsChanged, wk.EntriesChanged, wk.Alerts.Current, wk.Alerts.Candidate)
		}
	}
	tw.Flush()
}

// maxDigestLines bounds the digest differences printed (--json has them all).
const maxDigestLines = 10

// printDigestDiffs prints the latest digest differences: who would have
// seen which accounts instead of which.
func printDigestDiffs(w io.Writer, d *replay.Diff) {
	var all []struct {
		owner string
		dd    replay.DigestDiff
	}
	for _, c := range d.ByCSM {
		for _, dd := range c.Digests {
			all = append(all, struct {
				owner string
				dd    replay.DigestDiff
			}{c.Owner, dd})
		}
	}
	if len(all) == 0 {
		return
	}
	sort.SliceStable(all, func(i, j int) bool { return all[i].dd.Date > all[j].dd.Date })
	fmt.Fprintf(w, "\n  Latest digest differences (%d of %d; --json lists them all)\n", min(len(all), maxDigestLines), len(all))
	label := accountLabels(d.Names)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  WEEK\tCSM\tONLY UNDER THE CANDIDATE\tONLY UNDER THE CURRENT RULES")
	for _, x := range all[:min(len(all), maxDigestLines)] {
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", x.dd.Date, x.owner, label(x.dd.Added), label(x.dd.Dropped))
	}
	tw.Flush()
}

// accountLabels returns how to list accounts by id: by name, with the id
// after a name that two of them share ("Acme Labs (acme-2)").
func accountLabels(names map[string]string) func(ids []string) string {
	count := map[string]int{}
	for _, n := range names {
		count[n]++
	}
	return func(ids []string) string {
		out := make([]string, len(ids))
		for i, id := range ids {
			switch n, ok := names[id]; {
			case !ok || n == "":
				out[i] = id
			case count[n] > 1:
				out[i] = n + " (" + id + ")"
			default:
				out[i] = n
			}
		}
		return strings.Join(out, ", ")
	}
}

func printBacktest(w io.Writer, title string, p replay.TallyPair) {
	fmt.Fprintf(w, "\n%s\n", title)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "\tcurrent\tcandidate\t")
	c, k := p.Current, p.Candidate
	fmt.Fprintf(tw, "  accounts it happened to\t%d\t%d\t\n", c.Accounts, k.Accounts)
	fmt.Fprintf(tw, "  flagged\t%d\t%d\t\n", c.Flagged, k.Flagged)
	fmt.Fprintf(tw, "  flagged before it happened\t%d\t%d\t\n", c.Caught, k.Caught)
	fmt.Fprintf(tw, "  false alarms\t%d\t%d\t\n", c.FalseAlarms, k.FalseAlarms)
	fmt.Fprintf(tw, "  precision\t%.1f%%\t%.1f%%\t\n", c.Precision, k.Precision)
	fmt.Fprintf(tw, "  recall\t%.1f%%\t%.1f%%\t\n", c.Recall, k.Recall)
	fmt.Fprintf(tw, "  median lead (weeks)\t%.1f\t%.1f\t\n", c.MedianLeadWeeks, k.MedianLeadWeeks)
	tw.Flush()
}
