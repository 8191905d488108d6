package bot

import (
	"context"
	"fmt"
	"strings"

	"github.com/accountbot/accountbot/domain"
)

// PortfolioSyncResult is `portfolio sync` (admins): per source, the last
// run, records read, changed and refused, the cursor, the next run and the
// last error, as `accountbot sync status` prints them. Sources that never
// ran are named in Idle.
type PortfolioSyncResult struct {
	Sources []SyncSource `json:"sources"`
	Idle    []string     `json:"idle"`
	// Note says why there is nothing to show (no sync store in this
	// process), so the answer is still the declared result.
	Note string `json:"note,omitempty"`
}

func (e *Engine) registerPortfolioSync() {
	e.reg.MustRegister(Verb{Noun: "portfolio", Name: "sync", Access: domain.ScopeAdmin,
		Help:   "CRM, support and billing sync (admins): last run, records read/changed/refused, cursor, next run, last error",
		Result: &PortfolioSyncResult{}, Run: e.portfolioSync})
}

func (e *Engine) portfolioSync(ctx context.Context, c *Call) (Result, error) {
	r := &PortfolioSyncResult{Sources: []SyncSource{}, Idle: []string{}}
	if e.Sync == nil {
		r.Note = "Sync status is not available in this process; run `accountbot sync status` on the server."
		return r, nil
	}
	all, err := e.Sync.SyncSources(ctx)
	if err != nil {
		return nil, fmt.Errorf("reading sync status: %w", err)
	}
	for _, s := range all {
		if s.LastRun.IsZero() && s.Cursor == "" && s.LastError == "" && s.WritesPending+s.WritesFailed == 0 {
			r.Idle = append(r.Idle, s.Source)
			continue
		}
		r.Sources = append(r.Sources, s)
	}
	return r, nil
}

// maxCursorText bounds a cursor shown in chat (Stripe's and Zendesk's are
// long opaque strings; `sync status` prints them whole).
const maxCursorText = 80

// Message draws one line per source that has run.
func (r *PortfolioSyncResult) Message() *Message {
	m := &Message{Title: "Sync"}
	if r.Note != "" {
		m.Blocks = append(m.Blocks, Section{Text: r.Note})
		return m
	}
	l := List{}
	for _, s := range r.Sources {
		last, next := "never", "not scheduled"
		if !s.LastRun.IsZero() {
			last = s.LastRun.UTC().Format("2006-01-02 15:04 UTC")
		}
		if !s.NextRun.IsZero() {
			next = s.NextRun.UTC().Format("2006-01-02 15:04 UTC")
		}
		detail := []string{"next run " + next}
		if s.Cursor != "" {
			cur := s.Cursor
			if len(cur) > maxCursorText {
				cur = cur[:maxCursorText] + "…"
			}
			detail = append(detail, "cursor "+cur)
		}
		if s.WritesPending+s.WritesFailed > 0 {
			detail = append(detail, fmt.Sprintf("write-back %d waiting, %d given up", s.WritesPending, s.WritesFailed))
		}
		it := Item{Text: fmt.Sprintf("%s: last run %s · read %d, changed %d, refused %d", s.Source, last, s.Read, s.Changed, s.Refused),
			Detail: strings.Join(detail, " · ")}
		if s.LastError != "" {
			it.Detail += " · last error: " + s.LastError
			it.Tone = ToneBad
		}
		l.Items = append(l.Items, it)
	}
	if len(l.Items) == 0 {
		l.Items = []Item{{Text: "No source has synced yet. Configure one (see the README's CRM sync section) and run `accountbot sync <source>` or `accountbot serve`."}}
	}
	m.Blocks = append(m.Blocks, l)
	if len(r.Idle) > 0 {
		m.Blocks = append(m.Blocks, Section{Text: "Never run: " + strings.Join(r.Idle, ", ")})
	}
	return m
}
