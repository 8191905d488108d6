package domain

import "math"

// Period is the unit of a recurring quantity.
type Period int

const (
	PerWeek Period = iota
	PerMonth
	PerYear
)

func (p Period) perYear() int64 {
	switch p {
	case PerWeek:
		return 52
	case PerMonth:
		return 12
	}
	return 1
}

// AnnualValueFromHours returns the yearly value of hours saved:
// hours per period × periods per year × hourly rate. Hours are given in
// hundredths (450 = 4.5 hours) so fractional hours need no floats.
//
//	4 h/week × 52 × $50 = $10,400; 320 h/month × 12 × $85 = $326,400.
func AnnualValueFromHours(centiHours int64, per Period, rateMinor int64) int64 {
	return MulDiv(centiHours*per.perYear(), rateMinor, 100)
}

// AnnualCost converts a cost per period to a yearly cost.
func AnnualCost(costMinor int64, per Period) int64 { return costMinor * per.perYear() }

// ROI is value-to-cost arithmetic.
type ROI struct {
	AnnualValue   int64   `json:"annual_value_minor"`
	AnnualCost    int64   `json:"annual_cost_minor"`
	ReturnPct     float64 `json:"return_pct"`     // value ÷ cost × 100 (the seed's "ROI: 144%")
	NetReturnPct  float64 `json:"net_return_pct"` // (value − cost) ÷ cost × 100
	PaybackMonths float64 `json:"payback_months"` // cost ÷ monthly value
}

// ComputeROI returns the return on an annual cost. Percentages and months
// are ratios, not money, and are rounded to one decimal.
//
// The seed's renewal example says $72K of value on $50K "pays back in 4.2
// months"; the formula gives 8.3 months (50 ÷ 72 × 12). We follow the formula.
func ComputeROI(value, cost int64) (ROI, error) {
	if cost <= 0 {
		return ROI{}, Errorf(EINVALID, "the cost must be more than zero to compute a return")
	}
	if value < 0 {
		return ROI{}, Errorf(EINVALID, "the value must not be negative")
	}
	r := ROI{AnnualValue: value, AnnualCost: cost}
	r.ReturnPct = round1(float64(value) / float64(cost) * 100)
	r.NetReturnPct = round1(float64(value-cost) / float64(cost) * 100)
	if value > 0 {
		r.PaybackMonths = round1(float64(cost) / float64(value) * 12)
	} else {
		r.PaybackMonths = math.Inf(1)
	}
	return r, nil
}

func round1(v float64) float64 { return math.Round(v*10) / 10 }

// ExpansionStep is one step of an expansion: a fixed amount, or a
// percentage (in basis points) of the running total, as a price increase is.
type ExpansionStep struct {
	Motion   Motion `json:"motion"`
	Amount   int64  `json:"amount_minor,omitempty"`
	PctBasis int64  `json:"pct_basis_points,omitempty"` // 1000 = 10%
}

// ExpansionLine is one applied step.
type ExpansionLine struct {
	Motion Motion `json:"motion"`
	Delta  int64  `json:"delta_minor"`
	Total  int64  `json:"total_minor"`
}

// Expansion is an account's expansion breakdown.
type Expansion struct {
	Base         int64           `json:"base_minor"`
	Lines        []ExpansionLine `json:"lines"`
	Final        int64           `json:"final_minor"`
	ExpansionPct float64         `json:"expansion_pct"` // (final − base) ÷ base × 100
	Multiple     float64         `json:"multiple"`      // final ÷ base
}

// BreakdownExpansion applies the steps in order. The seed's example:
// £5K + upsell £2K + cross-sell £1K + 10% price increase (£0.8K of £8K)
// + seats £1.5K = £10.3K, a 106% expansion.
func BreakdownExpansion(base int64, steps []ExpansionStep) Expansion {
	e := Expansion{Base: base, Final: base}
	for _, s := range steps {
		d := s.Amount
		if s.PctBasis != 0 {
			d = MulDiv(e.Final, s.PctBasis, 10000)
		}
		e.Final += d
		e.Lines = append(e.Lines, ExpansionLine{Motion: s.Motion, Delta: d, Total: e.Final})
	}
	if base > 0 {
		e.ExpansionPct = round1(float64(e.Final-base) / float64(base) * 100)
		e.Multiple = math.Round(float64(e.Final)/float64(base)*100) / 100
	}
	return e
}

// GrowthPct is the percentage growth from one ARR to another ($750K → $1.2M is 60%).
func GrowthPct(from, to int64) float64 {
	if from <= 0 {
		return 0
	}
	return round1(float64(to-from) / float64(from) * 100)
}

// ManagerPayback is the account manager's payback: cost ÷ monthly expansion
// ARR. The seed: £120K cost (salary + comp) for £100K expansion ARR → 14.4,
// "14 months".
func ManagerPayback(costMinor, expansionARRMinor int64) (float64, error) {
	if expansionARRMinor <= 0 {
		return 0, Errorf(EINVALID, "expansion ARR must be more than zero for a payback")
	}
	return round1(float64(costMinor) / float64(expansionARRMinor) * 12), nil
}

// VariableComp is the bonus on expansion revenue: 10% × £200K = £20K.
func VariableComp(expansionMinor, rateBasis int64) int64 {
	return MulDiv(expansionMinor, rateBasis, 10000)
}

// ContractValue is the total value of a multi-year term: $750K × 3 = $2.25M.
func ContractValue(annualMinor int64, years int) int64 { return annualMinor * int64(years) }

// ValueBasis says where an annual value comes from: given directly, or
// hours saved per period × the hourly rate.
type ValueBasis struct {
	Value      int64  `json:"value_minor"`
	HoursCenti int64  `json:"hours_centi,omitempty"` // 0: the value was given directly
	Per        Period `json:"per,omitempty"`
}

// HoursKnown reports whether the value was computed from hours saved.
func (b ValueBasis) HoursKnown() bool { return b.HoursCenti > 0 }

// AccountReturn is an account's return now and, when known, at full
// adoption: the seed's "You've achieved 133% ROI … full platform usage
// would deliver 287%".
type AccountReturn struct {
	Now       ROI         `json:"now"`
	NowBasis  ValueBasis  `json:"now_basis"`
	Full      *ROI        `json:"full,omitempty"`
	FullBasis *ValueBasis `json:"full_basis,omitempty"`
}

// BelowCost reports whether the value delivered so far is less than the
// cost. Such a figure is never presented to the customer as a result.
func (r AccountReturn) BelowCost() bool { return r.Now.AnnualValue < r.Now.AnnualCost }

// ReturnOf computes an account's return on its ARR: value delivered from
// value_delivered, else from hours saved × hourly rate; value at full
// adoption from value_at_full_adoption, else from hours at full adoption ×
// rate. ok is false when there is no ARR or no value input.
func ReturnOf(a *Account) (AccountReturn, bool) {
	var r AccountReturn
	now, ok := valueOf(a.ValueDelivered, a.HoursSavedPerWeek, a.HoursSavedPerMonth, a.HourlyRate)
	if !ok || a.ARR <= 0 {
		return r, false
	}
	roi, err := ComputeROI(now.Value, a.ARR)
	if err != nil {
		return r, false
	}
	r.Now, r.NowBasis = roi, now
	if full, ok := valueOf(a.ValueAtFullAdoption, a.HoursAtFullAdoptionPerWeek, a.HoursAtFullAdoptionPerMonth, a.HourlyRate); ok {
		if f, err := ComputeROI(full.Value, a.ARR); err == nil {
			r.Full, r.FullBasis = &f, &full
		}
	}
	return r, true
}

func valueOf(direct, perWeek, perMonth, rate int64) (ValueBasis, bool) {
	switch {
	case direct > 0:
		return ValueBasis{Value: direct}, true
	case rate <= 0:
		return ValueBasis{}, false
	case perWeek > 0:
		return ValueBasis{Value: AnnualValueFromHours(perWeek, PerWeek, rate), HoursCenti: perWeek, Per: PerWeek}, true
	case perMonth > 0:
		return ValueBasis{Value: AnnualValueFromHours(perMonth, PerMonth, rate), HoursCenti: perMonth, Per: PerMonth}, true
	}
	return ValueBasis{}, false
}
