package bot

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/accountbot/accountbot/domain"
)

// TopAccount is one ranked account with its one action.
type TopAccount struct {
	ID       string          `json:"id"`
	Name     string          `json:"name"`
	Owner    string          `json:"owner"`
	Priority domain.Priority `json:"priority"`
	Tier     int             `json:"tier"`
	Combined int             `json:"combined"`
	ARR      json.Number     `json:"arr"`
	Why      string          `json:"why"`
	// RankReason says in one line why the account ranks where it does:
	// its expected ARR impact, or the renewal override.
	RankReason string            `json:"rank_reason"`
	Impact     json.Number       `json:"impact"`
	Action     string            `json:"action"`
	ActionKind domain.ActionKind `json:"action_kind"`
	// DataAsOf is when the account's data last changed; a stale row is
	// flagged.
	DataAsOf *DataAsOf `json:"data_as_of,omitempty"`

	arrShort string
}

// topBlocks draws a ranked list of accounts, each with its priority, why,
// its one action and buttons; `portfolio top` and the daily digest share it.
func topBlocks(items []domain.Evaluation) ([]Block, []TopAccount) {
	data := topAccounts(items)
	return topAccountBlocks(data), data
}

func topAccounts(items []domain.Evaluation) []TopAccount {
	data := []TopAccount{}
	for _, ev := range items {
		data = append(data, TopAccount{ID: ev.AccountID, Name: ev.Name, Owner: ev.Owner, Priority: ev.Priority,
			Tier: ev.Tier.Tier, Combined: ev.Health.Combined, ARR: major(ev.ARR.Minor, ev.ARR.Currency), Why: ev.PriorityReason,
			RankReason: ev.RankReason, Impact: major(ev.Impact.Total, ev.ARR.Currency),
			Action: ev.Action.Text, ActionKind: ev.Action.Kind, arrShort: ev.ARR.Short()})
	}
	return data
}

func topAccountBlocks(items []TopAccount) []Block {
	blocks := make([]Block, 0, 6*len(items)) // an account's blocks, stale flag included
	for i, t := range items {
		blocks = append(blocks,
			Section{Text: fmt.Sprintf("%d. %s — %s · Tier %d · %s ARR · health %d", i+1, t.Name, t.Priority.Label(), t.Tier, t.arrShort, t.Combined)},
			Context{Text: "Why: " + t.Why},
			Context{Text: "Ranked: " + t.RankReason},
		)
		if t.DataAsOf != nil && t.DataAsOf.Stale {
			blocks = append(blocks, Context{Text: t.DataAsOf.StaleText()})
		}
		blocks = append(blocks,
			Section{Text: "Action: " + t.Action},
			Actions{Buttons: []Button{
				{Label: "Open " + t.Name, ActionID: ActionOpenAccount, Value: t.ID},
				{Label: "Draft talk track", ActionID: ActionDraftTalk, Value: t.ID, Primary: true},
			}},
		)
	}
	return blocks
}

// Ranks reads stored ranks (the evaluator keeps them current after every
// change). ok is false while they are incomplete: rank by scanning then.
type Ranks interface {
	Ranked(ctx context.Context, owner string, book bool, fn func(id string) bool) (ok bool, err error)
	// Owners is every owner with their number of accounts, in order, the
	// unowned under "", kept as the ranks are (no scan of the book).
	Owners(ctx context.Context) (owners []domain.OwnerCount, ok bool, err error)
	// Evaluation is an account's stored evaluation (its Card is what a
	// ranked list shows).
	Evaluation(ctx context.Context, id string) (domain.EvalRecord, bool, error)
}

// Cards reads the first n stored evaluations in rank order, of one owner's
// accounts or the whole book, leaving out those skip says; ok is false
// while the ranks are not ready.
func Cards(ctx context.Context, r Ranks, owner string, book bool, n int, skip func(id string) bool) (cards []domain.Evaluation, ok bool, err error) {
	ids := make([]string, 0, n)
	ok, err = r.Ranked(ctx, owner, book, func(id string) bool {
		if skip == nil || !skip(id) {
			ids = append(ids, id)
		}
		return len(ids) < n
	})
	if !ok || err != nil {
		return nil, ok, err
	}
	cards = make([]domain.Evaluation, 0, len(ids)) // an Evaluation is large: no regrowing
	for _, id := range ids {
		rec, found, err := r.Evaluation(ctx, id)
		if err != nil {
			return nil, true, fmt.Errorf("reading the evaluation of %s: %w", id, err)
		}
		if found { // else deleted since it was ranked
			cards = append(cards, rec.Card())
		}
	}
	return cards, true, nil
}

// ownerCounts lists every owner with their number of accounts: from the stored
// ranks when they are ready, else from the store's owner index.
func (e *Engine) ownerCounts(ctx context.Context) ([]domain.OwnerCount, error) {
	if e.Ranks != nil {
		if all, ok, err := e.Ranks.Owners(ctx); ok || err != nil {
			if len(all) > 0 && all[0].Owner == "" {
				all = all[1:] // the store's index leaves out the unowned too
			}
			return all, err
		}
	}
	return e.Store.Owners(ctx)
}

// topFromRanks is TopFor read from the stored ranks: the first n
// records of the owner's (or the book's) rank index, each with its card.
// ok is false without stored ranks.
func (e *Engine) topFromRanks(ctx context.Context, owner string, today domain.Date, n int) (items []domain.Evaluation, count int, ok bool, err error) {
	if e.Ranks == nil {
		return nil, 0, false, nil
	}
	items, ok, err = Cards(ctx, e.Ranks, owner, owner == "", n, nil)
	if !ok || err != nil {
		return nil, 0, ok, err
	}
	owners, _, err := e.Ranks.Owners(ctx)
	for _, o := range owners {
		if o.Owner == owner || owner == "" {
			count += o.Accounts
		}
	}
	return items, count, true, err
}

// TopResult is `portfolio top`.
type TopResult struct {
	Owner    string       `json:"owner"`
	AsOf     domain.Date  `json:"as_of"`
	Accounts []TopAccount `json:"accounts"`
	InScope  int          `json:"in_scope"`

	scope scope
}

func (e *Engine) top(ctx context.Context, c *Call) (Result, error) {
	s, err := e.resolveScope(ctx, c)
	if err != nil {
		return nil, err
	}
	items, count, err := e.TopFor(ctx, s.Owner, c.Today, e.Rules().Priority.TopN)
	if err != nil {
		return nil, err
	}
	accounts := topAccounts(items)
	for i := range accounts {
		if d, ok := domain.AgeOf(items[i].DataChangedAt, items[i].DataSource, c.Req.Now, e.Rules().StaleAfterDays); ok {
			accounts[i].DataAsOf = &DataAsOf{DataAge: d, loc: c.Req.Location}
		}
	}
	return &TopResult{Owner: s.Owner, AsOf: c.Today, Accounts: accounts, InScope: count, scope: s}, nil
}

// Message draws the ranked accounts.
func (r *TopResult) Message() *Message {
	m := &Message{Title: fmt.Sprintf("Top %d priority accounts — %s", len(r.Accounts), r.scope.label())}
	if r.InScope == 0 {
		m.Blocks = append(m.Blocks, Section{Text: "No accounts yet. Import your book with `accountbot import FILE`."})
	}
	m.Blocks = append(m.Blocks, topAccountBlocks(r.Accounts)...)
	m.Blocks = r.scope.note(m.Blocks)
	m.Blocks = append(m.Blocks, Context{Text: fmt.Sprintf("Ranked from %d accounts as of %s.", r.InScope, r.AsOf)})
	return m
}

// note adds the scope's note ("Showing the whole book…") when there is one.
func (s scope) note(blocks []Block) []Block {
	if s.Note == "" {
		return blocks
	}
	return append(blocks, Context{Text: s.Note})
}

// RenewalsResult is `portfolio renewals`.
type RenewalsResult struct {
	Owner         string                 `json:"owner"`
	AsOf          domain.Date            `json:"as_of"`
	Window        int                    `json:"window_days"`
	Renewals      []RenewalRow           `json:"renewals"`
	ARRByCurrency map[string]json.Number `json:"arr_by_currency"`
	Green         int                    `json:"green"`
	Yellow        int                    `json:"yellow"`
	Red           int                    `json:"red"`

	scope scope
	total totals
	items []Item
}

// RenewalRow is one renewal in the window.
type RenewalRow struct {
	ID            string           `json:"id"`
	Name          string           `json:"name"`
	RenewalDate   domain.Date      `json:"renewal_date"`
	DaysToRenewal int              `json:"days_to_renewal"`
	Stage         domain.Stage     `json:"stage"`
	Readiness     domain.Readiness `json:"readiness"`
	ARR           json.Number      `json:"arr"`
	Tier          int              `json:"tier"`
}

func (e *Engine) renewals(ctx context.Context, c *Call) (Result, error) {
	s, err := e.resolveScope(ctx, c)
	if err != nil {
		return nil, err
	}
	window := e.Rules().Renewal.ReadinessWindow
	var evs []domain.Evaluation
	err = e.each(ctx, s, func(a *domain.Account) error {
		if d := c.Today.DaysUntil(a.RenewalDate); a.RenewalDate.IsZero() || d < 0 || d > window {
			return nil
		}
		evs = append(evs, domain.Evaluate(a, c.Today, e.Rules()))
		return nil
	})
	if err != nil {
		return nil, err
	}
	sort.SliceStable(evs, func(i, j int) bool { return evs[i].Renewal.DaysToRenewal < evs[j].Renewal.DaysToRenewal })
	res := &RenewalsResult{Owner: s.Owner, AsOf: c.Today, Window: window, Renewals: []RenewalRow{}, scope: s, total: totals{}}
	for _, ev := range evs {
		r := ev.Renewal
		switch r.Readiness {
		case domain.Green:
			res.Green++
		case domain.Yellow:
			res.Yellow++
		case domain.Red:
			res.Red++
		}
		res.total.add(ev.ARR)
		res.items = append(res.items, Item{Text: fmt.Sprintf("%s — %s ARR, %s (in %d days) · %s", ev.Name, ev.ARR.Short(), r.RenewalDate, r.DaysToRenewal, strings.ToUpper(string(r.Readiness))),
			Detail: fmt.Sprintf("Stage: %s. %s", r.StageTitle, worstIndicator(r)), Tone: readinessTone(r.Readiness)})
		res.Renewals = append(res.Renewals, RenewalRow{ID: ev.AccountID, Name: ev.Name, RenewalDate: r.RenewalDate, DaysToRenewal: r.DaysToRenewal,
			Stage: r.Stage, Readiness: r.Readiness, ARR: major(ev.ARR.Minor, ev.ARR.Currency), Tier: ev.Tier.Tier})
	}
	res.ARRByCurrency = res.total.data()
	return res, nil
}

// Message draws the renewals in the window.
func (r *RenewalsResult) Message() *Message {
	m := &Message{Title: fmt.Sprintf("Renewals in the next %d days — %s", r.Window, r.scope.label())}
	if len(r.Renewals) == 0 {
		m.Blocks = append(m.Blocks, Section{Text: "No renewals in the window."})
	} else {
		m.Blocks = append(m.Blocks, Section{Fields: []Field{
			{Label: "Green", Value: fmt.Sprint(r.Green), Tone: ToneGood},
			{Label: "Yellow", Value: fmt.Sprint(r.Yellow), Tone: ToneWarn},
			{Label: "Red", Value: fmt.Sprint(r.Red), Tone: ToneBad},
			{Label: "ARR renewing", Value: r.total.String()},
		}}, List{Items: r.items})
	}
	m.Blocks = r.scope.note(m.Blocks)
	return m
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

// data is the totals in major units by currency code.
func (t totals) data() map[string]json.Number {
	out := map[string]json.Number{}
	for c, v := range t {
		out[c] = major(v, c)
	}
	return out
}
