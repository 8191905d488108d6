package bot

import (
	"context"
	"fmt"
	"runtime"
	"sort"
	"strings"

	"github.com/accountbot/accountbot/domain"
)

func (e *Engine) registerPortfolioVerbs() {
	e.reg.MustRegister(
		Verb{Noun: "portfolio", Name: "", Help: "same as portfolio top", Run: e.top},
		Verb{Noun: "portfolio", Name: "dashboard", Aliases: []string{"home"}, Help: "your dashboard: top accounts, renewals in the next 6 months, tier mix (Slack's App Home)",
			Run: func(ctx context.Context, c *Call) (*Message, error) {
				return e.Dashboard(ctx, c.Req.User, c.Req.Now), nil
			}},
		Verb{Noun: "portfolio", Name: "top", Args: "[for <owner>]", Help: "the accounts that most need you today, each with its one action", Run: e.top},
		Verb{Noun: "portfolio", Name: "renewals", Args: "[for <owner>]", Help: "renewals in the next 6 months with stage and readiness", Run: e.renewals},
		Verb{Noun: "portfolio", Name: "allocation", Args: "[for <owner>]", Help: "how to split your week across tiers", Run: e.allocation},
		Verb{Noun: "portfolio", Name: "nrr", Args: "[for <owner>] [months=12]", Help: "net and gross revenue retention, expansion by motion", Run: e.nrr},
		Verb{Noun: "portfolio", Name: "tiers", Args: "[for <owner>]", Help: "tier mix: accounts and ARR per tier", Run: e.tiers},
		Verb{Noun: "portfolio", Name: "owners", Help: "the CSMs in the book and their account counts", Run: e.owners},
		Verb{Noun: "portfolio", Name: "settings", Args: "[digest HH:MM|off|on] [timezone Zone|auto] [quiet HH:MM-HH:MM|off]", Help: "your nudge settings: daily digest time, time zone, quiet hours", Run: e.settings},
		Verb{Noun: "portfolio", Name: "nudges", Help: "nudges: your schedule, what is due, what was sent and what failed", Run: e.nudges},
		Verb{Noun: "portfolio", Name: "outcomes", Help: "logged outcomes: win rate and ARR won by motion, last 12 months", Run: e.outcomes},
	)
}

// scope is the set of accounts a portfolio command covers.
type scope struct {
	Owner string // "" = the whole book
	Note  string
}

func (s scope) label() string {
	if s.Owner == "" {
		return "whole book"
	}
	return s.Owner
}

// resolveScope reads "for <owner>" from the arguments (removing it), or
// uses the asker's own accounts, or the whole book.
func (e *Engine) resolveScope(ctx context.Context, c *Call) (scope, error) {
	args := c.Parsed.Args
	var who string
	for i := 0; i < len(args); i++ {
		if strings.EqualFold(args[i], "for") && i+1 < len(args) {
			who = strings.ToLower(strings.Join(args[i+1:], " "))
			c.Parsed.Args = args[:i]
			break
		}
	}
	owners, err := e.Store.Owners(ctx)
	if err != nil {
		return scope{}, fmt.Errorf("listing owners: %w", err)
	}
	switch who {
	case "all", "everyone", "book", "team":
		return scope{}, nil
	case "me", "":
		me := strings.ToLower(c.Req.User.Email)
		for _, o := range owners {
			if o.Owner == me && me != "" {
				return scope{Owner: me}, nil
			}
		}
		if who == "me" {
			return scope{}, domain.Errorf(domain.ENOTFOUND, "You (%s) own no accounts.", orNone(me))
		}
		note := "Showing the whole book"
		if me != "" {
			note += fmt.Sprintf(" (%s owns no accounts)", me)
		}
		return scope{Note: note + "; add `for <owner>` to narrow it."}, nil
	}
	var matches []string
	for _, o := range owners {
		local, _, _ := strings.Cut(o.Owner, "@")
		if o.Owner == who {
			return scope{Owner: o.Owner}, nil
		}
		if strings.HasPrefix(local, who) || strings.HasPrefix(o.Owner, who) {
			matches = append(matches, o.Owner)
		}
	}
	switch len(matches) {
	case 1:
		return scope{Owner: matches[0]}, nil
	case 0:
		return scope{}, domain.Errorf(domain.ENOTFOUND, "No account owner matches %q. `portfolio owners` lists them.", who)
	}
	return scope{}, domain.Errorf(domain.EINVALID, "%q matches several owners: %s.", who, strings.Join(matches, ", "))
}

// each calls fn with every account in scope.
func (e *Engine) each(ctx context.Context, s scope, fn func(*domain.Account) error) error {
	if s.Owner == "" {
		return e.Store.ForEach(ctx, fn)
	}
	ids, err := e.Store.IDsByOwner(ctx, s.Owner)
	if err != nil {
		return fmt.Errorf("listing %s's accounts: %w", s.Owner, err)
	}
	for _, id := range ids {
		a, err := e.Store.Account(ctx, id)
		if err != nil {
			return err
		}
		if err := fn(a); err != nil {
			return err
		}
	}
	return nil
}

// topBlocks draws a ranked list of accounts, each with its priority, why,
// its one action and buttons; `portfolio top` and the daily digest share it.
func topBlocks(items []domain.Evaluation) ([]Block, []map[string]any) {
	var blocks []Block
	data := []map[string]any{}
	for i, ev := range items {
		blocks = append(blocks,
			Section{Text: fmt.Sprintf("%d. %s — %s · Tier %d · %s ARR · health %d", i+1, ev.Name, ev.Priority.Label(), ev.Tier.Tier, ev.ARR.Short(), ev.Health.Combined)},
			Context{Text: "Why: " + ev.PriorityReason},
			Section{Text: "Action: " + ev.Action.Text},
			Actions{Buttons: []Button{
				{Label: "Open " + ev.Name, ActionID: ActionOpenAccount, Value: ev.AccountID},
				{Label: "Draft talk track", ActionID: ActionDraftTalk, Value: ev.AccountID, Primary: true},
			}},
		)
		data = append(data, map[string]any{"id": ev.AccountID, "name": ev.Name, "owner": ev.Owner, "priority": ev.Priority,
			"tier": ev.Tier.Tier, "combined": ev.Health.Combined, "arr": major(ev.ARR.Minor, ev.ARR.Currency), "why": ev.PriorityReason,
			"action": ev.Action.Text, "action_kind": ev.Action.Kind})
	}
	return blocks, data
}

// BookScanner is the optional, faster way to evaluate a whole book: the
// store decodes on several goroutines (storage.DB implements it).
type BookScanner interface {
	ForEachConcurrent(ctx context.Context, workers int, fn func(worker int, a *domain.Account) error) error
}

// TopAll computes every owner's top n in one pass over the book: linear in
// the number of accounts, whatever the number of owners. With a
// BookScanner each CPU evaluates its share, keeping its own per-owner
// lists; merging them is exact because the ranking is a total order.
func (e *Engine) TopAll(ctx context.Context, today domain.Date, n int) (map[string][]domain.Evaluation, error) {
	workers := max(runtime.GOMAXPROCS(0), 1)
	parts := make([]map[string]*domain.TopN, workers)
	for w := range parts {
		parts[w] = map[string]*domain.TopN{}
	}
	add := func(w int, a *domain.Account) error {
		t, ok := parts[w][a.Owner]
		if !ok {
			t = &domain.TopN{N: n}
			parts[w][a.Owner] = t
		}
		t.Add(domain.Evaluate(a, today, e.Config))
		return nil
	}
	var err error
	if bs, ok := e.Store.(BookScanner); ok {
		err = bs.ForEachConcurrent(ctx, workers, add)
	} else {
		err = e.Store.ForEach(ctx, func(a *domain.Account) error { return add(0, a) })
	}
	merged := map[string]*domain.TopN{}
	for _, part := range parts {
		for owner, t := range part {
			m, ok := merged[owner]
			if !ok {
				m = &domain.TopN{N: n}
				merged[owner] = m
			}
			for _, ev := range t.Items {
				m.Add(ev)
			}
		}
	}
	out := make(map[string][]domain.Evaluation, len(merged))
	for o, t := range merged {
		out[o] = t.Items
	}
	return out, err
}

// TopFor returns the n highest-priority evaluations of an owner's accounts
// ("" for the whole book); the scheduler's daily digest uses it too.
func (e *Engine) TopFor(ctx context.Context, owner string, today domain.Date, n int) ([]domain.Evaluation, int, error) {
	top := domain.TopN{N: n}
	count := 0
	err := e.each(ctx, scope{Owner: owner}, func(a *domain.Account) error {
		count++
		top.Add(domain.Evaluate(a, today, e.Config))
		return nil
	})
	return top.Items, count, err
}

func (e *Engine) top(ctx context.Context, c *Call) (*Message, error) {
	s, err := e.resolveScope(ctx, c)
	if err != nil {
		return nil, err
	}
	items, count, err := e.TopFor(ctx, s.Owner, c.Today, e.Config.Priority.TopN)
	if err != nil {
		return nil, err
	}
	m := &Message{Title: fmt.Sprintf("Top %d priority accounts — %s", len(items), s.label())}
	if count == 0 {
		m.Blocks = append(m.Blocks, Section{Text: "No accounts yet. Import your book with `accountbot import FILE`."})
	}
	blocks, data := topBlocks(items)
	m.Blocks = append(m.Blocks, blocks...)
	if s.Note != "" {
		m.Blocks = append(m.Blocks, Context{Text: s.Note})
	}
	m.Blocks = append(m.Blocks, Context{Text: fmt.Sprintf("Ranked from %d accounts as of %s.", count, c.Today)})
	m.Data = map[string]any{"owner": s.Owner, "as_of": c.Today, "accounts": data, "in_scope": count}
	return m, nil
}

func (e *Engine) renewals(ctx context.Context, c *Call) (*Message, error) {
	s, err := e.resolveScope(ctx, c)
	if err != nil {
		return nil, err
	}
	window := e.Config.Renewal.ReadinessWindow
	var evs []domain.Evaluation
	err = e.each(ctx, s, func(a *domain.Account) error {
		if a.RenewalDate.IsZero() {
			return nil
		}
		if d := c.Today.DaysUntil(a.RenewalDate); d < 0 || d > window {
			return nil
		}
		evs = append(evs, domain.Evaluate(a, c.Today, e.Config))
		return nil
	})
	if err != nil {
		return nil, err
	}
	sort.SliceStable(evs, func(i, j int) bool { return evs[i].Renewal.DaysToRenewal < evs[j].Renewal.DaysToRenewal })
	m := &Message{Title: fmt.Sprintf("Renewals in the next %d days — %s", window, s.label())}
	counts := map[domain.Readiness]int{}
	total := totals{}
	l := List{}
	var data []map[string]any
	for _, ev := range evs {
		r := ev.Renewal
		counts[r.Readiness]++
		total.add(ev.ARR)
		l.Items = append(l.Items, Item{Text: fmt.Sprintf("%s — %s ARR, %s (in %d days) · %s", ev.Name, ev.ARR.Short(), r.RenewalDate, r.DaysToRenewal, strings.ToUpper(string(r.Readiness))),
			Detail: fmt.Sprintf("Stage: %s. %s", r.StageTitle, worstIndicator(r)), Tone: readinessTone(r.Readiness)})
		data = append(data, map[string]any{"id": ev.AccountID, "name": ev.Name, "renewal_date": r.RenewalDate, "days_to_renewal": r.DaysToRenewal,
			"stage": r.Stage, "readiness": r.Readiness, "arr": major(ev.ARR.Minor, ev.ARR.Currency), "tier": ev.Tier.Tier})
	}
	if len(evs) == 0 {
		m.Blocks = append(m.Blocks, Section{Text: "No renewals in the window."})
	} else {
		m.Blocks = append(m.Blocks, Section{Fields: []Field{
			{Label: "Green", Value: fmt.Sprint(counts[domain.Green]), Tone: ToneGood},
			{Label: "Yellow", Value: fmt.Sprint(counts[domain.Yellow]), Tone: ToneWarn},
			{Label: "Red", Value: fmt.Sprint(counts[domain.Red]), Tone: ToneBad},
			{Label: "ARR renewing", Value: total.String()},
		}}, l)
	}
	if s.Note != "" {
		m.Blocks = append(m.Blocks, Context{Text: s.Note})
	}
	if data == nil {
		data = []map[string]any{}
	}
	m.Data = map[string]any{"owner": s.Owner, "as_of": c.Today, "renewals": data, "arr_by_currency": total.data(),
		"green": counts[domain.Green], "yellow": counts[domain.Yellow], "red": counts[domain.Red]}
	return m, nil
}

func worstIndicator(r domain.RenewalStatus) string {
	for _, want := range []domain.Readiness{domain.Red, domain.Yellow} {
		for _, i := range r.Indicators {
			if i.Status == want {
				return fmt.Sprintf("%s: %s.", i.Name, i.Evidence)
			}
		}
	}
	return "All four indicators green."
}

// totals sums money per currency: a book may mix currencies, and amounts
// in different currencies are never added together.
type totals map[string]int64

func (t totals) add(m domain.Money) { t[m.Currency] += m.Minor }

func (t totals) String() string {
	if len(t) == 0 {
		return "0"
	}
	curs := make([]string, 0, len(t))
	for c := range t {
		curs = append(curs, c)
	}
	sort.Strings(curs)
	parts := make([]string, len(curs))
	for i, c := range curs {
		parts[i] = domain.Money{Minor: t[c], Currency: c}.Short()
	}
	return strings.Join(parts, " + ")
}

func (t totals) data() map[string]any {
	out := map[string]any{}
	for c, v := range t {
		out[c] = major(v, c)
	}
	return out
}

func (e *Engine) tierCounts(ctx context.Context, c *Call, s scope) ([3]int, [3]totals, error) {
	var counts [3]int
	arr := [3]totals{{}, {}, {}}
	err := e.each(ctx, s, func(a *domain.Account) error {
		h := domain.ScoreHealth(a, c.Today, e.Config.Health)
		t := domain.AssignTier(a, h, e.Config.Tiers).Tier
		counts[t-1]++
		arr[t-1].add(a.Money(a.ARR))
		return nil
	})
	return counts, arr, err
}

func (e *Engine) allocation(ctx context.Context, c *Call) (*Message, error) {
	s, err := e.resolveScope(ctx, c)
	if err != nil {
		return nil, err
	}
	counts, _, err := e.tierCounts(ctx, c, s)
	if err != nil {
		return nil, err
	}
	alloc := domain.Allocate(counts, e.Config.Allocation)
	m := &Message{Title: "Time allocation by tier — " + s.label()}
	l := List{}
	for _, a := range alloc {
		l.Items = append(l.Items, Item{Text: fmt.Sprintf("Tier %d: %d accounts (%.0f%%) → %.0f%% of your time, %.1f h/week", a.Tier, a.Accounts, a.AccountSharePct, a.TimeSharePct, a.HoursPerWeek),
			Detail: fmt.Sprintf("about %.2f h per account per week", a.HoursPerAccount)})
	}
	m.Blocks = append(m.Blocks, l, Context{Text: fmt.Sprintf("Weights per account %g:%g:%g over a %g-hour week (the seed's 10/20/20 accounts → 60/30/10%%).",
		e.Config.Allocation.Weights[0], e.Config.Allocation.Weights[1], e.Config.Allocation.Weights[2], e.Config.Allocation.HoursPerWeek)})
	if s.Note != "" {
		m.Blocks = append(m.Blocks, Context{Text: s.Note})
	}
	m.Data = map[string]any{"owner": s.Owner, "tiers": alloc}
	return m, nil
}

func (e *Engine) tiers(ctx context.Context, c *Call) (*Message, error) {
	s, err := e.resolveScope(ctx, c)
	if err != nil {
		return nil, err
	}
	counts, arr, err := e.tierCounts(ctx, c, s)
	if err != nil {
		return nil, err
	}
	m := &Message{Title: "Tier mix — " + s.label()}
	var fields []Field
	var data []map[string]any
	for i := range 3 {
		fields = append(fields, Field{Label: fmt.Sprintf("Tier %d", i+1), Value: fmt.Sprintf("%d accounts · %s ARR", counts[i], arr[i].String())})
		data = append(data, map[string]any{"tier": i + 1, "accounts": counts[i], "arr_by_currency": arr[i].data()})
	}
	m.Blocks = append(m.Blocks, Section{Fields: fields})
	if s.Note != "" {
		m.Blocks = append(m.Blocks, Context{Text: s.Note})
	}
	m.Data = map[string]any{"owner": s.Owner, "tiers": data}
	return m, nil
}

func (e *Engine) nrr(ctx context.Context, c *Call) (*Message, error) {
	s, err := e.resolveScope(ctx, c)
	if err != nil {
		return nil, err
	}
	months := 12
	for _, a := range c.Parsed.Args {
		k, v, ok := strings.Cut(a, "=")
		if !ok || k != "months" {
			return nil, domain.Errorf(domain.EINVALID, "%q is not an nrr option; use months=N.", a)
		}
		if _, err := fmt.Sscanf(v, "%d", &months); err != nil || months < 1 || months > 60 {
			return nil, domain.Errorf(domain.EINVALID, "months must be a whole number from 1 to 60.")
		}
	}
	from := c.Today.AddMonths(-months)
	var accts []*domain.Account
	cur := ""
	mixed := false
	err = e.each(ctx, s, func(a *domain.Account) error {
		cp := *a
		cp.Usage, cp.Signals = nil, nil // not needed; the callback's value is reused
		if cur == "" {
			cur = a.Currency
		} else if a.Currency != cur {
			mixed = true
			return nil
		}
		accts = append(accts, &cp)
		return nil
	})
	if err != nil {
		return nil, err
	}
	r := domain.ComputeRetention(accts, from, c.Today)
	money := func(v int64) string { return domain.Money{Minor: v, Currency: cur}.Short() }
	m := &Message{Title: fmt.Sprintf("Revenue retention, last %d months — %s", months, s.label())}
	m.Blocks = append(m.Blocks, Section{Fields: []Field{
		{Label: "NRR", Value: fmt.Sprintf("%.1f%%", r.NRRPct), Tone: map[bool]Tone{true: ToneGood, false: ToneWarn}[r.NRRPct >= 100]},
		{Label: "GRR", Value: fmt.Sprintf("%.1f%%", r.GRRPct)},
		{Label: "Starting ARR", Value: money(r.StartARR)},
		{Label: "Expansion", Value: "+" + money(r.Expansion)},
		{Label: "Contraction", Value: "-" + money(r.Contraction)},
		{Label: "Churn", Value: "-" + money(r.Churn)},
	}})
	byMotion := map[string]any{}
	l := List{Title: "Expansion by motion"}
	keys := make([]string, 0, len(r.ByMotion))
	for k := range r.ByMotion {
		keys = append(keys, string(k))
	}
	sort.Strings(keys)
	for _, k := range keys {
		v := r.ByMotion[domain.Motion(k)]
		label := domain.Motion(k).Label()
		if k == "" {
			label, k = "Unattributed", "unattributed"
		}
		l.Items = append(l.Items, Item{Text: fmt.Sprintf("%s: +%s", label, money(v))})
		byMotion[k] = major(v, cur)
	}
	if len(l.Items) > 0 {
		m.Blocks = append(m.Blocks, l)
	}
	ctxText := fmt.Sprintf("Cohort: %d accounts with ARR on %s. ARR history comes from arr_history in imports; accounts without one count as flat.", r.Accounts, from)
	if mixed {
		ctxText += fmt.Sprintf(" Only %s accounts are counted; the book has other currencies.", cur)
	}
	m.Blocks = append(m.Blocks, Context{Text: ctxText})
	if s.Note != "" {
		m.Blocks = append(m.Blocks, Context{Text: s.Note})
	}
	m.Data = map[string]any{"owner": s.Owner, "from": from, "to": c.Today, "nrr_pct": r.NRRPct, "grr_pct": r.GRRPct,
		"start_arr": major(r.StartARR, cur), "end_arr": major(r.EndARR, cur), "expansion": major(r.Expansion, cur),
		"contraction": major(r.Contraction, cur), "churn": major(r.Churn, cur), "expansion_by_motion": byMotion, "accounts": r.Accounts, "currency": cur}
	return m, nil
}

func (e *Engine) owners(ctx context.Context, c *Call) (*Message, error) {
	owners, err := e.Store.Owners(ctx)
	if err != nil {
		return nil, fmt.Errorf("listing owners: %w", err)
	}
	m := &Message{Title: "Account owners"}
	l := List{}
	for _, o := range owners {
		l.Items = append(l.Items, Item{Text: fmt.Sprintf("%s — %d accounts", o.Owner, o.Accounts)})
	}
	m.Blocks = append(m.Blocks, l)
	if owners == nil {
		owners = []domain.OwnerCount{}
	}
	m.Data = map[string]any{"owners": owners}
	return m, nil
}
