package bot

import (
	"context"
	"fmt"
	"strings"

	"github.com/accountbot/accountbot/domain"
)

// forArg narrows a portfolio command to one owner ("for ana", "for all").
var forArg = Arg{Name: "for", Kind: KindWords, Form: Keyword, Usage: "[for <owner>]",
	Help: "an owner (e-mail or its start), me, or all; default: your accounts when you own some"}

func (e *Engine) registerPortfolioVerbs() {
	scoped := []Arg{forArg}
	e.reg.MustRegister(
		Verb{Noun: "portfolio", Name: "", Args: scoped, Help: "same as portfolio top", Result: &TopResult{}, Run: e.top},
		Verb{Noun: "portfolio", Name: "dashboard", Aliases: []string{"home"}, Args: scoped, Help: "your dashboard: top accounts, renewals in the next 6 months, tier mix (Slack's App Home)",
			Result: &DashboardResult{}, Run: e.dashboard},
		Verb{Noun: "portfolio", Name: "top", Args: scoped, Help: "the accounts that most need you today, each with its one action", Result: &TopResult{}, Run: e.top},
		Verb{Noun: "portfolio", Name: "renewals", Args: scoped, Help: "renewals in the next 6 months with stage and readiness", Result: &RenewalsResult{}, Run: e.renewals},
		Verb{Noun: "portfolio", Name: "allocation", Args: scoped, Help: "how to split your week across tiers", Result: &AllocationResult{}, Run: e.allocation},
		Verb{Noun: "portfolio", Name: "nrr", Args: []Arg{forArg, {Name: "months", Kind: KindInt, Form: Keyword, Min: 1, Max: 60, Default: "12", Usage: "[months=12]", Help: "the period in months"}},
			Help: "net and gross revenue retention, expansion by motion", Result: &NRRResult{}, Run: e.nrr},
		Verb{Noun: "portfolio", Name: "economics", Args: scoped, Help: "account-manager economics: accounts per manager by segment against the seed's ratios, workload, payback, variable pay, NRR and ACV growth against the targets",
			Result: &EconomicsResult{}, Run: e.economics},
		Verb{Noun: "portfolio", Name: "tiers", Args: scoped, Help: "tier mix: accounts and ARR per tier", Result: &TiersResult{}, Run: e.tiers},
		Verb{Noun: "portfolio", Name: "owners", Help: "the CSMs in the book and their account counts", Result: &OwnersResult{}, Run: e.owners},
		Verb{Noun: "portfolio", Name: "settings", Writes: true, Args: settingsArgs,
			Help: "your nudge settings: daily digest time, time zone, quiet hours", Result: &SettingsResult{}, Run: e.settings},
		Verb{Noun: "portfolio", Name: "nudges", Help: "nudges: your schedule, what is due, what was sent and what failed", Result: &NudgeStatusResult{}, Run: e.nudges},
		Verb{Noun: "portfolio", Name: "outcomes", Args: scoped, Help: "logged outcomes: win rate and ARR won by motion, last 12 months", Result: &OutcomesResult{}, Run: e.outcomes},
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

// resolveScope reads "for <owner>", or uses the asker's own accounts, or
// the whole book.
func (e *Engine) resolveScope(ctx context.Context, c *Call) (scope, error) {
	who := strings.ToLower(strings.TrimSpace(c.Args.Text("for")))
	owners, err := e.ownerCounts(ctx)
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

// TopFor returns the n highest-priority evaluations of an owner's accounts
// ("" for the whole book); the scheduler's daily digest uses it too.
func (e *Engine) TopFor(ctx context.Context, owner string, today domain.Date, n int) ([]domain.Evaluation, int, error) {
	if items, count, ok, err := e.topFromRanks(ctx, owner, today, n); ok || err != nil {
		return items, count, err
	}
	top := domain.TopN{N: n}
	count := 0
	err := e.each(ctx, scope{Owner: owner}, func(a *domain.Account) error {
		count++
		top.Add(domain.Evaluate(a, today, e.Rules()))
		return nil
	})
	return top.Items, count, err
}
