package bot

import (
	"context"
	"fmt"
	"time"

	"github.com/accountbot/accountbot/domain"
)

// RulesLog reads the recorded rules versions (the store implements it).
type RulesLog interface {
	LatestRules(ctx context.Context) (domain.RulesVersion, bool, error)
}

// Rules returns the scoring rules in force.
func (e *Engine) Rules() domain.Config { return *e.rules.Load() }

// SetRules puts a new rule set in force while commands run (a rules
// version applied to a running serve). Trends cached under the old rules
// are dropped.
func (e *Engine) SetRules(cfg domain.Config) {
	e.rules.Store(&cfg)
	e.trends.mu.Lock()
	e.trends.m = nil
	e.trends.mu.Unlock()
}

// PortfolioRulesResult is `portfolio rules` (admins): the rules version in
// force, who applied it, when and why, and what it changed.
type PortfolioRulesResult struct {
	Version      int                 `json:"version"` // 0: none recorded yet
	By           string              `json:"by"`
	AppliedAt    time.Time           `json:"applied_at"`
	Note         string              `json:"note"`
	RestoredFrom int                 `json:"restored_from,omitempty"` // a rollback to this version
	Changes      []domain.RuleChange `json:"changes"`                 // against the version before
	// Unavailable says why there is nothing to show, so the answer is
	// still the declared result.
	Unavailable string `json:"unavailable,omitempty"`
}

func (e *Engine) registerPortfolioRules() {
	e.reg.MustRegister(Verb{Noun: "portfolio", Name: "rules", Access: domain.ScopeAdmin,
		Help:   "the scoring rules version in force (admins): who applied it, when, why, and what it changed",
		Result: &PortfolioRulesResult{}, Run: e.portfolioRules})
}

func (e *Engine) portfolioRules(ctx context.Context, c *Call) (Result, error) {
	r := &PortfolioRulesResult{Changes: []domain.RuleChange{}}
	if e.RulesLog == nil {
		r.Unavailable = "Rules versions are not available in this process; run `accountbot rules history` on the server."
		return r, nil
	}
	v, found, err := e.RulesLog.LatestRules(ctx)
	if err != nil {
		return nil, fmt.Errorf("reading the rules version: %w", err)
	}
	if !found {
		r.Unavailable = "No rules version is recorded yet: the config file's rules are in force. `accountbot rules apply FILE --note WHY` records one."
		return r, nil
	}
	r.Version, r.By, r.AppliedAt, r.Note, r.RestoredFrom = v.Version, v.By, v.At.UTC(), v.Note, v.RestoredFrom
	if v.Changes != nil {
		r.Changes = v.Changes
	}
	return r, nil
}

// maxRuleChanges bounds the changes listed in chat (`accountbot rules
// history` prints them all).
const maxRuleChanges = 15

// Message draws the version, its note and its changes.
func (r *PortfolioRulesResult) Message() *Message {
	m := &Message{Title: "Scoring rules"}
	if r.Unavailable != "" {
		m.Blocks = append(m.Blocks, Section{Text: r.Unavailable})
		return m
	}
	m.Title = fmt.Sprintf("Scoring rules v%d", r.Version)
	text := fmt.Sprintf("Applied %s by %s", r.AppliedAt.Format("2006-01-02 15:04 UTC"), r.By)
	if r.Note != "" {
		text += fmt.Sprintf(": “%s”", r.Note)
	}
	if r.RestoredFrom > 0 {
		text += fmt.Sprintf(" (a rollback to the rules of v%d)", r.RestoredFrom)
	}
	m.Blocks = append(m.Blocks, Section{Text: text})
	switch {
	case r.Version == 1:
		m.Blocks = append(m.Blocks, Context{Text: "The first recorded version: nothing to compare it with."})
	case len(r.Changes) == 0:
		m.Blocks = append(m.Blocks, Context{Text: fmt.Sprintf("No rule changed from v%d.", r.Version-1)})
	default:
		l := List{Title: fmt.Sprintf("Changed from v%d", r.Version-1)}
		for i, ch := range r.Changes {
			if i == maxRuleChanges {
				l.Items = append(l.Items, Item{Text: fmt.Sprintf("… and %d more (`accountbot rules history`)", len(r.Changes)-i)})
				break
			}
			l.Items = append(l.Items, Item{Text: ch.String()})
		}
		m.Blocks = append(m.Blocks, l)
	}
	return m
}
