package bot

import (
	"context"
	"fmt"
	"strings"

	"github.com/accountbot/accountbot/domain"
)

func (e *Engine) registerAccountVerbs() {
	e.reg.MustRegister(
		Verb{Noun: "account", Name: "", Help: "overview: tier, health, priority and next action, renewal, top opportunities", Run: e.overview},
		Verb{Noun: "account", Name: "health", Aliases: []string{"score"}, Help: "the three-dimensional health score and why each point was given", Run: e.health},
		Verb{Noun: "account", Name: "tier", Help: "the account's tier, why, and its engagement cadence", Run: e.tier},
		Verb{Noun: "account", Name: "renewal", Args: "[draft]", Help: "renewal stage, milestones and readiness (Green/Yellow/Red)", Run: e.renewal},
		Verb{Noun: "account", Name: "expand", Aliases: []string{"expansion", "opportunities"}, Args: "[draft [motion]]", Help: "expansion triggers that fired, with evidence and estimated uplift", Run: e.expand},
		Verb{Noun: "account", Name: "roi", Args: "[hours_per_week=N|hours_per_month=N] [rate=N] [cost_per_year=N|cost_per_month=N]", Help: "value, return and payback; missing inputs come from the account", Run: e.roi},
		Verb{Noun: "account", Name: "qbr", Help: "QBR / executive review talking points", Run: e.draftVerb("qbr")},
		Verb{Noun: "account", Name: "map", Help: "the account map: stakeholders by function and expansion paths", Run: e.accountMap},
		Verb{Noun: "account", Name: "objection", Args: "<kind>", Help: "a response to an objection (budget, competitor, vendor, …)", Run: e.draftVerb("objection")},
		Verb{Noun: "account", Name: "note", Args: "<text>", Help: "add a dated note to the account", Run: e.note},
		Verb{Noun: "account", Name: "signal", Args: "<kind> [note]", Help: "record a signal: competitor, champion_left, hiring, integration, goal, limit_request, feature_request", Run: e.signal},
		Verb{Noun: "account", Name: "trend", Aliases: []string{"history"}, Help: "the combined health score over the last 12 weeks", Run: e.trend},
		Verb{Noun: "account", Name: "snooze", Args: "[days]", Help: "no nudges about this account for you for 7 (or N) days", Run: e.snooze},
		Verb{Noun: "account", Name: "outcome", Args: "<won|lost|pending> [motion] [arr] [note]", Help: "log how a conversation ended", Run: e.outcome},
	)
}

func (e *Engine) evaluate(c *Call) domain.Evaluation {
	return domain.Evaluate(c.Account, c.Today, e.Config)
}

func header(a *domain.Account, ev *domain.Evaluation, what string) string {
	t := fmt.Sprintf("%s — Tier %d", a.Name, ev.Tier.Tier)
	if what != "" {
		t += " — " + what
	}
	return t
}

func (e *Engine) overview(ctx context.Context, c *Call) (*Message, error) {
	a := c.Account
	ev := e.evaluate(c)
	h := ev.Health
	m := &Message{Title: header(a, &ev, "")}
	m.Blocks = append(m.Blocks,
		Section{Fields: []Field{
			{Label: "ARR", Value: ev.ARR.Format()},
			{Label: "Owner", Value: orNone(a.Owner)},
			{Label: "Priority", Value: ev.Priority.Label(), Tone: priorityTone(ev.Priority)},
			{Label: "Health", Value: fmt.Sprintf("%d (E %d · R %d · Risk %d)", h.Combined, h.Engagement, h.RevenuePotential, h.RetentionRisk)},
			{Label: "Renewal", Value: renewalLine(ev.Renewal), Tone: readinessTone(ev.Renewal.Readiness)},
			{Label: "Plan", Value: orNone(a.Plan)},
		}},
		Section{Text: "Next action: " + ev.Action.Text},
	)
	if opps := ev.Opportunities; len(opps) > 0 {
		l := List{Title: "Expansion triggers"}
		for i, o := range opps {
			if i == 3 {
				l.More = len(opps) - 3
				break
			}
			l.Items = append(l.Items, oppItem(a, o))
		}
		m.Blocks = append(m.Blocks, l)
	}
	m.Blocks = append(m.Blocks, accountButtons(a.ID), Context{Text: ev.PriorityReason})
	m.Data = map[string]any{"id": a.ID, "name": a.Name, "owner": a.Owner, "arr": major(a.ARR, a.Currency), "currency": a.Currency,
		"tier": ev.Tier.Tier, "priority": ev.Priority, "action": ev.Action.Text, "combined": h.Combined,
		"days_to_renewal": ev.Renewal.DaysToRenewal, "stage": ev.Renewal.Stage, "readiness": ev.Renewal.Readiness,
		"opportunities": oppData(a, ev.Opportunities)}
	return m, nil
}

func renewalLine(r domain.RenewalStatus) string {
	if r.RenewalDate.IsZero() {
		return "no renewal date"
	}
	if r.DaysToRenewal < 0 {
		return fmt.Sprintf("%s (%d days ago) · overdue", r.RenewalDate, -r.DaysToRenewal)
	}
	return fmt.Sprintf("%s (in %d days) · %s", r.RenewalDate, r.DaysToRenewal, r.Readiness)
}

func orNone(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

func (e *Engine) health(ctx context.Context, c *Call) (*Message, error) {
	a := c.Account
	ev := e.evaluate(c)
	h := ev.Health
	m := &Message{Title: header(a, &ev, "health")}
	m.Blocks = append(m.Blocks,
		Section{Fields: []Field{
			{Label: "Engagement", Value: fmt.Sprintf("%d / 25 (%s)", h.Engagement, h.EngagementBand), Tone: bandTone(h.EngagementBand, false)},
			{Label: "Revenue potential", Value: fmt.Sprintf("%d / 30 (%s)", h.RevenuePotential, h.PotentialBand), Tone: bandTone(h.PotentialBand, false)},
			{Label: "Retention risk", Value: fmt.Sprintf("%d / -40 (%s risk)", h.RetentionRisk, h.RiskBand), Tone: bandTone(h.RiskBand, true)},
			{Label: "Combined", Value: fmt.Sprint(h.Combined)},
			{Label: "Priority", Value: ev.Priority.Label(), Tone: priorityTone(ev.Priority)},
			{Label: "Tier", Value: fmt.Sprintf("Tier %d", ev.Tier.Tier)},
		}},
		List{Title: "Why", Items: reasonItems(h)},
		Section{Text: "Next action: " + ev.Action.Text},
	)
	if t := e.trendBlock(ctx, a, c.Today); t != nil {
		m.Blocks = append(m.Blocks, *t)
	}
	m.Blocks = append(m.Blocks, Context{Text: fmt.Sprintf("Renewal: %s · stage: %s", renewalLine(ev.Renewal), ev.Renewal.StageTitle)})
	if len(ev.Opportunities) > 0 {
		var names []string
		for _, o := range ev.Opportunities {
			names = append(names, o.Title)
		}
		m.Blocks = append(m.Blocks, Context{Text: "Triggers: " + strings.Join(names, ", ")})
	}
	m.Blocks = append(m.Blocks, accountButtons(a.ID))
	m.Data = map[string]any{"id": a.ID, "name": a.Name, "tier": ev.Tier.Tier,
		"engagement": h.Engagement, "revenue_potential": h.RevenuePotential, "retention_risk": h.RetentionRisk, "combined": h.Combined,
		"engagement_band": h.EngagementBand, "revenue_potential_band": h.PotentialBand, "retention_risk_band": h.RiskBand,
		"priority": ev.Priority, "priority_reason": ev.PriorityReason, "action": ev.Action, "reasons": reasonData(h),
		"stage": ev.Renewal.Stage, "triggers": oppData(a, ev.Opportunities), "as_of": c.Today}
	return m, nil
}

func (e *Engine) tier(ctx context.Context, c *Call) (*Message, error) {
	a := c.Account
	ev := e.evaluate(c)
	t := ev.Tier
	cadence := "automated engagement"
	if t.CadenceDays > 0 {
		cadence = fmt.Sprintf("a check-in every %d days", t.CadenceDays)
	}
	m := &Message{Title: header(a, &ev, "tier")}
	m.Blocks = append(m.Blocks,
		Section{Text: t.Reason + "."},
		Section{Fields: []Field{
			{Label: "Tier", Value: fmt.Sprintf("Tier %d", t.Tier)},
			{Label: "Tier by ARR alone", Value: fmt.Sprintf("Tier %d", t.ByARR)},
			{Label: "Cadence", Value: cadence},
			{Label: "Renewal playbook starts", Value: fmt.Sprintf("%d days before renewal", t.RenewalLeadDays)},
		}},
		Context{Text: t.Engagement},
	)
	if hist, err := e.Store.ScoreHistory(ctx, a.ID, c.Today.AddDays(-91), c.Today.AddDays(-1)); err == nil && len(hist) > 0 && hist[len(hist)-1].Tier != t.Tier {
		prev := hist[len(hist)-1]
		m.Blocks = append(m.Blocks, Context{Text: fmt.Sprintf("Changed from Tier %d (as of %s).", prev.Tier, prev.Date)})
	}
	m.Data = map[string]any{"id": a.ID, "name": a.Name, "tier": t.Tier, "tier_by_arr": t.ByARR, "reason": t.Reason,
		"cadence_days": t.CadenceDays, "renewal_lead_days": t.RenewalLeadDays, "engagement": t.Engagement}
	return m, nil
}

func (e *Engine) renewal(ctx context.Context, c *Call) (*Message, error) {
	if len(c.Parsed.Args) > 0 && strings.EqualFold(c.Parsed.Args[0], "draft") {
		return e.draftVerb("renewal")(ctx, c)
	}
	a := c.Account
	ev := e.evaluate(c)
	r := ev.Renewal
	m := &Message{Title: header(a, &ev, "renewal")}
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
	due := make([]map[string]any, 0, len(r.Due))
	for _, d := range r.Due {
		due = append(due, map[string]any{"days": d.Days, "stage": d.Stage, "title": d.Title, "due_on": d.DueOn, "checklist": d.Checklist})
	}
	m.Data = map[string]any{"id": a.ID, "name": a.Name, "renewal_date": r.RenewalDate, "days_to_renewal": r.DaysToRenewal,
		"stage": r.Stage, "stage_title": r.StageTitle, "readiness": r.Readiness, "indicators": r.Indicators,
		"milestones": r.Milestones, "due_milestones": due, "in_readiness_window": r.InWindow}
	return m, nil
}

func plainItems(ss []string) []Item {
	out := make([]Item, len(ss))
	for i, s := range ss {
		out[i] = Item{Text: s}
	}
	return out
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

func oppData(a *domain.Account, os []domain.Opportunity) []map[string]any {
	out := make([]map[string]any, 0, len(os))
	for _, o := range os {
		d := map[string]any{"motion": o.Motion, "trigger": o.Trigger, "title": o.Title, "evidence": o.Evidence,
			"uplift": major(o.Uplift, a.Currency), "hold": o.Hold, "talk_track": o.TalkTrack}
		if o.UpliftMax > 0 {
			d["uplift_max"] = major(o.UpliftMax, a.Currency)
		}
		if !o.LimitDate.IsZero() {
			d["limit_date"] = o.LimitDate
		}
		out = append(out, d)
	}
	return out
}

func (e *Engine) expand(ctx context.Context, c *Call) (*Message, error) {
	if len(c.Parsed.Args) > 0 && strings.EqualFold(c.Parsed.Args[0], "draft") {
		c.Parsed.Args = c.Parsed.Args[1:]
		return e.draftVerb("expand")(ctx, c)
	}
	a := c.Account
	ev := e.evaluate(c)
	m := &Message{Title: header(a, &ev, "expansion")}
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
	m.Data = map[string]any{"id": a.ID, "name": a.Name, "opportunities": oppData(a, ev.Opportunities)}
	return m, nil
}

func (e *Engine) accountMap(ctx context.Context, c *Call) (*Message, error) {
	a := c.Account
	ev := e.evaluate(c)
	m := &Message{Title: header(a, &ev, "account map")}
	byFn := map[domain.Function][]domain.Stakeholder{}
	for _, s := range a.Stakeholders {
		f := s.Function
		if f == "" {
			f = domain.FunctionOther
		}
		byFn[f] = append(byFn[f], s)
	}
	var data []map[string]any
	for _, f := range domain.Functions {
		people := byFn[f]
		path := expansionPaths[f]
		if len(people) == 0 && path == "" {
			continue
		}
		l := List{Title: title(string(f))}
		var names []map[string]any
		for _, s := range people {
			var tags []string
			if s.Executive {
				tags = append(tags, "executive")
			}
			if s.Champion {
				tags = append(tags, "champion")
			}
			if !s.Active(c.Today) {
				tags = append(tags, "left "+s.Left.String())
			}
			detail := "never contacted"
			if !s.LastContact.IsZero() {
				detail = fmt.Sprintf("last contact %s (%d days ago)", s.LastContact, s.LastContact.DaysUntil(c.Today))
			}
			text := s.Name
			if s.Role != "" {
				text += ", " + s.Role
			}
			if len(tags) > 0 {
				text += " [" + strings.Join(tags, ", ") + "]"
			}
			l.Items = append(l.Items, Item{Text: text, Detail: detail})
			names = append(names, map[string]any{"name": s.Name, "role": s.Role, "executive": s.Executive, "champion": s.Champion,
				"last_contact": s.LastContact, "left": s.Left})
		}
		if len(people) == 0 {
			l.Items = append(l.Items, Item{Text: "No contact yet: a gap in the map", Tone: ToneWarn})
		}
		if path != "" {
			l.Items = append(l.Items, Item{Text: "Expansion path: " + path})
		}
		m.Blocks = append(m.Blocks, l)
		data = append(data, map[string]any{"function": f, "stakeholders": names, "expansion_path": path})
	}
	if len(a.Stakeholders) == 0 {
		m.Blocks = append([]Block{Section{Text: "No stakeholders recorded. Map who uses the product and who decides the budget (import a stakeholders file)."}}, m.Blocks...)
	}
	m.Data = map[string]any{"id": a.ID, "name": a.Name, "functions": data}
	return m, nil
}

// expansionPaths are the seed's expansion paths per function.
var expansionPaths = map[domain.Function]string{
	domain.FunctionFinance:    "reporting features, analytics (budget and ROI-focused)",
	domain.FunctionOperations: "workflow automation, integrations (process efficiency)",
	domain.FunctionSales:      "forecasting, pipeline visibility",
	domain.FunctionTech:       "API, security features (implementation, uptime)",
}

func (e *Engine) note(ctx context.Context, c *Call) (*Message, error) {
	text := strings.TrimSpace(strings.Trim(c.Parsed.Rest, "\"“”"))
	if text == "" {
		return nil, domain.Errorf(domain.EINVALID, "What should the note say? Try `account %s note Met the new VP of Ops`.", c.Account.ID)
	}
	return e.addSignal(ctx, c, domain.Signal{Date: c.Today, Kind: domain.SignalNote, Note: text})
}

func (e *Engine) signal(ctx context.Context, c *Call) (*Message, error) {
	if len(c.Parsed.Args) == 0 {
		return nil, domain.Errorf(domain.EINVALID, "Which signal? %s", signalKindsHelp())
	}
	kind := domain.SignalKind(strings.ToLower(strings.ReplaceAll(c.Parsed.Args[0], "-", "_")))
	if !domain.KnownSignal(kind) {
		return nil, domain.Errorf(domain.EINVALID, "%q is not a signal kind. %s", c.Parsed.Args[0], signalKindsHelp())
	}
	note := ""
	if toks, err := tokenize(c.Parsed.Rest); err == nil && len(toks) > 1 {
		note = strings.TrimSpace(strings.Trim(c.Parsed.Rest[toks[1].start:], "\"“”"))
	}
	return e.addSignal(ctx, c, domain.Signal{Date: c.Today, Kind: kind, Note: note})
}

func signalKindsHelp() string {
	var ks []string
	for _, k := range domain.SignalKinds {
		ks = append(ks, string(k.Kind))
	}
	return "Kinds: " + strings.Join(ks, ", ") + "."
}

func (e *Engine) addSignal(ctx context.Context, c *Call, s domain.Signal) (*Message, error) {
	if len(s.Note) > 2000 {
		return nil, domain.Errorf(domain.EINVALID, "Notes are limited to 2,000 characters.")
	}
	if _, err := e.Store.Apply(ctx, []domain.Patch{{ID: c.Account.ID, Signals: []domain.Signal{s}}}); err != nil {
		return nil, fmt.Errorf("saving %s on %s: %w", s.Kind, c.Account.ID, err)
	}
	e.trends.forget(c.Account.ID) // the trend depends on the account's signals
	c.Account.Signals = append(c.Account.Signals, s)
	c.Account.Normalize()
	ev := e.evaluate(c)
	what := "Note saved"
	if s.Kind != domain.SignalNote {
		what = fmt.Sprintf("Signal %q recorded", s.Kind)
	}
	m := &Message{Title: fmt.Sprintf("%s — %s", c.Account.Name, strings.ToLower(what[:1])+what[1:])}
	m.Blocks = append(m.Blocks, Section{Text: fmt.Sprintf("%s on %s for %s.", what, s.Date, c.Account.Name)})
	if s.Note != "" {
		m.Blocks = append(m.Blocks, Context{Text: s.Note})
	}
	m.Blocks = append(m.Blocks, Section{Text: fmt.Sprintf("Health now %d (%s); next action: %s", ev.Health.Combined, ev.Priority.Label(), ev.Action.Text)})
	m.Data = map[string]any{"id": c.Account.ID, "date": s.Date, "kind": s.Kind, "note": s.Note, "combined": ev.Health.Combined, "priority": ev.Priority}
	return m, nil
}
