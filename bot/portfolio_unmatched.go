package bot

import (
	"context"
	"fmt"

	"github.com/accountbot/accountbot/domain"
)

// UnmatchedLister reads the review list of records that named no account
// (the store implements it).
type UnmatchedLister interface {
	Unmatched(ctx context.Context) ([]domain.UnmatchedRecord, error)
}

// PortfolioUnmatchedResult is `portfolio unmatched` (admins): the records
// from Segment, the ingest API and the CRM sync that named no account by
// id or external id, kept for review rather than guessed onto an account
// by name. `accountbot unmatched` prints the same list.
type PortfolioUnmatchedResult struct {
	Records []domain.UnmatchedRecord `json:"records"`
	// Note says why there is nothing to show (no review list in this
	// process), so the answer is still the declared result.
	Note string `json:"note,omitempty"`
}

// maxUnmatchedShown bounds the chat list (the JSON has every record).
const maxUnmatchedShown = 20

// maxSampleText bounds a record's sample shown in chat.
const maxSampleText = 160

func (e *Engine) registerPortfolioUnmatched() {
	e.reg.MustRegister(Verb{Noun: "portfolio", Name: "unmatched", Access: domain.ScopeAdmin,
		Help:   "records from Segment, the API or a CRM that named no account (admins): source, external id, count, last seen",
		Result: &PortfolioUnmatchedResult{}, Run: e.portfolioUnmatched})
}

func (e *Engine) portfolioUnmatched(ctx context.Context, c *Call) (Result, error) {
	r := &PortfolioUnmatchedResult{Records: []domain.UnmatchedRecord{}}
	l, ok := e.Store.(UnmatchedLister)
	if !ok {
		r.Note = "The review list is not available in this process; run `accountbot unmatched` on the server."
		return r, nil
	}
	recs, err := l.Unmatched(ctx)
	if err != nil {
		return nil, fmt.Errorf("reading the review list: %w", err)
	}
	r.Records = append(r.Records, recs...)
	return r, nil
}

// Message draws one line per record, with its sample as the detail.
func (r *PortfolioUnmatchedResult) Message() *Message {
	m := &Message{Title: fmt.Sprintf("Unmatched records (%d)", len(r.Records))}
	if r.Note != "" {
		m.Blocks = append(m.Blocks, Section{Text: r.Note})
		return m
	}
	if len(r.Records) == 0 {
		m.Blocks = append(m.Blocks, Section{Text: "Nothing to review: every record matched an account."})
		return m
	}
	l := List{}
	for i, rec := range r.Records {
		if i == maxUnmatchedShown {
			l.More = len(r.Records) - i
			break
		}
		it := Item{Text: fmt.Sprintf("%s %q (%s)", rec.Source, rec.ExternalID, orNone(rec.Kind)), Tone: ToneWarn}
		if !rec.LastSeen.IsZero() {
			it.Text += fmt.Sprintf(" · seen %d× · last %s", rec.Count, rec.LastSeen.UTC().Format("2006-01-02 15:04 UTC"))
		}
		if s := []rune(rec.Sample); len(s) > maxSampleText {
			it.Detail = string(s[:maxSampleText]) + "…"
		} else {
			it.Detail = rec.Sample
		}
		l.Items = append(l.Items, it)
	}
	m.Blocks = append(m.Blocks, l,
		Context{Text: `To match a record, give the account that id under external_ids (e.g. "external_ids": {"segment": "grp_123"}) and import it; the entry then leaves this list.`})
	return m
}
