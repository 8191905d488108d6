package bot

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"

	"github.com/accountbot/accountbot/domain"
)

// ActionRecordARR confirms an ARR change offered after `outcome won`. Its
// button's value is the account id, then "?" and the verb's arguments
// (change, motion, date, from), so a click is a typed call.
const ActionRecordARR = "record_arr"

func arrArgs() []Arg {
	motions := make([]string, len(domain.Motions))
	for i, m := range domain.Motions {
		motions[i] = string(m)
	}
	return []Arg{
		{Name: "motion", Kind: KindEnum, Enum: motions, Help: "the expansion motion, or - for none"},
		{Name: "change", Kind: KindMoney, Required: true, Help: "the ARR added",
			Prompt: "How much ARR was added? Usage: account <name> arr [motion] <change> [date=YYYY-MM-DD]"},
		{Name: "date", Kind: KindWord, Form: Keyed, Help: "when it takes effect (default today)"},
		{Name: "from", Kind: KindMoney, Form: Keyed, Help: "the ARR the change applies to (default the current ARR)", Usage: "-"},
	}
}

// ARRChangeResult is a recorded (or already recorded) ARR change.
type ARRChangeResult struct {
	AccountRef
	Date     domain.Date   `json:"date"`
	Motion   domain.Motion `json:"motion"`
	Change   json.Number   `json:"change"`
	From     json.Number   `json:"from"`
	To       json.Number   `json:"to"`
	Currency string        `json:"currency"`
	// Already is true when this change was recorded before (a second click
	// on the same button): nothing was written.
	Already bool `json:"already"`

	text string
}

func (e *Engine) recordARR(ctx context.Context, c *Call) (Result, error) {
	a := c.Account
	ch := domain.ARRChange{Date: c.Today, Motion: domain.Motion(c.Args.Text("motion")), Change: c.Args.Int("change"), From: a.ARR}
	if d := c.Args.Text("date"); d != "" {
		var err error
		if ch.Date, err = domain.ParseDate(d); err != nil {
			return nil, domain.Errorf(domain.EINVALID, "date=%q is not a date: use YYYY-MM-DD.", d)
		}
	}
	if c.Args.Has("from") {
		ch.From = c.Args.Int("from")
	}
	ch.To = ch.From + ch.Change
	next := *a
	next.ARRHistory = append([]domain.ARRPoint(nil), a.ARRHistory...)
	next.Usage, next.Signals = nil, nil // stored apart; a core patch leaves them alone
	already, err := domain.ApplyARRChange(&next, ch, c.Today)
	if err != nil {
		return nil, err
	}
	if !already {
		if _, err := e.Store.Apply(ctx, c.stamp([]domain.Patch{{ID: a.ID, Core: &next}})); err != nil {
			return nil, fmt.Errorf("recording the ARR change on %s: %w", a.ID, err)
		}
		e.trends.forget(a.ID)
	}
	res := &ARRChangeResult{AccountRef: ref(a), Date: ch.Date, Motion: ch.Motion, Change: major(ch.Change, a.Currency),
		From: major(ch.From, a.Currency), To: major(ch.To, a.Currency), Currency: a.Currency, Already: already}
	res.text = fmt.Sprintf("%s ARR %s → %s (+%s", a.Name, a.Money(ch.From).Format(), a.Money(ch.To).Format(), a.Money(ch.Change).Format())
	if ch.Motion != "" {
		res.text += ", " + ch.Motion.Label()
	}
	res.text += ") from " + ch.Date.String() + "."
	return res, nil
}

// Message confirms the change.
func (r *ARRChangeResult) Message() *Message {
	m := &Message{Title: r.Name + " — ARR change recorded"}
	if r.Already {
		m.Title = r.Name + " — ARR change already recorded"
	}
	m.Blocks = append(m.Blocks, Section{Text: r.text},
		Context{Text: "NRR and expansion by motion count it from its date: see `portfolio nrr`."})
	return m
}

// ARROffer is the ARR change `outcome won` offers to record.
type ARROffer struct {
	Motion domain.Motion `json:"motion"`
	Change json.Number   `json:"change"`
	From   json.Number   `json:"from"`
	To     json.Number   `json:"to"`
	Date   domain.Date   `json:"date"`
	// Command records it from text (the console has no buttons).
	Command string `json:"command"`

	button Button
	text   string
}

// arrOffer is the offer for a won expansion with an ARR figure.
func arrOffer(a *domain.Account, o domain.Outcome) *ARROffer {
	if o.Result != domain.Won || o.ARR <= 0 || o.Motion == "" {
		return nil
	}
	amount := func(v int64) string { // "72000", not "72000.00", in the command shown
		s := domain.MajorString(v, a.Currency)
		if i := strings.IndexByte(s, '.'); i >= 0 && strings.Trim(s[i+1:], "0") == "" {
			s = s[:i]
		}
		return s
	}
	vals := url.Values{"change": {amount(o.ARR)}, "motion": {string(o.Motion)}, "date": {o.Date.String()}, "from": {amount(a.ARR)}}
	to := a.ARR + o.ARR
	off := &ARROffer{Motion: o.Motion, Change: major(o.ARR, a.Currency), From: major(a.ARR, a.Currency), To: major(to, a.Currency), Date: o.Date,
		Command: fmt.Sprintf("account %s arr %s %s date=%s from=%s", a.ID, o.Motion, amount(o.ARR), o.Date, amount(a.ARR))}
	off.text = fmt.Sprintf("Record the ARR change so NRR reflects it: %s → %s (+%s, %s) from %s?",
		a.Money(a.ARR).Format(), a.Money(to).Format(), a.Money(o.ARR).Format(), o.Motion.Label(), o.Date)
	off.button = Button{Label: "Record +" + a.Money(o.ARR).Format() + " ARR", ActionID: ActionRecordARR, Value: a.ID + "?" + vals.Encode(), Primary: true}
	return off
}

// recordARRAction runs the confirmation button: "id?change=…&motion=…".
func (e *Engine) recordARRAction(ctx context.Context, c *Call, value string) (Result, error) {
	id, query, _ := strings.Cut(value, "?")
	q, err := url.ParseQuery(query)
	if err != nil {
		return nil, fmt.Errorf("record_arr button value %q: %w", value, err)
	}
	args := map[string]string{}
	for k := range q {
		args[k] = q.Get(k)
	}
	return e.callAccountVerb(ctx, c, id, "arr", args)
}
