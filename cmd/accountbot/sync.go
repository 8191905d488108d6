package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"runtime/debug"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/accountbot/accountbot/connector"
	"github.com/accountbot/accountbot/domain"
	"github.com/accountbot/accountbot/hubspot"
	"github.com/accountbot/accountbot/salesforce"
)

// SyncConfig is the `sync` section of the configuration file.
type SyncConfig struct {
	Every      time.Duration     `yaml:"every,omitempty"` // how often `serve` syncs each configured source; default 15m
	HubSpot    hubspot.Config    `yaml:"hubspot"`
	Salesforce salesforce.Config `yaml:"salesforce"`

	FeedsConfig `yaml:",inline"` // zendesk and stripe (feeds.go)
}

func defaultSyncConfig() SyncConfig {
	return SyncConfig{Every: 15 * time.Minute, HubSpot: hubspot.DefaultConfig()}
}

// syncSources lists the sources `sync` knows.
var syncSources = append([]string{hubspot.Name, salesforce.Name}, feedSources...)

func (m *Main) syncEvery() time.Duration {
	if m.Config.Sync.Every > 0 {
		return m.Config.Sync.Every
	}
	return 15 * time.Minute
}

// syncSource builds a source, its writer and its run options from the
// configuration and the environment.
func (m *Main) syncSource(name string) (connector.Source, connector.Writer, connector.Options, error) {
	opt := connector.Options{DefaultCurrency: m.Config.Currency, Every: m.syncEvery()}
	switch name {
	case hubspot.Name:
		cfg := m.Config.Sync.HubSpot
		token, err := cfg.Token(m.Getenv)
		if err != nil {
			return nil, nil, opt, err
		}
		c := hubspot.NewClient(cfg.URL(m.Getenv), token, cfg.RatePerSecond, nil, nil)
		src, err := hubspot.NewSource(c, cfg, m.Config.Currency)
		if err != nil {
			return nil, nil, opt, err
		}
		opt.Create = cfg.CreateAccounts()
		return src, hubspot.NewWriter(c), opt, nil
	case salesforce.Name:
		cfg := m.Config.Sync.Salesforce
		cr, err := cfg.Creds(m.Getenv)
		if err != nil {
			return nil, nil, opt, err
		}
		c := salesforce.NewClient(cr, cfg.ClientOptions())
		src, err := salesforce.NewSource(c, cfg, m.Config.Currency)
		if err != nil {
			return nil, nil, opt, err
		}
		opt.Create = cfg.CreateAccounts()
		return src, salesforce.NewWriter(c, cfg), opt, nil
	}
	if src, ok, err := m.feedSource(name); ok {
		return src, nil, opt, err
	}
	return nil, nil, opt, domain.Errorf(domain.EINVALID, "unknown sync source %q (want %s, or status)", name, strings.Join(syncSources, ", "))
}

func (m *Main) runSync(ctx context.Context) error {
	fs := m.subFlags("sync", "sync SOURCE [--full] [--dry-run] [--json] | sync status [--json]")
	full := fs.Bool("full", false, "reload everything instead of the changes since the last run")
	dry := fs.Bool("dry-run", false, "show what would change and write nothing")
	asJSON := fs.Bool("json", false, "print the result as JSON")
	source, err := m.oneArg(fs)
	if err != nil {
		return err
	}
	db, err := m.open(ctx)
	if err != nil {
		return err
	}
	if source == "status" {
		return m.syncStatus(ctx, db, *asJSON)
	}
	src, wr, opt, err := m.syncSource(source)
	if err != nil {
		if slices.Contains(syncSources, source) && !*dry {
			m.recordSyncError(ctx, db, source, err)
		}
		return err
	}
	opt.Full, opt.DryRun = *full, *dry
	opt.Every = 0 // a run by hand schedules nothing: no "next run"
	if m.Getenv("GOMEMLIMIT") == "" {
		// The soft limit serve's scheduled syncs run under (serve.go): a
		// full load's store writes flush and compact in bursts, and the
		// heap would otherwise grow to twice what is live before a
		// collection (about 300 MB at 100,000 accounts; 190 MB with it).
		debug.SetMemoryLimit(defaultMemoryLimit)
	}
	r := &connector.Runner{Store: syncStore(source, db), Now: m.Now, Log: m.log}
	stop := releaseMapped(ctx, db)
	rep, err := r.Run(ctx, src, opt)
	stop()
	if *asJSON {
		enc := json.NewEncoder(m.Stdout)
		enc.SetIndent("", "  ")
		if eerr := enc.Encode(rep); eerr != nil {
			return fmt.Errorf("encoding report: %w", eerr)
		}
	} else {
		printReport(m.Stdout, rep, opt.DryRun)
	}
	if err != nil {
		return domain.Errorf(domain.EINVALID, "sync %s stopped: %s (see `accountbot sync status`)", source, rep.Status.LastError)
	}
	if !opt.DryRun {
		return m.writeBack(ctx, db, source, wr, true, m.Stdout)
	}
	return nil
}

// writeBack queues changed scores (with scores: it evaluates the whole
// book, so once per sync, not per delivery) and delivers the outbox once;
// failed writes stay queued with their error and backoff (`sync status`).
func (m *Main) writeBack(ctx context.Context, db Store, source string, wr connector.Writer, scores bool, out io.Writer) error {
	if scores {
		if _, err := m.enqueueScores(ctx, db, source, m.scoreFields(source)); err != nil {
			return err
		}
	}
	n, err := connector.Deliver(ctx, db, wr, source, m.Now(), 100)
	if err != nil {
		return err
	}
	if p, f, last, err := db.Pending(ctx, source); err == nil && (n > 0 || p+f > 0) {
		fmt.Fprintf(out, "write-back: %d delivered, %d waiting to retry, %d given up%s\n", n, p, f, suffix(last))
	}
	return nil
}

// scoreFields names the CRM fields a source's scores are written to.
func (m *Main) scoreFields(source string) connector.ScoreFields {
	switch source {
	case hubspot.Name:
		return m.Config.Sync.HubSpot.WriteBack.Scores
	case salesforce.Name:
		return m.Config.Sync.Salesforce.WriteBack.Scores
	}
	return connector.ScoreFields{}
}

func suffix(last string) string {
	if last == "" {
		return ""
	}
	return " (last error: " + last + ")"
}

// recordSyncError puts a configuration error (no token, a required field
// the mapping does not fill) into the source's status, where `sync status`
// and admins look, keeping the counts of the last run.
func (m *Main) recordSyncError(ctx context.Context, db Store, source string, err error) {
	_, st, serr := db.SyncState(ctx, source)
	if serr == nil {
		st.Source, st.LastRun, st.LastError = source, m.Now(), domain.ErrorMessage(err)
		serr = db.SaveStatus(ctx, source, st)
	}
	if serr != nil {
		m.log.Error("saving sync status", "source", source, "err", serr)
	}
}

func printReport(w io.Writer, rep connector.Report, dry bool) {
	if dry {
		fmt.Fprintln(w, "Dry run: nothing was written.")
	}
	for _, c := range rep.Changes {
		id := c.AccountID
		if id == "" {
			id = "-"
		}
		fmt.Fprintf(w, "%-9s %s → %s\n", c.Action, c.ExternalID, id)
		for _, d := range c.Details {
			fmt.Fprintf(w, "          %s\n", d)
		}
	}
	if rep.More > 0 {
		fmt.Fprintf(w, "… and %d more changes\n", rep.More)
	}
	s := rep.Status
	fmt.Fprintf(w, "%s: read %d, changed %d (created %d), refused %d, unmatched %d, marked %d\n",
		s.Source, s.Read, s.Changed, s.Created, s.Refused, s.Unmatched, s.Marked)
	for _, r := range s.Refusals {
		fmt.Fprintln(w, "  refused:", r)
	}
	if s.LastError != "" {
		fmt.Fprintln(w, "  error:", s.LastError)
	}
}

// syncStatus prints every known source's status, with the outbox counts.
func (m *Main) syncStatus(ctx context.Context, db Store, asJSON bool) error {
	all, err := syncStatuses(ctx, db)
	if err != nil {
		return err
	}
	if asJSON {
		enc := json.NewEncoder(m.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(all)
	}
	tw := tabwriter.NewWriter(m.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "SOURCE\tLAST RUN\tREAD\tCHANGED\tREFUSED\tNEXT RUN\tWRITES PENDING/FAILED\tLAST ERROR")
	for _, s := range all {
		last, next := "never", "-"
		if !s.LastRun.IsZero() {
			last = s.LastRun.UTC().Format("2006-01-02 15:04")
		}
		if !s.NextRun.IsZero() {
			next = s.NextRun.UTC().Format("2006-01-02 15:04")
		}
		errText := s.LastError
		if errText == "" {
			errText = s.LastWriteErr
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\t%s\t%d/%d\t%s\n", s.Source, last, s.Read, s.Changed, s.Refused, next, s.WritesPending, s.WritesFailed, orDash(errText))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	marks, err := db.SyncMarks(ctx)
	if err != nil {
		return err
	}
	unmatched, err := db.SyncUnmatched(ctx)
	if err != nil {
		return err
	}
	for _, mk := range marks {
		into := ""
		if mk.MergedInto != "" {
			into = " into " + mk.MergedInto
		}
		fmt.Fprintf(m.Stdout, "%s: account %s was %s%s in %s (record %s)\n", mk.Source, mk.AccountID, mk.Kind, into, mk.Source, mk.ExternalID)
	}
	if len(unmatched) > 0 {
		fmt.Fprintf(m.Stdout, "review list: %d records match no account (set create_accounts, or link them):", len(unmatched))
		for i, u := range unmatched[:min(5, len(unmatched))] {
			sep := ","
			if i == 0 {
				sep = ""
			}
			fmt.Fprintf(m.Stdout, "%s %s %s", sep, u.Source, u.ExternalID)
		}
		fmt.Fprintln(m.Stdout)
	}
	for _, s := range all {
		if s.Cursor != "" {
			fmt.Fprintf(m.Stdout, "%s cursor: %s\n", s.Source, s.Cursor)
		}
		for _, r := range s.Refusals {
			fmt.Fprintf(m.Stdout, "%s refused: %s\n", s.Source, r)
		}
	}
	return nil
}

// syncStatuses is every source's status with its cursor and outbox counts
// (the Stripe webhook's too).
func syncStatuses(ctx context.Context, db Store) ([]connector.Status, error) {
	var all []connector.Status
	for _, name := range statusSources {
		cur, st, err := db.SyncState(ctx, name)
		if err != nil {
			return nil, fmt.Errorf("reading the %s sync status: %w", name, err)
		}
		st.Source, st.Cursor = name, cur
		if st.WritesPending, st.WritesFailed, st.LastWriteErr, err = db.Pending(ctx, name); err != nil {
			return nil, fmt.Errorf("reading the %s outbox: %w", name, err)
		}
		all = append(all, st)
	}
	return all, nil
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// syncLoop is serve's background sync (serveSync starts it): every
// configured source on its schedule, and the write-back outbox every
// minute (or every sync.every when that is shorter). Errors go to the
// source's status and the log; they never stop the bot.
func (m *Main) syncLoop(ctx context.Context, db Store) {
	tick := time.NewTicker(min(time.Minute, m.syncEvery()))
	defer tick.Stop()
	next := map[string]time.Time{}
	for {
		m.syncOnce(ctx, db, next)
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// syncOnce runs each configured source whose time has come (next holds
// when each is due), queues changed scores and delivers the outbox.
func (m *Main) syncOnce(ctx context.Context, db Store, next map[string]time.Time) {
	for _, name := range m.scheduledSources() {
		src, wr, opt, err := m.syncSource(name)
		if err != nil {
			m.configError(ctx, db, name, err, next)
			continue
		}
		if ctx.Err() != nil {
			return
		}
		due := !m.Now().Before(next[name])
		if due {
			next[name] = m.Now().Add(opt.Every)
			r := &connector.Runner{Store: syncStore(name, db), Now: m.Now, Log: m.log}
			if _, err := r.Run(ctx, src, opt); err != nil {
				m.log.Warn("sync", "source", name, "err", err)
			}
		}
		if err := m.writeBack(ctx, db, name, wr, due, io.Discard); err != nil {
			m.log.Warn("write-back", "source", name, "err", err)
		}
	}
}
