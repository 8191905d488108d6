package bot

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/accountbot/accountbot/domain"
)

var roiKeys = []string{"hours_per_week", "hours_per_month", "rate", "cost_per_year", "cost_per_month"}

func (e *Engine) roi(ctx context.Context, c *Call) (*Message, error) {
	a := c.Account
	in := map[string]int64{}
	for _, arg := range c.Parsed.Args {
		k, v, ok := strings.Cut(arg, "=")
		k = strings.ToLower(strings.TrimSpace(k))
		if !ok || !slices.Contains(roiKeys, k) {
			return nil, domain.Errorf(domain.EINVALID, "%q is not an roi input. Use key=value with keys: %s.", arg, strings.Join(roiKeys, ", "))
		}
		cur := a.Currency
		if strings.HasPrefix(k, "hours") {
			cur = "USD" // hours in hundredths, like cents
		}
		n, err := domain.ParseMajor(strings.TrimLeft(v, "$£€"), cur)
		if err != nil || n < 0 {
			return nil, domain.Errorf(domain.EINVALID, "%s=%q is not a non-negative number.", k, v)
		}
		in[k] = n
	}
	if _, w := in["hours_per_week"]; w {
		if _, m := in["hours_per_month"]; m {
			return nil, domain.Errorf(domain.EINVALID, "Give hours_per_week or hours_per_month, not both.")
		}
	}
	if _, y := in["cost_per_year"]; y {
		if _, m := in["cost_per_month"]; m {
			return nil, domain.Errorf(domain.EINVALID, "Give cost_per_year or cost_per_month, not both.")
		}
	}
	var hours int64
	per, src := domain.PerWeek, "given"
	switch {
	case in["hours_per_week"] > 0:
		hours = in["hours_per_week"]
	case in["hours_per_month"] > 0:
		hours, per = in["hours_per_month"], domain.PerMonth
	case a.HoursSavedPerWeek > 0:
		hours, src = a.HoursSavedPerWeek, "stored"
	case a.HoursSavedPerMonth > 0:
		hours, per, src = a.HoursSavedPerMonth, domain.PerMonth, "stored"
	default:
		return nil, domain.Errorf(domain.EINVALID, "How many hours does %s save? Nothing is stored for this account: give hours_per_week=N or hours_per_month=N.", a.Name)
	}
	rate, rateSrc := in["rate"], "given"
	if rate == 0 {
		rate, rateSrc = a.HourlyRate, "stored"
	}
	if rate == 0 {
		return nil, domain.Errorf(domain.EINVALID, "What is %s's hourly rate? Nothing is stored: give rate=N (per hour, in %s).", a.Name, a.Currency)
	}
	cost, costSrc := in["cost_per_year"], "given"
	if m := in["cost_per_month"]; m > 0 {
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
	ev := e.evaluate(c)
	m := &Message{Title: header(a, &ev, "ROI")}
	payback := "never (no value)"
	if !math.IsInf(r.PaybackMonths, 1) {
		payback = fmt.Sprintf("%.1f months", r.PaybackMonths)
	}
	m.Blocks = append(m.Blocks,
		Section{Text: fmt.Sprintf("%s hours per %s × %d × %s per hour = %s of value a year.",
			hoursText, unit, map[domain.Period]int{domain.PerWeek: 52, domain.PerMonth: 12}[per], a.Money(rate).Format(), a.Money(value).Format())},
		Section{Fields: []Field{
			{Label: "Annual value", Value: a.Money(value).Format()},
			{Label: "Annual cost", Value: a.Money(cost).Format()},
			{Label: "Return (value ÷ cost)", Value: fmt.Sprintf("%.1f%%", r.ReturnPct)},
			{Label: "Net return", Value: fmt.Sprintf("%.1f%%", r.NetReturnPct)},
			{Label: "Payback", Value: payback},
		}},
		Context{Text: fmt.Sprintf("Hours: %s; rate: %s; cost: %s.", src, rateSrc, costSrc)},
	)
	data := map[string]any{"id": a.ID, "name": a.Name, "annual_value": major(value, a.Currency), "annual_cost": major(cost, a.Currency),
		"return_pct": r.ReturnPct, "net_return_pct": r.NetReturnPct, "currency": a.Currency}
	if !math.IsInf(r.PaybackMonths, 1) {
		data["payback_months"] = r.PaybackMonths
	} else {
		data["payback_months"] = nil
	}
	m.Data = data
	return m, nil
}
