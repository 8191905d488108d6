package bot

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/accountbot/accountbot/domain"
)

// RenewalResult is `account <name> renewal`.
type RenewalResult struct {
	AccountRef
	RenewalDate   domain.Date        `json:"renewal_date"`
	DaysToRenewal int                `json:"days_to_renewal"`
	Stage         domain.Stage       `json:"stage"`
	StageTitle    string             `json:"stage_title"`
	Readiness     domain.Readiness   `json:"readiness"`
	Indicators    []domain.Indicator `json:"indicators"`
	Milestones    []domain.Milestone `json:"milestones"`
	DueMilestones []domain.Milestone `json:"due_milestones"`
	InWindow      bool               `json:"in_readiness_window"`

	a  *domain.Account
	ev domain.Evaluation
}

func (e *Engine) renewal(ctx context.Context, c *Call) (Result, error) {
	if c.Args.Flag("draft") {
		return e.draft(ctx, c, "renewal", "")
	}
	a, ev := c.Account, e.evaluate(c)
	r := ev.Renewal
	return &RenewalResult{AccountRef: ref(a), RenewalDate: r.RenewalDate, DaysToRenewal: r.DaysToRenewal, Stage: r.Stage,
		StageTitle: r.StageTitle, Readiness: r.Readiness, Indicators: nonNil(r.Indicators), Milestones: nonNil(r.Milestones),
		DueMilestones: nonNil(r.Due), InWindow: r.InWindow, a: a, ev: ev}, nil
}

// nonNil makes an empty list JSON [] rather than null.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// Message draws the renewal status.
func (res *RenewalResult) Message() *Message {
	a, ev, r := res.a, &res.ev, res.ev.Renewal
	m := &Message{Title: header(a, ev.Tier.Tier, "renewal")}
	m.Blocks = append(m.Blocks, Section{Fields: []Field{
		{Label: "Renewal", Value: renewalLine(r)},
		{Label: "Stage", Value: title(string(r.Stage)) + ": " + r.StageTitle},
		{Label: "Readiness", Value: strings.ToUpper(string(r.Readiness)), Tone: readinessTone(r.Readiness)},
		{Label: "ARR at stake", Value: ev.ARR.Format()},
	}})
	ind := List{Title: "Readiness indicators"}
	for _, i := range r.Indicators {
		ind.Items = append(ind.Items, Item{Text: fmt.Sprintf("%s: %s", i.Name, i.Status), Detail: i.Evidence, Tone: readinessTone(i.Status)})
	}
	m.Blocks = append(m.Blocks, ind)
	ms := List{Title: "Milestones"}
	for _, x := range r.Milestones {
		mark := "upcoming"
		if x.Reached {
			mark = "reached"
		}
		ms.Items = append(ms.Items, Item{Text: fmt.Sprintf("%d days before (%s): %s — %s", x.Days, x.DueOn, x.Title, mark)})
	}
	if len(ms.Items) > 0 {
		m.Blocks = append(m.Blocks, ms)
	}
	if len(r.Due) > 0 {
		m.Blocks = append(m.Blocks, List{Title: "Checklist now (" + r.Due[0].Title + ")", Items: plainItems(r.Due[0].Checklist)})
	} else if r.Stage == domain.StageGauge || r.Stage == domain.StageShowcase || r.Stage == domain.StageFinalize {
		m.Blocks = append(m.Blocks, List{Title: "Checklist for this stage", Items: plainItems(domain.StageChecklist(r.Stage))})
	}
	m.Blocks = append(m.Blocks, accountButtons(a.ID))
	return m
}

func plainItems(ss []string) []Item {
	out := make([]Item, len(ss))
	for i, s := range ss {
		out[i] = Item{Text: s}
	}
	return out
}

// OpportunityData is one expansion trigger, money in major units.
type OpportunityData struct {
	Motion    domain.Motion `json:"motion"`
	Trigger   string        `json:"trigger"`
	Title     string        `json:"title"`
	Evidence  string        `json:"evidence"`
	Uplift    json.Number   `json:"uplift"`
	UpliftMax json.Number   `json:"uplift_max,omitempty"`
	LimitDate domain.Date   `json:"limit_date,omitempty"`
	Hold      bool          `json:"hold"`
	TalkTrack string        `json:"talk_track"`
}

func oppItem(a *domain.Account, o domain.Opportunity) Item {
	up := ""
	switch {
	case o.UpliftMax > 0:
		up = fmt.Sprintf(" · est. +%s–%s ARR", a.Money(o.Uplift).Format(), a.Money(o.UpliftMax).Format())
	case o.Uplift > 0:
		up = fmt.Sprintf(" · est. +%s ARR", a.Money(o.Uplift).Format())
	}
	text := o.Title + up
	tone := ToneGood
	if o.Hold {
		text += " (on hold: drive adoption first)"
		tone = ToneWarn
	}
	if o.Motion == domain.MotionAdoptionFirst {
		tone = ToneWarn
	}
	return Item{Text: text, Detail: o.Evidence, Tone: tone}
}

func oppData(a *domain.Account, os []domain.Opportunity) []OpportunityData {
	out := make([]OpportunityData, 0, len(os))
	for _, o := range os {
		d := OpportunityData{Motion: o.Motion, Trigger: o.Trigger, Title: o.Title, Evidence: o.Evidence,
			Uplift: major(o.Uplift, a.Currency), Hold: o.Hold, TalkTrack: o.TalkTrack, LimitDate: o.LimitDate}
		if o.UpliftMax > 0 {
			d.UpliftMax = major(o.UpliftMax, a.Currency)
		}
		out = append(out, d)
	}
	return out
}

// ExpandResult is `account <name> expand`.
type ExpandResult struct {
	AccountRef
	Opportunities []OpportunityData `json:"opportunities"`

	a  *domain.Account
	ev domain.Evaluation
}

func (e *Engine) expand(ctx context.Context, c *Call) (Result, error) {
	if c.Args.Flag("draft") {
		return e.draft(ctx, c, "expand", c.Args.Text("motion"))
	}
	ev := e.evaluate(c)
	return &ExpandResult{AccountRef: ref(c.Account), Opportunities: oppData(c.Account, ev.Opportunities), a: c.Account, ev: ev}, nil
}

// Message draws the expansion triggers.
func (r *ExpandResult) Message() *Message {
	a, ev := r.a, &r.ev
	m := &Message{Title: header(a, ev.Tier.Tier, "expansion")}
	if len(ev.Opportunities) == 0 {
		m.Blocks = append(m.Blocks, Section{Text: "No expansion trigger fired today. Keep adoption growing and watch for limits, hiring and new goals."})
	} else {
		l := List{}
		var total int64
		for _, o := range ev.Opportunities {
			l.Items = append(l.Items, oppItem(a, o))
			if !o.Hold {
				total += o.Uplift
			}
		}
		m.Blocks = append(m.Blocks, l, Context{Text: fmt.Sprintf("Estimated uplift of the actionable triggers: %s ARR (low end). Uplifts are estimates from configurable percentages.", a.Money(total).Format())})
	}
	m.Blocks = append(m.Blocks, accountButtons(a.ID))
	return m
}
