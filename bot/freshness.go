package bot

import (
	"time"

	"github.com/accountbot/accountbot/domain"
)

// DataAsOf is when a card's account data last changed, from which source,
// its age on the asker's day and whether it is older than stale_after.
type DataAsOf struct {
	domain.DataAge
	loc *time.Location // the asker's time zone, for the card's line
}

// stamp says the patches are a chat (or console) write made now, so the
// store stamps the accounts they change; it returns them for inline use.
func (c *Call) stamp(patches []domain.Patch) []domain.Patch {
	src := domain.SourceChat
	if c.Req.User.Platform == "console" {
		src = domain.SourceConsole
	}
	for i := range patches {
		patches[i].Source, patches[i].At = src, c.Req.Now
	}
	return patches
}

// asOfCarrier is a result about one account that can say how fresh its
// data is (every result embedding AccountRef, and drafts).
type asOfCarrier interface {
	asOf() **DataAsOf
}

func (r *AccountRef) asOf() **DataAsOf { return &r.DataAsOf }

// dataAsOf is the account's data age on the call's clock (nil when the
// account carries no stamp).
func (e *Engine) dataAsOf(c *Call, a *domain.Account) *DataAsOf {
	if a == nil {
		return nil
	}
	d, ok := domain.AgeOf(a.DataChangedAt, a.DataSource, c.Req.Now, e.Rules().StaleAfterDays)
	if !ok {
		return nil
	}
	return &DataAsOf{DataAge: d, loc: c.Req.Location}
}

// withDataAsOf fills a single-account result's data age. Writes answer
// with a confirmation, not a card, and are left alone.
func (e *Engine) withDataAsOf(c *Call, r Result) {
	if c.Account == nil || c.Verb == nil || c.Verb.Writes {
		return
	}
	if h, ok := r.(asOfCarrier); ok {
		*h.asOf() = e.dataAsOf(c, c.Account)
	}
}

// addDataAsOf draws the data age on a card: a stale flag first, where it
// is seen before anything it qualifies; a fresh stamp as small print last.
func addDataAsOf(m *Message, r Result) {
	h, ok := r.(asOfCarrier)
	if !ok || *h.asOf() == nil {
		return
	}
	d := *h.asOf()
	if d.Stale { // full-size text: small print is easy to miss
		m.Blocks = append([]Block{Section{Text: d.Text(d.loc)}}, m.Blocks...)
		return
	}
	m.Blocks = append(m.Blocks, Context{Text: d.Text(d.loc)})
}
