package bot

import (
	"context"
	"time"
)

// Dashboard is a CSM's home screen: today's top accounts with their
// actions, renewals in the next six months with readiness, and the tier
// mix. It is built from the portfolio commands, so it always agrees with
// them.
func (e *Engine) Dashboard(ctx context.Context, u User, now time.Time) *Message {
	who := u.Email
	if who == "" {
		who = "your team"
	}
	m := &Message{Title: "AccountBot — " + who}
	data := map[string]any{}
	for i, part := range []struct{ key, cmd string }{{"top", "portfolio top"}, {"renewals", "portfolio renewals"}, {"tiers", "portfolio tiers"}} {
		r := e.Handle(ctx, Request{Text: part.cmd, Now: now, User: u})
		if i > 0 {
			m.Blocks = append(m.Blocks, Divider{})
		}
		m.Blocks = append(m.Blocks, Section{Text: r.Title})
		m.Blocks = append(m.Blocks, r.Blocks...)
		data[part.key] = r.Data
	}
	m.Data = data
	return m
}
