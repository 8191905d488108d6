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
// product returns no value.
type ROIResult struct {
	AccountRef
	AnnualValue   json.Number `json:"annual_value"`
	AnnualCost    json.Number `json:"annual_cost"`
	ReturnPct     float64     `json:"return_pct"`
	NetReturnPct  float64     `json:"net_return_pct"`
	PaybackMonths *float64    `json:"payback_months" jsonschema:"nullable"`
	Currency      string      `json:"currency"`

	tier                int
	formula             string
	hoursSrc, rateSrc   string
	costSrc             string
	valueText, costText string
}

func (e *Engine) roi(ctx context.Context, c *Call) (Result, error) {
	a := c.Account
	in := c.Args
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
		ReturnPct: r.ReturnPct, NetReturnPct: r.NetReturnPct, Currency: a.Currency, tier: e.evaluate(c).Tier.Tier,
		hoursSrc: src, rateSrc: rateSrc, costSrc: costSrc, valueText: a.Money(value).Format(), costText: a.Money(cost).Format()}
	if !math.IsInf(r.PaybackMonths, 1) {
		res.PaybackMonths = &r.PaybackMonths
	}
	res.formula = fmt.Sprintf("%s hours per %s × %d × %s per hour = %s of value a year.",
		hoursText, unit, map[domain.Period]int{domain.PerWeek: 52, domain.PerMonth: 12}[per], a.Money(rate).Format(), res.valueText)
	return res, nil
}

// Message draws the ROI.
func (r *ROIResult) Message() *Message {
	m := &Message{Title: fmt.Sprintf("%s — Tier %d — ROI", r.Name, r.tier)}
	payback := "never (no value)"
	if r.PaybackMonths != nil {
		payback = fmt.Sprintf("%.1f months", *r.PaybackMonths)
	}
	m.Blocks = append(m.Blocks,
		Section{Text: r.formula},
		Section{Fields: []Field{
			{Label: "Annual value", Value: r.valueText},
			{Label: "Annual cost", Value: r.costText},
			{Label: "Return (value ÷ cost)", Value: fmt.Sprintf("%.1f%%", r.ReturnPct)},
			{Label: "Net return", Value: fmt.Sprintf("%.1f%%", r.NetReturnPct)},
			{Label: "Payback", Value: payback},
		}},
		Context{Text: fmt.Sprintf("Hours: %s; rate: %s; cost: %s.", r.hoursSrc, r.rateSrc, r.costSrc)},
	)
	return m
}
