package bot

import (
	"context"
	"time"
)

// DashboardResult is a CSM's home screen: today's top accounts with their
// actions, renewals in the next six months with readiness, and the tier
// mix. It is built from the portfolio verbs, so it always agrees with them.
type DashboardResult struct {
	User     string          `json:"user"`
	Top      *TopResult      `json:"top"`
	Renewals *RenewalsResult `json:"renewals"`
	Tiers    *TiersResult    `json:"tiers"`
}

// Dashboard answers the home screen for a person (Slack's App Home).
func (e *Engine) Dashboard(ctx context.Context, u User, now time.Time) *Message {
	return e.Handle(ctx, Request{Text: "portfolio dashboard", Now: now, User: u}) // authorized and audited like the command
}

func (e *Engine) dashboard(ctx context.Context, c *Call) (Result, error) {
	if c.Args == nil {
		c.Args = Args{} // App Home: the asker's own accounts
	}
	d := &DashboardResult{User: c.Req.User.Email}
	top, err := e.top(ctx, c)
	if err != nil {
		return nil, err
	}
	ren, err := e.renewals(ctx, c)
	if err != nil {
		return nil, err
	}
	tiers, err := e.tiers(ctx, c)
	if err != nil {
		return nil, err
	}
	d.Top, d.Renewals, d.Tiers = top.(*TopResult), ren.(*RenewalsResult), tiers.(*TiersResult)
	return d, nil
}

// Message draws the three parts one after the other.
func (d *DashboardResult) Message() *Message {
	who := d.User
	if who == "" {
		who = "your team"
	}
	m := &Message{Title: "AccountBot — " + who}
	for i, part := range []Result{d.Top, d.Renewals, d.Tiers} {
		r := part.Message()
		if i > 0 {
			m.Blocks = append(m.Blocks, Divider{})
		}
		m.Blocks = append(m.Blocks, Section{Text: r.Title})
		m.Blocks = append(m.Blocks, r.Blocks...)
	}
	return m
}
