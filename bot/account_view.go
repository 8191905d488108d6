package bot

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/accountbot/accountbot/domain"
)

// OverviewResult is `account <name>`.
type OverviewResult struct {
	AccountRef
	Owner         string            `json:"owner"`
	ARR           json.Number       `json:"arr"`
	Currency      string            `json:"currency"`
	Tier          int               `json:"tier"`
	Priority      domain.Priority   `json:"priority"`
	Action        string            `json:"action"`
	Combined      int               `json:"combined"`
	DaysToRenewal int               `json:"days_to_renewal"`
	Stage         domain.Stage      `json:"stage"`
	Readiness     domain.Readiness  `json:"readiness"`
	Opportunities []OpportunityData `json:"opportunities"`
	// ARRCheck is set when billing and the CRM disagree on ARR: both
	// values, the difference and which one the rules use.
	ARRCheck *domain.ARRCheck `json:"arr_check,omitempty"`

	a  *domain.Account
	ev domain.Evaluation
}

func (e *Engine) overview(ctx context.Context, c *Call) (Result, error) {
	a, ev := c.Account, e.evaluate(c)
	return &OverviewResult{AccountRef: ref(a), Owner: a.Owner, ARR: major(a.ARR, a.Currency), Currency: a.Currency,
		Tier: ev.Tier.Tier, Priority: ev.Priority, Action: ev.Action.Text, Combined: ev.Health.Combined,
		DaysToRenewal: ev.Renewal.DaysToRenewal, Stage: ev.Renewal.Stage, Readiness: ev.Renewal.Readiness,
		Opportunities: oppData(a, ev.Opportunities), ARRCheck: arrDisagreement(ev), a: a, ev: ev}, nil
}

// arrDisagreement is the evaluation's ARR check when billing and the CRM
// do not agree (nil when they do, or without a billing feed).
func arrDisagreement(ev domain.Evaluation) *domain.ARRCheck {
	if ev.ARRCheck == nil || ev.ARRCheck.Agree() {
		return nil
	}
	return ev.ARRCheck
}

// Message draws the overview.
func (r *OverviewResult) Message() *Message {
	a, ev, h := r.a, &r.ev, r.ev.Health
	m := &Message{Title: header(a, r.Tier, "")}
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
	if r.ARRCheck != nil {
		m.Blocks = append(m.Blocks, List{Items: []Item{{Text: r.ARRCheck.Text, Tone: ToneWarn}}})
	}
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
	return m
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

// HealthResult is `account <name> health`.
type HealthResult struct {
	AccountRef
	Tier                 int               `json:"tier"`
	Engagement           int               `json:"engagement"`
	RevenuePotential     int               `json:"revenue_potential"`
	RetentionRisk        int               `json:"retention_risk"`
	Combined             int               `json:"combined"`
	EngagementBand       domain.Band       `json:"engagement_band"`
	RevenuePotentialBand domain.Band       `json:"revenue_potential_band"`
	RetentionRiskBand    domain.Band       `json:"retention_risk_band"`
	Max                  HealthMaxima      `json:"max"`
	Priority             domain.Priority   `json:"priority"`
	PriorityReason       string            `json:"priority_reason"`
	Action               domain.Action     `json:"action"`
	Reasons              []domain.Reason   `json:"reasons"`
	Stage                domain.Stage      `json:"stage"`
	Triggers             []OpportunityData `json:"triggers"`
	AsOf                 domain.Date       `json:"as_of"`

	a     *domain.Account
	ev    domain.Evaluation
	trend *Trend
}

// HealthMaxima are the most points each dimension can give (the retention
// risk's is its most negative), from the configured rule points.
type HealthMaxima struct {
	Engagement       int `json:"engagement"`
	RevenuePotential int `json:"revenue_potential"`
	RetentionRisk    int `json:"retention_risk"`
}

func healthMaxima(h domain.HealthConfig) HealthMaxima {
	return HealthMaxima{
		Engagement:       h.ActiveUsersUpPoints + h.HighAdoptionPoints + h.UserGrowthPoints,
		RevenuePotential: h.WhitespacePoints + h.BudgetPoints + h.GrowingPoints + h.ExecutivePoints,
		RetentionRisk:    -(h.UsageDeclinePoints + h.TicketsPoints + h.ChampionLeftPoints + h.CompetitorPoints),
	}
}

func (e *Engine) health(ctx context.Context, c *Call) (Result, error) {
	a, ev := c.Account, e.evaluate(c)
	h := ev.Health
	reasons := h.Reasons
	if reasons == nil {
		reasons = []domain.Reason{}
	}
	return &HealthResult{AccountRef: ref(a), Tier: ev.Tier.Tier,
		Engagement: h.Engagement, RevenuePotential: h.RevenuePotential, RetentionRisk: h.RetentionRisk, Combined: h.Combined,
		EngagementBand: h.EngagementBand, RevenuePotentialBand: h.PotentialBand, RetentionRiskBand: h.RiskBand,
		Max: healthMaxima(e.Rules().Health), Priority: ev.Priority, PriorityReason: ev.PriorityReason, Action: ev.Action,
		Reasons: reasons, Stage: ev.Renewal.Stage, Triggers: oppData(a, ev.Opportunities), AsOf: c.Today,
		a: a, ev: ev, trend: e.trendBlock(ctx, a, c.Today)}, nil
}

// Message draws the health screen.
func (r *HealthResult) Message() *Message {
	a, ev, h, mx := r.a, &r.ev, r.ev.Health, r.Max
	m := &Message{Title: header(a, r.Tier, "health")}
	m.Blocks = append(m.Blocks,
		Section{Fields: []Field{
			{Label: "Engagement", Value: fmt.Sprintf("%d / %d (%s)", h.Engagement, mx.Engagement, h.EngagementBand), Tone: bandTone(h.EngagementBand, false)},
			{Label: "Revenue potential", Value: fmt.Sprintf("%d / %d (%s)", h.RevenuePotential, mx.RevenuePotential, h.PotentialBand), Tone: bandTone(h.PotentialBand, false)},
			{Label: "Retention risk", Value: fmt.Sprintf("%d / %d (%s risk)", h.RetentionRisk, mx.RetentionRisk, h.RiskBand), Tone: bandTone(h.RiskBand, true)},
			{Label: "Combined", Value: fmt.Sprint(h.Combined)},
			{Label: "Priority", Value: ev.Priority.Label(), Tone: priorityTone(ev.Priority)},
			{Label: "Tier", Value: fmt.Sprintf("Tier %d", ev.Tier.Tier)},
		}},
		List{Title: "Why", Items: reasonItems(h)},
		Section{Text: "Next action: " + ev.Action.Text},
	)
	if r.trend != nil {
		m.Blocks = append(m.Blocks, *r.trend)
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
	return m
}

// TierResult is `account <name> tier`.
type TierResult struct {
	AccountRef
	Tier            int    `json:"tier"`
	TierByARR       int    `json:"tier_by_arr"`
	Reason          string `json:"reason"`
	CadenceDays     int    `json:"cadence_days"`
	RenewalLeadDays int    `json:"renewal_lead_days"`
	Engagement      string `json:"engagement"`
	// PreviousTier is the tier of the last stored score when it differs.
	PreviousTier   int         `json:"previous_tier,omitempty"`
	PreviousTierAt domain.Date `json:"previous_tier_at,omitempty"`
}

func (e *Engine) tier(ctx context.Context, c *Call) (Result, error) {
	a, t := c.Account, e.evaluate(c).Tier
	r := &TierResult{AccountRef: ref(a), Tier: t.Tier, TierByARR: t.ByARR, Reason: t.Reason,
		CadenceDays: t.CadenceDays, RenewalLeadDays: t.RenewalLeadDays, Engagement: t.Engagement}
	if hist, err := e.Store.ScoreHistory(ctx, a.ID, c.Today.AddDays(-91), c.Today.AddDays(-1)); err == nil && len(hist) > 0 && hist[len(hist)-1].Tier != t.Tier {
		prev := hist[len(hist)-1]
		r.PreviousTier, r.PreviousTierAt = prev.Tier, prev.Date
	}
	return r, nil
}

// Message draws the tier.
func (r *TierResult) Message() *Message {
	cadence := "automated engagement"
	if r.CadenceDays > 0 {
		cadence = fmt.Sprintf("a check-in every %d days", r.CadenceDays)
	}
	m := &Message{Title: fmt.Sprintf("%s — Tier %d — tier", r.Name, r.Tier)}
	m.Blocks = append(m.Blocks,
		Section{Text: r.Reason + "."},
		Section{Fields: []Field{
			{Label: "Tier", Value: fmt.Sprintf("Tier %d", r.Tier)},
			{Label: "Tier by ARR alone", Value: fmt.Sprintf("Tier %d", r.TierByARR)},
			{Label: "Cadence", Value: cadence},
			{Label: "Renewal playbook starts", Value: fmt.Sprintf("%d days before renewal", r.RenewalLeadDays)},
		}},
		Context{Text: r.Engagement},
	)
	if r.PreviousTier != 0 {
		m.Blocks = append(m.Blocks, Context{Text: fmt.Sprintf("Changed from Tier %d (as of %s).", r.PreviousTier, r.PreviousTierAt)})
	}
	return m
}
