package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/accountbot/accountbot/bot"
	"github.com/accountbot/accountbot/bot/nudge"
	"github.com/accountbot/accountbot/domain"
)

// consoleNotifier prints nudges where no chat platform is configured.
type consoleNotifier struct {
	mu sync.Mutex
	w  io.Writer
}

func (c *consoleNotifier) Notify(ctx context.Context, to bot.Recipient, m *bot.Message, key string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	fmt.Fprintf(c.w, "\n── nudge to %s (%s) ──\n%s\n", to, key, strings.TrimRight(bot.RenderText(m), "\n"))
	return nil
}

// scheduler builds the nudge scheduler over the store and a notifier; the
// engine's rules decide what is due.
func (m *Main) scheduler(e *bot.Engine, n nudge.Notifier) (*nudge.Scheduler, error) {
	s, err := nudge.New(m.Config.Nudges, e.Rules(), m.db, n, m.log)
	if err != nil {
		return nil, domain.Errorf(domain.EINVALID, "%s", domain.ErrorMessage(err))
	}
	m.followRules(nil, s)
	return s, nil
}

// runNudges prints what is due at a moment, without sending anything.
func (m *Main) runNudges(ctx context.Context) error {
	fs := m.subFlags("nudges", "nudges [--at YYYY-MM-DDTHH:MM] [--json]")
	at := fs.String("at", "", "the moment to plan for, in UTC (or with an offset, RFC 3339); default now")
	asJSON := fs.Bool("json", false, "print JSON")
	if _, err := parseInterleaved(fs, m.Args); err != nil {
		return err
	}
	now := m.Now()
	if *at != "" {
		t, err := time.Parse("2006-01-02T15:04", *at)
		if err != nil {
			if t, err = time.Parse(time.RFC3339, *at); err != nil {
				return domain.Errorf(domain.EINVALID, "--at %q: want YYYY-MM-DDTHH:MM (UTC) or RFC 3339", *at)
			}
		}
		now = t
	}
	e, err := m.engine(ctx)
	if err != nil {
		return err
	}
	sched, err := m.scheduler(e, &consoleNotifier{w: io.Discard})
	if err != nil {
		return err
	}
	plan, err := sched.Plan(ctx, now)
	if err != nil {
		return err
	}
	if *asJSON {
		if plan == nil {
			plan = []nudge.Planned{}
		}
		enc := json.NewEncoder(m.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(struct {
			At  time.Time       `json:"at"`
			Due []nudge.Planned `json:"due"`
		}{now.UTC(), plan})
	}
	if len(plan) == 0 {
		fmt.Fprintf(m.Stdout, "Nothing is due at %s.\n", now.UTC().Format(time.RFC3339))
		return nil
	}
	fmt.Fprintf(m.Stdout, "Due at %s (not sent):\n", now.UTC().Format(time.RFC3339))
	tw := tabwriter.NewWriter(m.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "KIND\tACCOUNT\tRECIPIENT\tDUE\tDEDUPE KEY")
	for _, p := range plan {
		acct := p.AccountID
		if acct == "" {
			acct = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", p.Kind, acct, p.To, p.DueAt.UTC().Format("2006-01-02 15:04"), p.Key)
	}
	return tw.Flush()
}
