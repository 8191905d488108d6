package bot

import (
	"context"
	"fmt"
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
	// WriteID identifies the press or submission (a double click or a
	// redelivery carries the same id, and writes once).
	WriteID string
}

// ActionResult is what a platform does after an action: show a message,
// or open a form.
type ActionResult struct {
	Message *Message
	Form    *Form
}

// HandleAction answers a button or form. Each one is a typed call of a
// verb on the account the button carries: nothing is turned back into
// command text, so a form's note keeps its quotes, '=' and newlines.
func (e *Engine) HandleAction(ctx context.Context, a Action) ActionResult {
	req := Request{Text: "action " + a.ID + " " + a.Value, Now: a.Now, User: a.User, WriteID: a.WriteID}
	kind := domain.AuditButton
	if a.Form != nil {
		kind = domain.AuditForm
	}
	call := func(verb string, args map[string]string) ActionResult {
		c := e.newCall(req)
		r, err := e.callAccountVerb(ctx, c, a.Value, verb, args)
		r, err = replayed(r, err)
		e.audit(ctx, kind, c, req.Text, r, err)
		return ActionResult{Message: e.answer(req, r, err)}
	}
	switch a.ID {
	case ActionOpenAccount:
		return call("", nil)
	case ActionDraftTalk:
		return call("expand", map[string]string{"draft": "draft"})
	case ActionDraftQBR:
		return call("qbr", nil)
	case ActionDraftRenewal:
		return call("renewal", map[string]string{"draft": "draft"})
	case ActionSnooze:
		return call("snooze", map[string]string{"days": "7"})
	case ActionLogOutcome:
		v, _ := e.reg.Lookup("account", "outcome")
		return ActionResult{Form: v.form("Log outcome", ActionOutcomeSubmit, a.Value,
			"Record how the conversation went; `portfolio outcomes` shows win rates by motion.")}
	case ActionOutcomeSubmit:
		return call("outcome", a.Form)
	case ActionRecordARR:
		c := e.newCall(req)
		r, err := e.recordARRAction(ctx, c, a.Value)
		r, err = replayed(r, err)
		e.audit(ctx, kind, c, req.Text, r, err)
		return ActionResult{Message: e.answer(req, r, err)}
	}
	return ActionResult{Message: userError("That button is no longer supported.")}
}

// callAccountVerb runs an account verb on the account with this id, its
// arguments read by name from a button or form.
func (e *Engine) callAccountVerb(ctx context.Context, c *Call, id, verb string, values map[string]string) (Result, error) {
	v, ok := e.reg.Lookup("account", verb)
	if !ok {
		return nil, fmt.Errorf("button calls unknown verb %q", verb)
	}
	var err error
	if c.Who, err = e.principal(ctx, c.Req.User); err != nil {
		return nil, err
	}
	c.Verb = v
	a, err := e.Store.Account(ctx, id)
	readable := err == nil
	if err == nil && !c.Who.Operator {
		if readable, err = e.mayRead(ctx, &c.Who, a); err != nil {
			return nil, err
		}
	}
	if domain.ErrorCode(err) == domain.ENOTFOUND || (err == nil && !readable) {
		// A button's value comes from the client: an account the asker may
		// not read is answered as if it did not exist (someone with no
		// role at all is told so first).
		if d := domain.Authorize(c.Who, domain.Requirement{Scope: domain.ScopeSelf}, domain.Target{}, e.Rules().Access); !d.Allowed {
			return nil, refused(d)
		}
		return nil, domain.Errorf(domain.ENOTFOUND, "That account is no longer available.")
	}
	if err != nil {
		return nil, fmt.Errorf("opening %q for a button: %w", id, err)
	}
	c.Account = a
	if c.Args, err = v.BindValues(values, c.currency()); err != nil {
		return nil, err
	}
	if err := e.authorize(ctx, c); err != nil {
		return nil, err
	}
	return v.Run(ctx, c)
}

// form draws a verb's arguments as a form: enums become selects, numbers
// number inputs, the rest text inputs.
func (v *Verb) form(heading, submitID, value, intro string) *Form {
	f := &Form{Title: heading, SubmitID: submitID, Value: value, Intro: intro}
	for _, g := range v.Args {
		fld := FormField{ID: g.Name, Label: g.Label, Kind: "text", Optional: !g.Required, Initial: g.Initial}
		if fld.Label == "" {
			fld.Label = title(g.Name)
		}
		switch g.Kind {
		case KindEnum:
			fld.Kind, fld.Optional = "select", false
			if !g.Required {
				fld.Options = append(fld.Options, Option{Value: "-", Label: g.NoneLabel})
				fld.Initial = "-"
			}
			for i, x := range g.Enum {
				label := title(x)
				if i < len(g.Labels) {
					label = g.Labels[i]
				}
				fld.Options = append(fld.Options, Option{Value: x, Label: label})
			}
		case KindInt, KindMoney, KindHours:
			fld.Kind = "number"
		}
		f.Fields = append(f.Fields, fld)
	}
	return f
}
