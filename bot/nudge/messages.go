package nudge

import (
	"context"
	"fmt"
	"runtime"
	"strings"

	"github.com/accountbot/accountbot/bot"
	"github.com/accountbot/accountbot/domain"
)

// The typed Data of each nudge message (what a platform may keep).

// DigestData is the daily top-N digest.
type DigestData struct {
	Kind     domain.NudgeKind `json:"kind"`
	Owner    string           `json:"owner"`
	Date     domain.Date      `json:"date"`
	Accounts []bot.TopAccount `json:"accounts"` // ranked
}

// WeeklyData is the weekly health score review.
type WeeklyData struct {
	DigestData
	Changes []AccountChanges `json:"changes"`
}

// AccountChanges is what changed on one account since last week.
type AccountChanges struct {
	ID      string          `json:"id"`
	Changes []domain.Change `json:"changes"`
}

// RenewalData is a renewal milestone reminder.
type RenewalData struct {
	Kind      domain.NudgeKind `json:"kind"`
	ID        string           `json:"id"`
	Days      int              `json:"days"`
	Stage     domain.Stage     `json:"stage"`
	Readiness domain.Readiness `json:"readiness"`
}

// AlertData is a risk or opportunity alert.
type AlertData struct {
	Kind domain.NudgeKind `json:"kind"`
	ID   string           `json:"id"`
	Rule string           `json:"rule"`
	Text string           `json:"text"`
}

func dayLabel(d domain.Date) string { return d.Time().Format("Mon 2 Jan") }

func (s *Scheduler) digest(owner string, slot domain.Slot) Planned {
	return Planned{NudgeDue: bot.NudgeDue{Kind: domain.NudgeDigest, Key: fmt.Sprintf("digest|%s|%s", slot.Date, owner),
		To: bot.Recipient{Email: owner}, DueAt: slot.DueAt, Date: slot.Date},
		build: func(ctx context.Context) (*bot.Message, error) { return s.digestMessage(ctx, owner, slot.Date) }}
}

// topUnsnoozed is the owner's top N on date, leaving out snoozed accounts.
func (s *Scheduler) topUnsnoozed(ctx context.Context, owner string, date domain.Date) ([]domain.Evaluation, error) {
	sn, err := s.store.Snoozes(ctx, owner)
	if err != nil {
		return nil, fmt.Errorf("reading %s's snoozes: %w", owner, err)
	}
	if items, ok, err := s.topFromRanks(ctx, owner, date, sn); ok || err != nil {
		return items, err
	}
	ids, err := s.store.IDsByOwner(ctx, owner)
	if err != nil {
		return nil, fmt.Errorf("listing %s's accounts: %w", owner, err)
	}
	top := domain.TopN{N: s.Rules().Priority.TopN}
	for _, id := range ids {
		if until, ok := sn[id]; ok && until >= date {
			continue
		}
		a, err := s.store.Account(ctx, id)
		if err != nil {
			return nil, fmt.Errorf("reading account %s: %w", id, err)
		}
		if !s.readsAsOwner(owner, a) {
			continue
		}
		top.Add(domain.Evaluate(a, date, s.Rules()))
	}
	return top.Items, nil
}

func (s *Scheduler) digestMessage(ctx context.Context, owner string, date domain.Date) (*bot.Message, error) {
	items, err := s.topUnsnoozed(ctx, owner, date)
	if err != nil || len(items) == 0 {
		return nil, err
	}
	m := &bot.Message{Title: fmt.Sprintf("Your top %d accounts for %s", len(items), dayLabel(date))}
	blocks, accounts := bot.TopBlocks(items)
	m.Blocks = append(blocks, bot.Context{Text: "Snooze an account for a week with its button, or change the time with `portfolio settings digest 09:00` (or `off`)."})
	m.Data = DigestData{Kind: domain.NudgeDigest, Owner: owner, Date: date, Accounts: accounts}
	return m, nil
}

func (s *Scheduler) weekly(owner string, slot domain.Slot) Planned {
	return Planned{NudgeDue: bot.NudgeDue{Kind: domain.NudgeWeekly, Key: fmt.Sprintf("weekly|%s|%s", slot.Date, owner),
		To: bot.Recipient{Email: owner}, DueAt: slot.DueAt, Date: slot.Date},
		build: func(ctx context.Context) (*bot.Message, error) { return s.weeklyMessage(ctx, owner, slot.Date) }}
}

// weeklyMessage is the seed's weekly health score review: the top 5 and
// what changed since last week (tier, bands, priority, new triggers).
func (s *Scheduler) weeklyMessage(ctx context.Context, owner string, date domain.Date) (*bot.Message, error) {
	items, err := s.topUnsnoozed(ctx, owner, date)
	if err != nil || len(items) == 0 {
		return nil, err
	}
	last := date.AddDays(-7)
	changes, changeData, err := s.weeklyChanges(ctx, owner, date, last)
	if err != nil {
		return nil, err
	}
	m := &bot.Message{Title: "Weekly health score review — week of " + dayLabel(date)}
	m.Blocks = append(m.Blocks, bot.Section{Text: fmt.Sprintf("Top %d this week", len(items))})
	blocks, accounts := bot.TopBlocks(items)
	m.Blocks = append(m.Blocks, blocks...)
	m.Blocks = append(m.Blocks, bot.Divider{}, changes)
	m.Data = WeeklyData{DigestData: DigestData{Kind: domain.NudgeWeekly, Owner: owner, Date: date, Accounts: accounts}, Changes: changeData}
	return m, nil
}

// weeklyChanges lists the owner's accounts whose tier, bands, priority or
// triggers changed between last and date.
func (s *Scheduler) weeklyChanges(ctx context.Context, owner string, date, last domain.Date) (bot.List, []AccountChanges, error) {
	changes := bot.List{Title: "What changed since " + dayLabel(last)}
	changeData := []AccountChanges{}
	ids, err := s.store.IDsByOwner(ctx, owner)
	if err != nil {
		return changes, nil, fmt.Errorf("listing %s's accounts: %w", owner, err)
	}
	prevs, curs := s.recordedScores(ctx, ids, last), s.recordedScores(ctx, ids, date)
	for _, id := range ids {
		// Between accounts, let waiting goroutines run: a review reads an
		// owner's whole book, and a command answered meanwhile would
		// otherwise wait up to Go's 10 ms preemption for a core.
		runtime.Gosched()
		prev, havePrev := prevs[id]
		cur, haveCur := curs[id]
		var a *domain.Account
		if !havePrev || !haveCur {
			// A day without a recorded snapshot is recomputed from the
			// account's data: only then is the whole account read.
			if a, err = s.ownedAccount(ctx, owner, id); a == nil || err != nil {
				if err != nil {
					return changes, nil, err
				}
				continue
			}
			prev, cur = s.weekSnapshots(a, last, date, prev, havePrev, cur, haveCur)
		}
		ch := domain.Changes(prev, cur)
		if len(ch) == 0 {
			continue
		}
		if a == nil { // named (and its owner checked) only when it changed
			if a, err = s.ownedAccount(ctx, owner, id); a == nil || err != nil {
				if err != nil {
					return changes, nil, err
				}
				continue
			}
		}
		var texts []string
		for _, c := range ch {
			texts = append(texts, c.Text)
		}
		changes.Items = append(changes.Items, bot.Item{Text: a.Name + ": " + strings.Join(texts, "; ")})
		changeData = append(changeData, AccountChanges{ID: id, Changes: ch})
	}
	if len(changes.Items) == 0 {
		changes.Items = []bot.Item{{Text: "No tier, band, priority or trigger changes."}}
	}
	if len(changes.Items) > 20 {
		changes.More = len(changes.Items) - 20
		changes.Items = changes.Items[:20]
	}
	return changes, changeData, nil
}

// ownedAccount reads an account of the owner's; nil when the owner may
// not read it as its owner (reassigned since the index was read).
func (s *Scheduler) ownedAccount(ctx context.Context, owner, id string) (*domain.Account, error) {
	a, err := s.store.Account(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("reading account %s: %w", id, err)
	}
	if !s.readsAsOwner(owner, a) {
		return nil, nil
	}
	return a, nil
}

// scoresOn is what a store that reads many accounts' snapshots of one
// day at once implements (the Badger store: one lookup each in one
// transaction).
type scoresOn interface {
	ScoresOn(ctx context.Context, ids []string, d domain.Date) (map[string]domain.ScoreSnapshot, error)
}

// recordedScores are the snapshots recorded for ids on d (the evaluator
// stores each account's snapshot of the day with every evaluation, so
// today's is the current one). An account missing from it, or every
// account when the store cannot tell, is recomputed (weekSnapshots).
// Reading the recorded ones, instead of every account in full, is what
// keeps a 100K book's Monday reviews from competing with the answers.
func (s *Scheduler) recordedScores(ctx context.Context, ids []string, d domain.Date) map[string]domain.ScoreSnapshot {
	if st, ok := s.store.(scoresOn); ok {
		if m, err := st.ScoresOn(ctx, ids, d); err == nil {
			return m
		}
	}
	out := map[string]domain.ScoreSnapshot{}
	for _, id := range ids {
		if hist, err := s.store.ScoreHistory(ctx, id, d, d); err == nil && len(hist) == 1 {
			out[id] = hist[0]
		}
	}
	return out
}

// weekSnapshots fills in a's scores on last and on date where none was
// recorded, by recomputing them. Recomputing both for every account of
// every owner made the Monday reviews a whole-book evaluation twice over,
// which on a 100K book kept both cores busy while CSMs were asking. The
// recomputation skips the text: a snapshot holds none
// (domain.EvaluateOptions).
func (s *Scheduler) weekSnapshots(a *domain.Account, last, date domain.Date, prev domain.ScoreSnapshot, havePrev bool, cur domain.ScoreSnapshot, haveCur bool) (domain.ScoreSnapshot, domain.ScoreSnapshot) {
	if !havePrev {
		ev := domain.EvaluateWith(a, last, s.Rules(), domain.EvaluateOptions{})
		prev = ev.Snapshot()
	}
	if !haveCur {
		ev := domain.EvaluateWith(a, date, s.Rules(), domain.EvaluateOptions{})
		cur = ev.Snapshot()
	}
	return prev, cur
}

func (s *Scheduler) renewal(id string, tier int, r domain.RenewalReminder, key string, to bot.Recipient) Planned {
	return Planned{NudgeDue: bot.NudgeDue{Kind: domain.NudgeRenewal, Key: key, To: to, AccountID: id, DueAt: r.DueAt, Date: r.Milestone.DueOn},
		build: func(ctx context.Context) (*bot.Message, error) { return s.renewalMessage(ctx, id, tier, to.Channel, r) }}
}

func (s *Scheduler) renewalMessage(ctx context.Context, id string, tier int, channel string, r domain.RenewalReminder) (*bot.Message, error) {
	a, err := s.store.Account(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("reading account %s: %w", id, err)
	}
	if !s.stillRoutedTo(channel, tier, a) {
		return nil, nil // reassigned to a team with another channel: skipped (that channel's own reminder is planned)
	}
	ev := domain.Evaluate(a, r.Milestone.DueOn, s.Rules())
	rs := ev.Renewal
	owner := a.Owner
	if owner == "" {
		owner = "—"
	}
	m := &bot.Message{Title: fmt.Sprintf("Renewal in %d days: %s — %s", r.Milestone.Days, a.Name, r.Milestone.Title)}
	m.Blocks = append(m.Blocks, bot.Section{Fields: []bot.Field{
		{Label: "Renewal", Value: a.RenewalDate.String()},
		{Label: "ARR", Value: ev.ARR.Format()},
		{Label: "Owner", Value: owner},
		{Label: "Readiness", Value: strings.ToUpper(string(rs.Readiness)), Tone: bot.ReadinessTone(rs.Readiness)},
	}})
	ind := bot.List{Title: "Why " + string(rs.Readiness)}
	for _, i := range rs.Indicators {
		ind.Items = append(ind.Items, bot.Item{Text: fmt.Sprintf("%s: %s", i.Name, i.Status), Detail: i.Evidence, Tone: bot.ReadinessTone(i.Status)})
	}
	m.Blocks = append(m.Blocks, ind, bot.List{Title: "Checklist", Items: bot.PlainItems(r.Milestone.Checklist)},
		bot.Actions{Buttons: []bot.Button{
			{Label: "Draft renewal script", ActionID: bot.ActionDraftRenewal, Value: id, Primary: true},
			{Label: "Open " + a.Name, ActionID: bot.ActionOpenAccount, Value: id},
		}})
	m.Data = RenewalData{Kind: domain.NudgeRenewal, ID: id, Days: r.Milestone.Days, Stage: r.Milestone.Stage, Readiness: rs.Readiness}
	return m, nil
}

func (s *Scheduler) alert(id, owner string, ev domain.AlertEvent, key string) Planned {
	return Planned{NudgeDue: bot.NudgeDue{Kind: domain.NudgeAlert, Key: key, To: bot.Recipient{Email: owner}, AccountID: id, Date: ev.Date},
		build: func(ctx context.Context) (*bot.Message, error) { return s.alertMessage(ctx, id, owner, ev) }}
}

func (s *Scheduler) alertMessage(ctx context.Context, id, to string, ev domain.AlertEvent) (*bot.Message, error) {
	a, err := s.store.Account(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("reading account %s: %w", id, err)
	}
	if !s.readsAsOwner(to, a) {
		return nil, nil // no longer theirs: skipped
	}
	e := domain.Evaluate(a, ev.Date, s.Rules())
	kind := "Risk"
	if ev.Rule == "limit_80" {
		kind = "Opportunity"
	}
	m := &bot.Message{Title: fmt.Sprintf("%s alert — %s: %s", kind, a.Name, ev.Text)}
	m.Blocks = append(m.Blocks,
		bot.Section{Fields: []bot.Field{
			{Label: "Priority", Value: e.Priority.Label(), Tone: bot.PriorityTone(e.Priority)},
			{Label: "Health", Value: fmt.Sprintf("%d (risk %d)", e.Health.Combined, e.Health.RetentionRisk)},
			{Label: "ARR", Value: e.ARR.Format()},
		}},
		bot.Section{Text: "Next action: " + e.Action.Text},
		bot.AccountButtons(id))
	m.Data = AlertData{Kind: domain.NudgeAlert, ID: id, Rule: ev.Rule, Text: ev.Text}
	return m, nil
}
