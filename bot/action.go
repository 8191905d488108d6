package bot

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/accountbot/accountbot/domain"
)

// Action is a button press or a form submission from any platform.
type Action struct {
	ID    string // one of the Action* constants
	Value string // the button's value (an account id)
	User  User
	Now   time.Time
	Form  map[string]string // submitted form fields
}

// ActionResult is what a platform does after an action: show a message,
// or open a form.
type ActionResult struct {
	Message *Message
	Form    *Form
}

// HandleAction answers a button or form. Buttons that show something run
// the equivalent command, so every platform gets the same answer.
func (e *Engine) HandleAction(ctx context.Context, a Action) ActionResult {
	run := func(text string) ActionResult {
		return ActionResult{Message: e.Handle(ctx, Request{Text: text, Now: a.Now, User: a.User})}
	}
	id := quoteArg(a.Value)
	switch a.ID {
	case ActionOpenAccount:
		return run("account " + id)
	case ActionDraftTalk:
		return run("account " + id + " expand draft")
	case ActionDraftQBR:
		return run("account " + id + " qbr")
	case ActionDraftRenewal:
		return run("account " + id + " renewal draft")
	case ActionSnooze:
		return run("account " + id + " snooze 7")
	case ActionLogOutcome:
		return ActionResult{Form: outcomeForm(a.Value)}
	case ActionOutcomeSubmit:
		f := a.Form
		text := fmt.Sprintf("account %s outcome %s %s %s", id, f["result"], f["motion"], f["arr"])
		if n := strings.TrimSpace(f["note"]); n != "" {
			text += " " + n
		}
		return run(text)
	}
	return ActionResult{Message: userError("That button is no longer supported.")}
}

// quoteArg quotes an id for the parser (ids never contain quotes).
func quoteArg(s string) string { return `"` + strings.ReplaceAll(s, `"`, "") + `"` }

func outcomeForm(accountID string) *Form {
	motions := []Option{{Value: "-", Label: "Not an expansion"}}
	for _, m := range domain.Motions {
		motions = append(motions, Option{Value: string(m), Label: m.Label()})
	}
	return &Form{Title: "Log outcome", SubmitID: ActionOutcomeSubmit, Value: accountID,
		Intro: "Record how the conversation went; `portfolio outcomes` shows win rates by motion.",
		Fields: []FormField{
			{ID: "result", Label: "Result", Kind: "select", Options: []Option{{"won", "Won"}, {"lost", "Lost"}, {"pending", "Pending"}}, Initial: "won"},
			{ID: "motion", Label: "Motion", Kind: "select", Options: motions, Initial: "-"},
			{ID: "arr", Label: "ARR won or at stake", Kind: "number", Optional: true},
			{ID: "note", Label: "Note", Kind: "text", Optional: true},
		}}
}

func (e *Engine) snooze(ctx context.Context, c *Call) (*Message, error) {
	days := 7
	if len(c.Parsed.Args) > 0 {
		if _, err := fmt.Sscanf(c.Parsed.Args[0], "%d", &days); err != nil || days < 1 || days > 365 {
			return nil, domain.Errorf(domain.EINVALID, "Snooze for how many days? Give a whole number from 1 to 365.")
		}
	}
	who := c.Req.User.Email
	if who == "" {
		return nil, domain.Errorf(domain.EINVALID, "Snoozes are per person, and I don't know who you are here (use --as EMAIL or `as EMAIL` in the console).")
	}
	until := c.Today.AddDays(days)
	if err := e.Store.SetSnooze(ctx, who, c.Account.ID, until); err != nil {
		return nil, fmt.Errorf("snoozing %s: %w", c.Account.ID, err)
	}
	m := &Message{Title: c.Account.Name + " — snoozed"}
	m.Blocks = append(m.Blocks, Section{Text: fmt.Sprintf("No nudges about %s for you until %s (%d days).", c.Account.Name, until, days)})
	m.Data = map[string]any{"id": c.Account.ID, "user": who, "until": until}
	return m, nil
}

func (e *Engine) outcome(ctx context.Context, c *Call) (*Message, error) {
	args := c.Parsed.Args
	if len(args) == 0 {
		return nil, domain.Errorf(domain.EINVALID, "Usage: account %s outcome <won|lost|pending> [motion] [arr] [note]", c.Account.ID)
	}
	res, ok := domain.ParseResult(args[0])
	if !ok {
		return nil, domain.Errorf(domain.EINVALID, "%q is not an outcome; use won, lost or pending.", args[0])
	}
	o := domain.Outcome{AccountID: c.Account.ID, Date: c.Today, Result: res, Currency: c.Account.Currency, By: c.Req.User.Email}
	rest := args[1:]
	if len(rest) > 0 {
		m := domain.Motion(strings.ToLower(strings.ReplaceAll(rest[0], "-", "_")))
		if domain.KnownMotion(m) {
			o.Motion, rest = m, rest[1:]
			o.TalkTrack = string(m)
		} else if rest[0] == "-" {
			rest = rest[1:]
		}
	}
	if len(rest) > 0 {
		if v, err := domain.ParseMajor(strings.TrimLeft(rest[0], "$£€"), c.Account.Currency); err == nil {
			if v < 0 {
				return nil, domain.Errorf(domain.EINVALID, "The ARR must not be negative.")
			}
			o.ARR, rest = v, rest[1:]
		}
	}
	o.Note = strings.Join(rest, " ")
	if err := e.Store.AddOutcome(ctx, o); err != nil {
		return nil, fmt.Errorf("saving outcome: %w", err)
	}
	m := &Message{Title: c.Account.Name + " — outcome logged"}
	text := fmt.Sprintf("%s logged for %s", strings.ToUpper(string(res[:1]))+string(res[1:]), c.Account.Name)
	if o.Motion != "" {
		text += " (" + o.Motion.Label() + ")"
	}
	if o.ARR > 0 {
		text += ", " + c.Account.Money(o.ARR).Format() + " ARR"
	}
	m.Blocks = append(m.Blocks, Section{Text: text + "."})
	m.Data = map[string]any{"id": c.Account.ID, "result": res, "motion": o.Motion, "arr": major(o.ARR, o.Currency), "date": o.Date, "note": o.Note}
	return m, nil
}

func (e *Engine) outcomes(ctx context.Context, c *Call) (*Message, error) {
	months := 12
	from := c.Today.AddMonths(-months)
	all, err := e.Store.Outcomes(ctx, from, c.Today)
	if err != nil {
		return nil, fmt.Errorf("reading outcomes: %w", err)
	}
	type agg struct {
		won, lost, pending int
		arr                totals
	}
	by := map[string]*agg{}
	var order []string
	for _, o := range all {
		k := string(o.Motion)
		if k == "" {
			k = "other"
		}
		a := by[k]
		if a == nil {
			a = &agg{arr: totals{}}
			by[k] = a
			order = append(order, k)
		}
		switch o.Result {
		case domain.Won:
			a.won++
			a.arr.add(domain.Money{Minor: o.ARR, Currency: o.Currency})
		case domain.Lost:
			a.lost++
		default:
			a.pending++
		}
	}
	m := &Message{Title: fmt.Sprintf("Outcomes, last %d months", months)}
	l := List{}
	var data []map[string]any
	for _, k := range order {
		a := by[k]
		rate := 0.0
		if a.won+a.lost > 0 {
			rate = float64(a.won) / float64(a.won+a.lost) * 100
		}
		label := domain.Motion(k).Label()
		if k == "other" {
			label = "Other"
		}
		l.Items = append(l.Items, Item{Text: fmt.Sprintf("%s: %.0f%% win rate (%d won, %d lost, %d pending) · %s ARR won", label, rate, a.won, a.lost, a.pending, a.arr.String())})
		data = append(data, map[string]any{"motion": k, "won": a.won, "lost": a.lost, "pending": a.pending, "win_rate_pct": rate, "arr_won": a.arr.data()})
	}
	if len(all) == 0 {
		m.Blocks = append(m.Blocks, Section{Text: "No outcomes logged yet. Use the \"Log outcome\" button or `account <name> outcome won seats 12000`."})
	} else {
		m.Blocks = append(m.Blocks, l)
	}
	if data == nil {
		data = []map[string]any{}
	}
	m.Data = map[string]any{"from": from, "to": c.Today, "by_motion": data, "outcomes": len(all)}
	return m, nil
}
