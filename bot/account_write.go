package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/accountbot/accountbot/domain"
)

// SignalResult is a recorded note or signal and the score after it.
type SignalResult struct {
	ID       string            `json:"id"`
	Date     domain.Date       `json:"date"`
	Kind     domain.SignalKind `json:"kind"`
	Note     string            `json:"note"`
	Combined int               `json:"combined"`
	Priority domain.Priority   `json:"priority"`

	name   string
	action string
}

func (e *Engine) note(ctx context.Context, c *Call) (Result, error) {
	return e.addSignal(ctx, c, domain.Signal{Date: c.Today, Kind: domain.SignalNote, Note: c.Args.Text("text")})
}

func (e *Engine) signal(ctx context.Context, c *Call) (Result, error) {
	return e.addSignal(ctx, c, domain.Signal{Date: c.Today, Kind: domain.SignalKind(c.Args.Text("kind")), Note: c.Args.Text("note")})
}

func (e *Engine) addSignal(ctx context.Context, c *Call, s domain.Signal) (Result, error) {
	if len(s.Note) > 2000 {
		return nil, domain.Errorf(domain.EINVALID, "Notes are limited to 2,000 characters.")
	}
	if err := e.apply(ctx, c, []domain.Patch{{ID: c.Account.ID, Signals: []domain.Signal{s}}}); err != nil {
		if errors.Is(err, errReplayed) {
			return nil, err
		}
		return nil, fmt.Errorf("saving %s on %s: %w", s.Kind, c.Account.ID, err)
	}
	e.trends.forget(c.Account.ID) // the trend depends on the account's signals
	c.Account.Signals = append(c.Account.Signals, s)
	c.Account.Normalize()
	ev := e.evaluate(c)
	return &SignalResult{ID: c.Account.ID, Date: s.Date, Kind: s.Kind, Note: s.Note, Combined: ev.Health.Combined,
		Priority: ev.Priority, name: c.Account.Name, action: ev.Action.Text}, nil
}

// Message confirms the note or signal.
func (r *SignalResult) Message() *Message {
	what := "Note saved"
	if r.Kind != domain.SignalNote {
		what = fmt.Sprintf("Signal %q recorded", r.Kind)
	}
	m := &Message{Title: fmt.Sprintf("%s — %s", r.name, strings.ToLower(what[:1])+what[1:])}
	m.Blocks = append(m.Blocks, Section{Text: fmt.Sprintf("%s on %s for %s.", what, r.Date, r.name)})
	if r.Note != "" {
		m.Blocks = append(m.Blocks, Context{Text: r.Note})
	}
	m.Blocks = append(m.Blocks, Section{Text: fmt.Sprintf("Health now %d (%s); next action: %s", r.Combined, r.Priority.Label(), r.action)})
	return m
}

// SnoozeResult is `account <name> snooze`.
type SnoozeResult struct {
	ID    string      `json:"id"`
	User  string      `json:"user"`
	Until domain.Date `json:"until"`
	Days  int         `json:"days"`

	name string
}

func (e *Engine) snooze(ctx context.Context, c *Call) (Result, error) {
	days := int(c.Args.Int("days"))
	who := c.Req.User.Email
	if who == "" {
		return nil, domain.Errorf(domain.EINVALID, "Snoozes are per person, and I don't know who you are here (use --as EMAIL or `as EMAIL` in the console).")
	}
	until := c.Today.AddDays(days)
	if err := e.Store.SetSnooze(ctx, who, c.Account.ID, until); err != nil {
		return nil, fmt.Errorf("snoozing %s: %w", c.Account.ID, err)
	}
	return &SnoozeResult{ID: c.Account.ID, User: who, Until: until, Days: days, name: c.Account.Name}, nil
}

// Message confirms the snooze.
func (r *SnoozeResult) Message() *Message {
	m := &Message{Title: r.name + " — snoozed"}
	m.Blocks = append(m.Blocks, Section{Text: fmt.Sprintf("No nudges about %s for you until %s (%d days).", r.name, r.Until, r.Days)})
	return m
}

// OutcomeResult is a logged outcome.
type OutcomeResult struct {
	ID     string        `json:"id"`
	Result domain.Result `json:"result"`
	Motion domain.Motion `json:"motion"`
	ARR    json.Number   `json:"arr"`
	Date   domain.Date   `json:"date"`
	Note   string        `json:"note"`
	// ARROffer is the ARR change a won expansion offers to record (with a
	// confirmation button), so NRR reflects it; null otherwise.
	ARROffer *ARROffer `json:"arr_offer" jsonschema:"nullable"`

	name     string
	arrMinor int64
	arrText  string
}

func (e *Engine) outcome(ctx context.Context, c *Call) (Result, error) {
	res, _ := domain.ParseResult(c.Args.Text("result"))
	o := domain.Outcome{AccountID: c.Account.ID, Date: c.Today, Result: res, Currency: c.Account.Currency, By: c.Req.User.Email,
		Motion: domain.Motion(c.Args.Text("motion")), ARR: c.Args.Int("arr"), Note: c.Args.Text("note")}
	o.TalkTrack = string(o.Motion)
	if len(o.Note) > 2000 {
		return nil, domain.Errorf(domain.EINVALID, "Notes are limited to 2,000 characters.")
	}
	if err := e.addOutcome(ctx, c, o); err != nil {
		if errors.Is(err, errReplayed) {
			return nil, err
		}
		return nil, fmt.Errorf("saving outcome: %w", err)
	}
	return &OutcomeResult{ID: c.Account.ID, Result: res, Motion: o.Motion, ARR: major(o.ARR, o.Currency), Date: o.Date, Note: o.Note,
		ARROffer: arrOffer(c.Account, o), name: c.Account.Name, arrMinor: o.ARR, arrText: c.Account.Money(o.ARR).Format()}, nil
}

// Message confirms the outcome.
func (r *OutcomeResult) Message() *Message {
	m := &Message{Title: r.name + " — outcome logged"}
	text := fmt.Sprintf("%s logged for %s", title(string(r.Result)), r.name)
	if r.Motion != "" {
		text += " (" + r.Motion.Label() + ")"
	}
	if r.arrMinor > 0 {
		text += ", " + r.arrText + " ARR"
	}
	m.Blocks = append(m.Blocks, Section{Text: text + "."})
	if off := r.ARROffer; off != nil {
		m.Blocks = append(m.Blocks, Section{Text: off.text}, Actions{Buttons: []Button{off.button}},
			Context{Text: "Or type: " + off.Command})
	}
	return m
}
