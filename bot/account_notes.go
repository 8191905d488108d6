package bot

import (
	"context"
	"fmt"

	"github.com/accountbot/accountbot/domain"
)

// NotesResult is `account <name> notes`: notes and signals, newest first.
type NotesResult struct {
	AccountRef
	Entries []NoteEntry `json:"entries"`
	// Total is how many notes and signals the account has; Entries holds
	// at most Limit of them.
	Total int `json:"total"`
	Limit int `json:"limit"`

	tier int
}

// NoteEntry is one note or signal.
type NoteEntry struct {
	Date domain.Date       `json:"date"`
	Kind domain.SignalKind `json:"kind"`
	Note string            `json:"note"`
}

var notesArgs = []Arg{{Name: "limit", Kind: KindInt, Min: 1, Max: 500, Default: "20", Help: "how many to show, newest first"}}

func (e *Engine) notes(ctx context.Context, c *Call) (Result, error) {
	a := c.Account
	limit := int(c.Args.Int("limit"))
	r := &NotesResult{AccountRef: ref(a), Entries: []NoteEntry{}, Total: len(a.Signals), Limit: limit, tier: e.evaluate(c).Tier.Tier}
	// Signals are kept in date order, same-day ones as recorded: walking
	// back gives the newest (and, on a day, the last recorded) first.
	for i := len(a.Signals) - 1; i >= 0 && len(r.Entries) < limit; i-- {
		s := a.Signals[i]
		r.Entries = append(r.Entries, NoteEntry{Date: s.Date, Kind: s.Kind, Note: s.Note})
	}
	return r, nil
}

// Message draws the notes, newest first.
func (r *NotesResult) Message() *Message {
	m := &Message{Title: fmt.Sprintf("%s — Tier %d — notes and signals", r.Name, r.tier)}
	if r.Total == 0 {
		m.Blocks = append(m.Blocks, Section{Text: fmt.Sprintf("No notes or signals yet. Add one with `account %s note <text>` or `account %s signal <kind> [note]`.", r.ID, r.ID)})
		return m
	}
	l := List{More: r.Total - len(r.Entries)}
	for _, x := range r.Entries {
		text := x.Date.String() + " · "
		if x.Kind == domain.SignalNote {
			text += "note"
		} else {
			text += "signal: " + string(x.Kind)
		}
		l.Items = append(l.Items, Item{Text: text, Detail: x.Note})
	}
	m.Blocks = append(m.Blocks, l)
	if l.More > 0 {
		m.Blocks = append(m.Blocks, Context{Text: fmt.Sprintf("Showing the newest %d of %d; add a number for more (`account %s notes %d`).", len(r.Entries), r.Total, r.ID, min(r.Total, 500))})
	}
	return m
}
