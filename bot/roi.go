package bot

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"strings"

	"github.com/accountbot/accountbot/domain"
)

// ROIResult is `account <name> roi`; PaybackMonths is null when the
// product returns no value. FullAdoption is the return once every feature
// the customer pays for is in use, when the account says what that is
// worth (value_at_full_adoption, or hours at full adoption × rate).
type ROIResult struct {
	AccountRef
	AnnualValue   json.Number `json:"annual_value"`
	AnnualCost    json.Number `json:"annual_cost"`
	ReturnPct     float64     `json:"return_pct"`
	NetReturnPct  float64     `json:"net_return_pct"`
	PaybackMonths *float64    `json:"payback_months" jsonschema:"nullable"`
	Currency      string      `json:"currency"`
	// ValueSource is where the annual value comes from: "value_delivered"
	// (stored), "hours" (hours saved × rate, stored or given).
	ValueSource  string     `json:"value_source"`
	BelowCost    bool       `json:"below_cost"`
	FullAdoption *ROIFigure `json:"full_adoption,omitempty"`

	tier                int
	formula             string
	hoursSrc, rateSrc   string
	costSrc             string
	valueText, costText string
	fullText            string
}

// ROIFigure is one return: value, return, net return and payback.
type ROIFigure struct {
	AnnualValue   json.Number `json:"annual_value"`
	ReturnPct     float64     `json:"return_pct"`
	NetReturnPct  float64     `json:"net_return_pct"`
	PaybackMonths *float64    `json:"payback_months" jsonschema:"nullable"`
}

func payback(r domain.ROI) *float64 {
	if math.IsInf(r.PaybackMonths, 1) {
		return nil
	}
	p := r.PaybackMonths
	return &p
}

func (e *Engine) roi(ctx context.Context, c *Call) (Result, error) {
	a := c.Account
	in := c.Args
	given := in.Has("hours_per_week") || in.Has("hours_per_month") || in.Has("rate")
	if ret, ok := domain.ReturnOf(a); ok && a.ValueDelivered > 0 && !given && !in.Has("cost_per_year") && !in.Has("cost_per_month") {
		return e.storedROI(c, ret), nil
	}
	var hours int64
	per, src := domain.PerWeek, "given"
	switch {
	case in.Int("hours_per_week") > 0:
		hours = in.Int("hours_per_week")
	case in.Int("hours_per_month") > 0:
		hours, per = in.Int("hours_per_month"), domain.PerMonth
	case a.HoursSavedPerWeek > 0:
		hours, src = a.HoursSavedPerWeek, "stored"
	case a.HoursSavedPerMonth > 0:
		hours, per, src = a.HoursSavedPerMonth, domain.PerMonth, "stored"
	default:
		return nil, domain.Errorf(domain.EINVALID, "How many hours does %s save? Nothing is stored for this account: give hours_per_week=N or hours_per_month=N.", a.Name)
	}
	rate, rateSrc := in.Int("rate"), "given"
	if rate == 0 {
		rate, rateSrc = a.HourlyRate, "stored"
	}
	if rate == 0 {
		return nil, domain.Errorf(domain.EINVALID, "What is %s's hourly rate? Nothing is stored: give rate=N (per hour, in %s).", a.Name, a.Currency)
	}
	cost, costSrc := in.Int("cost_per_year"), "given"
	if m := in.Int("cost_per_month"); m > 0 {
		cost = domain.AnnualCost(m, domain.PerMonth)
	}
	if cost == 0 {
		cost, costSrc = a.ARR, "the account's ARR"
	}
	value := domain.AnnualValueFromHours(hours, per, rate)
	r, err := domain.ComputeROI(value, cost)
	if err != nil {
		return nil, err
	}
	unit := "week"
	if per == domain.PerMonth {
		unit = "month"
	}
	hoursText := domain.MajorString(hours, "USD")
	hoursText = strings.TrimSuffix(strings.TrimSuffix(hoursText, "00"), ".")
	res := &ROIResult{AccountRef: ref(a), AnnualValue: major(value, a.Currency), AnnualCost: major(cost, a.Currency),
		ReturnPct: r.ReturnPct, NetReturnPct: r.NetReturnPct, PaybackMonths: payback(r), Currency: a.Currency, ValueSource: "hours",
		BelowCost: value < cost, tier: e.evaluate(c).Tier.Tier,
		hoursSrc: src, rateSrc: rateSrc, costSrc: costSrc, valueText: a.Money(value).Format(), costText: a.Money(cost).Format()}
	res.formula = fmt.Sprintf("%s hours per %s × %d × %s per hour = %s of value a year.",
		hoursText, unit, map[domain.Period]int{domain.PerWeek: 52, domain.PerMonth: 12}[per], a.Money(rate).Format(), res.valueText)
	// At full adoption, when the account says what it is worth (the hours
	// at full adoption at this rate), on its own ARR: a stored value at
	// full adoption says nothing about a hypothetical cost.
	if full := domain.ValueAtFull(a, rate); full > 0 && cost == a.ARR {
		if f, err := domain.ComputeROI(full, cost); err == nil {
			res.setFull(a, f)
		}
	}
	return res, nil
}

// storedROI is the account's own value inputs: value delivered to date and,
// when known, at full adoption (the seed's "133% now → 287% at full
// adoption").
func (e *Engine) storedROI(c *Call, ret domain.AccountReturn) *ROIResult {
	a, r := c.Account, ret.Now
	res := &ROIResult{AccountRef: ref(a), AnnualValue: major(r.AnnualValue, a.Currency), AnnualCost: major(r.AnnualCost, a.Currency),
		ReturnPct: r.ReturnPct, NetReturnPct: r.NetReturnPct, PaybackMonths: payback(r), Currency: a.Currency, ValueSource: "value_delivered",
		BelowCost: ret.BelowCost(), tier: e.evaluate(c).Tier.Tier, hoursSrc: "not used", rateSrc: "not used", costSrc: "the account's ARR",
		valueText: a.Money(r.AnnualValue).Format(), costText: a.Money(r.AnnualCost).Format()}
	res.formula = fmt.Sprintf("Value delivered to date: %s a year (stored), on %s a year.", res.valueText, res.costText)
	if ret.Full != nil {
		res.setFull(a, *ret.Full)
	}
	return res
}

func (r *ROIResult) setFull(a *domain.Account, f domain.ROI) {
	r.FullAdoption = &ROIFigure{AnnualValue: major(f.AnnualValue, a.Currency), ReturnPct: f.ReturnPct, NetReturnPct: f.NetReturnPct, PaybackMonths: payback(f)}
	r.fullText = a.Money(f.AnnualValue).Format()
}

// Message draws the ROI: now, and at full adoption when known.
func (r *ROIResult) Message() *Message {
	m := &Message{Title: fmt.Sprintf("%s — Tier %d — ROI", r.Name, r.tier)}
	paybackText := func(p *float64) string {
		if p == nil {
			return "never (no value)"
		}
		return fmt.Sprintf("%.1f months", *p)
	}
	fields := []Field{
		{Label: "Annual value", Value: r.valueText},
		{Label: "Annual cost", Value: r.costText},
		{Label: "Return (value ÷ cost)", Value: fmt.Sprintf("%.1f%%", r.ReturnPct)},
		{Label: "Net return", Value: fmt.Sprintf("%.1f%%", r.NetReturnPct)},
		{Label: "Payback", Value: paybackText(r.PaybackMonths)},
	}
	if f := r.FullAdoption; f != nil {
		fields[0].Value = r.valueText + " now → " + r.fullText + " at full adoption"
		fields[2].Value = fmt.Sprintf("%.1f%% now → %.1f%% at full adoption", r.ReturnPct, f.ReturnPct)
		fields[3].Value = fmt.Sprintf("%.1f%% now → %.1f%% at full adoption", r.NetReturnPct, f.NetReturnPct)
		fields[4].Value = paybackText(r.PaybackMonths) + " now → " + paybackText(f.PaybackMonths) + " at full adoption"
	}
	m.Blocks = append(m.Blocks, Section{Text: r.formula}, Section{Fields: fields})
	if r.BelowCost {
		m.Blocks = append(m.Blocks, Context{Text: "The value so far is below the cost: never present this return to the customer as a result; drafts use a value-realisation plan instead."})
	}
	m.Blocks = append(m.Blocks, Context{Text: fmt.Sprintf("Hours: %s; rate: %s; cost: %s.", r.hoursSrc, r.rateSrc, r.costSrc)})
	return m
}
