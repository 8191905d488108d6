package bot

import (
	"context"
	"fmt"
	"strings"

	"github.com/accountbot/accountbot/domain"
)

// ActionDraftRenewal drafts the renewal script for the account.
const ActionDraftRenewal = "draft_renewal"

func dayLabel(d domain.Date) string { return d.Time().Format("Mon 2 Jan") }

func (s *Scheduler) digest(owner string, slot domain.Slot) Planned {
	return Planned{Kind: domain.NudgeDigest, Key: fmt.Sprintf("digest|%s|%s", slot.Date, owner), To: Recipient{Email: owner},
		DueAt: slot.DueAt, Date: slot.Date,
		build: func(ctx context.Context) (*Message, error) { return s.digestMessage(ctx, owner, slot.Date) }}
}

// topUnsnoozed is the owner's top N on date, leaving out snoozed accounts.
func (s *Scheduler) topUnsnoozed(ctx context.Context, owner string, date domain.Date) ([]domain.Evaluation, error) {
	sn, err := s.Store.Snoozes(ctx, owner)
	if err != nil {
		return nil, err
	}
	n := s.Engine.Config.Priority.TopN
	items, _, err := s.Engine.TopFor(ctx, owner, date, n+len(sn))
	if err != nil {
		return nil, err
	}
	var out []domain.Evaluation
	for _, ev := range items {
		if until, ok := sn[ev.AccountID]; ok && until >= date {
			continue
		}
		if len(out) < n {
			out = append(out, ev)
		}
	}
	return out, nil
}

func (s *Scheduler) digestMessage(ctx context.Context, owner string, date domain.Date) (*Message, error) {
	items, err := s.topUnsnoozed(ctx, owner, date)
	if err != nil || len(items) == 0 {
		return nil, err
	}
	m := &Message{Title: fmt.Sprintf("Your top %d accounts for %s", len(items), dayLabel(date))}
	blocks, data := topBlocks(items)
	m.Blocks = append(blocks, Context{Text: "Snooze an account for a week with its button, or change the time with `portfolio settings digest 09:00` (or `off`)."})
	m.Data = map[string]any{"kind": domain.NudgeDigest, "owner": owner, "date": date, "accounts": data}
	return m, nil
}

func (s *Scheduler) weekly(owner string, slot domain.Slot) Planned {
	return Planned{Kind: domain.NudgeWeekly, Key: fmt.Sprintf("weekly|%s|%s", slot.Date, owner), To: Recipient{Email: owner},
		DueAt: slot.DueAt, Date: slot.Date,
		build: func(ctx context.Context) (*Message, error) { return s.weeklyMessage(ctx, owner, slot.Date) }}
}

// weeklyMessage is the seed's weekly health score review: the top 5 and
// what changed since last week (tier, bands, priority, new triggers).
func (s *Scheduler) weeklyMessage(ctx context.Context, owner string, date domain.Date) (*Message, error) {
	items, err := s.topUnsnoozed(ctx, owner, date)
	if err != nil || len(items) == 0 {
		return nil, err
	}
	last := date.AddDays(-7)
	changes := List{Title: "What changed since " + dayLabel(last)}
	var changeData []map[string]any
	ids, err := s.Store.IDsByOwner(ctx, owner)
	if err != nil {
		return nil, err
	}
	for _, id := range ids {
		a, err := s.Store.Account(ctx, id)
		if err != nil {
			return nil, err
		}
		cur := domain.Evaluate(a, date, s.Engine.Config)
		prevEv := domain.Evaluate(a, last, s.Engine.Config)
		prev := prevEv.Snapshot()
		if hist, err := s.Store.ScoreHistory(ctx, id, last, last); err == nil && len(hist) == 1 {
			prev = hist[0] // what was actually recorded beats a recomputation
		}
		ch := domain.Changes(prev, cur.Snapshot())
		if len(ch) == 0 {
			continue
		}
		var texts []string
		for _, c := range ch {
			texts = append(texts, c.Text)
		}
		changes.Items = append(changes.Items, Item{Text: a.Name + ": " + strings.Join(texts, "; ")})
		changeData = append(changeData, map[string]any{"id": id, "changes": ch})
	}
	if len(changes.Items) == 0 {
		changes.Items = []Item{{Text: "No tier, band, priority or trigger changes."}}
	}
	if len(changes.Items) > 20 {
		changes.More = len(changes.Items) - 20
		changes.Items = changes.Items[:20]
	}
	m := &Message{Title: "Weekly health score review — week of " + dayLabel(date)}
	blocks, data := topBlocks(items)
	m.Blocks = append(m.Blocks, Section{Text: fmt.Sprintf("Top %d this week", len(items))})
	m.Blocks = append(m.Blocks, blocks...)
	m.Blocks = append(m.Blocks, Divider{}, changes)
	m.Data = map[string]any{"kind": domain.NudgeWeekly, "owner": owner, "date": date, "accounts": data, "changes": changeData}
	return m, nil
}

func (s *Scheduler) renewal(id string, r domain.RenewalReminder, key string, to Recipient) Planned {
	return Planned{Kind: domain.NudgeRenewal, Key: key, To: to, AccountID: id, DueAt: r.DueAt, Date: r.Milestone.DueOn,
		build: func(ctx context.Context) (*Message, error) {
			a, err := s.Store.Account(ctx, id)
			if err != nil {
				return nil, err
			}
			ev := domain.Evaluate(a, r.Milestone.DueOn, s.Engine.Config)
			rs := ev.Renewal
			m := &Message{Title: fmt.Sprintf("Renewal in %d days: %s — %s", r.Milestone.Days, a.Name, r.Milestone.Title)}
			m.Blocks = append(m.Blocks, Section{Fields: []Field{
				{Label: "Renewal", Value: a.RenewalDate.String()},
				{Label: "ARR", Value: ev.ARR.Format()},
				{Label: "Owner", Value: orNone(a.Owner)},
				{Label: "Readiness", Value: strings.ToUpper(string(rs.Readiness)), Tone: readinessTone(rs.Readiness)},
			}})
			ind := List{Title: "Why " + string(rs.Readiness)}
			for _, i := range rs.Indicators {
				ind.Items = append(ind.Items, Item{Text: fmt.Sprintf("%s: %s", i.Name, i.Status), Detail: i.Evidence, Tone: readinessTone(i.Status)})
			}
			m.Blocks = append(m.Blocks, ind, List{Title: "Checklist", Items: plainItems(r.Milestone.Checklist)},
				Actions{Buttons: []Button{
					{Label: "Draft renewal script", ActionID: ActionDraftRenewal, Value: id, Primary: true},
					{Label: "Open " + a.Name, ActionID: ActionOpenAccount, Value: id},
				}})
			m.Data = map[string]any{"kind": domain.NudgeRenewal, "id": id, "days": r.Milestone.Days, "stage": r.Milestone.Stage, "readiness": rs.Readiness}
			return m, nil
		}}
}

func (s *Scheduler) alert(id, owner string, ev domain.AlertEvent, key string) Planned {
	return Planned{Kind: domain.NudgeAlert, Key: key, To: Recipient{Email: owner}, AccountID: id, Date: ev.Date,
		build: func(ctx context.Context) (*Message, error) {
			a, err := s.Store.Account(ctx, id)
			if err != nil {
				return nil, err
			}
			e := domain.Evaluate(a, ev.Date, s.Engine.Config)
			risk := ev.Rule != "limit_80"
			kind := "Opportunity"
			if risk {
				kind = "Risk"
			}
			m := &Message{Title: fmt.Sprintf("%s alert — %s: %s", kind, a.Name, ev.Text)}
			m.Blocks = append(m.Blocks,
				Section{Fields: []Field{
					{Label: "Priority", Value: e.Priority.Label(), Tone: priorityTone(e.Priority)},
					{Label: "Health", Value: fmt.Sprintf("%d (risk %d)", e.Health.Combined, e.Health.RetentionRisk)},
					{Label: "ARR", Value: e.ARR.Format()},
				}},
				Section{Text: "Next action: " + e.Action.Text},
				accountButtons(id))
			m.Data = map[string]any{"kind": domain.NudgeAlert, "id": id, "rule": ev.Rule, "text": ev.Text}
			return m, nil
		}}
}
