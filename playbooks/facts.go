package playbooks

import (
	"encoding/json"
	"fmt"
	"math"
	"strings"

	"github.com/accountbot/accountbot/bot"
	"github.com/accountbot/accountbot/domain"
)

// Facts is the typed data every template receives. Every figure in it comes
// from the account or the domain arithmetic, never from free-text notes.
// Each claim a template may make to the customer is guarded by the one field
// that supports it ("champion recently left" by ChampionLeft, "the limits of
// your plan" by LimitNear, "tools outside the platform" by Integration,
// hours saved by ROI.Hours…); absent data is left empty or false.
type Facts struct {
	ID, Name, Owner, ARR string
	Tier                 int
	Priority             string
	Adoption             string // "50%", when feature counts are known
	FeaturesAdopted      int
	FeaturesAvailable    int
	UnusedFeatures       int
	Benchmark            string
	Strengths            []string // engagement rules that fired, from usage data

	// Value. ROI is set only when the value delivered is at least the cost:
	// a below-cost return is never presented as a result. BelowCost switches
	// the draft to a value-realisation plan (and warns the CSM).
	ROI        *ROIFacts
	BelowCost  bool
	Full       *FullFacts // value at full adoption, when known and above the value now
	Whitespace string     // value at full adoption minus value delivered

	// Claims, each from its own field.
	ChampionLeft     bool   // the champion_left rule fired
	FormerChampion   string // the departed champion's name, when recorded
	Executive        string // an active executive, "Name (Role)"
	ExecGap          bool   // that executive was last contacted outside the engagement window
	ExecNever        bool   // that executive was never contacted
	LimitNear        *LimitFacts
	Integration      bool // an integration signal is behind a module opportunity
	CompetitorActive bool // a competitor signal within the recency window
	Hiring           int  // headcount of a hiring signal that fired a trigger

	// Opportunities: every fired one (QBR), the one drafted (expand), and
	// those a renewal proposal can carry.
	Opportunities []OppFacts
	Opportunity   OppFacts
	Expansion     []OppFacts // fired, not on hold, other than multi-year and price increase
	MultiYear     *MultiYearFacts
	PriceIncrease string // "5%–10% ($X–$Y)": only when it fired and no competitor is active
	Hold          bool
	Years         int // the multi-year offer's length
	DeferDays     int // how long to ask the customer to defer a competitor's evaluation

	Positioning, Problem, Offer string

	Renewal           string
	RenewalDate       string
	Stage, StageTitle string
	Readiness         string
	ReadinessNotes    []string
	Risks             []string // for the CSM: they may quote free text
	Term              string

	notes *[]string // internal notes the templates add with .Note
}

// ROIFacts are the formatted figures of a return at or above cost.
type ROIFacts struct {
	Hours                              string // "320 hours per month"; empty when the value was given directly
	Rate, Value, Cost, Return, Payback string
}

// FullFacts is the projected value at full adoption.
type FullFacts struct{ Value, Return string }

// LimitFacts is a plan limit at or past the warning threshold.
type LimitFacts struct{ Name, Used string }

// MultiYearFacts is the multi-year offer: years × annual ARR.
type MultiYearFacts struct {
	Years       int
	Annual, TCV string
}

// OppFacts is a formatted opportunity. Pitch is safe for the customer (typed
// data only); Evidence (which may quote notes) and Uplift are for the CSM.
type OppFacts struct {
	Title, Pitch, Evidence, Uplift, Motion string
	Hold                                   bool // adoption first: not for the customer yet
}

// Line is the pitch as a sentence start ("Access for the 12 new people joining").
func (o OppFacts) Line() string {
	if o.Pitch == "" {
		return ""
	}
	return strings.ToUpper(o.Pitch[:1]) + o.Pitch[1:]
}

// Internal is the opportunity as the CSM needs it: title, evidence, uplift.
func (o OppFacts) Internal() string {
	s := o.Title + ": " + o.Evidence
	if o.Uplift != "" {
		s += " (est. +" + o.Uplift + " ARR)"
	}
	if o.Hold {
		s += " — on hold: drive adoption first"
	}
	return s
}

// seedDeferDays is the case study's deferral of the competitor's evaluation.
const seedDeferDays = 90

// Note adds an internal note for the CSM and renders nothing, so templates
// keep what is not for the customer out of the customer text:
// {{.Note "Evidence: %s" .Opportunity.Evidence}}.
func (f Facts) Note(format string, args ...any) string {
	if f.notes != nil {
		*f.notes = append(*f.notes, fmt.Sprintf(format, args...))
	}
	return ""
}

func buildFacts(req bot.DraftRequest) (Facts, []string) {
	a, ev := req.Account, req.Evaluation
	f := Facts{ID: a.ID, Name: a.Name, Owner: a.Owner, ARR: ev.ARR.Format(), Tier: ev.Tier.Tier, Priority: ev.Priority.Label(),
		FeaturesAdopted: a.FeaturesAdopted, FeaturesAvailable: a.FeaturesAvailable,
		Stage: string(ev.Renewal.Stage), StageTitle: ev.Renewal.StageTitle, Readiness: string(ev.Renewal.Readiness),
		// The multi-year length of a fired trigger replaces this default below.
		Years: domain.DefaultConfig().Triggers.MultiYearYears, DeferDays: seedDeferDays, notes: &[]string{}}
	var missing []string
	if v, ok := a.Adoption(); ok {
		f.Adoption = fmt.Sprintf("%.0f%%", v*100)
		f.UnusedFeatures = a.FeaturesAvailable - a.FeaturesAdopted
		if req.Book != nil && len(req.Book.Adoption) >= 4 {
			p := req.Book.AdoptionPercentile(v * 100)
			f.Benchmark = fmt.Sprintf("By adoption, %s is ahead of %.0f%% of the %d accounts in our book", a.Name, p, len(req.Book.Adoption))
			if p >= 75 {
				f.Benchmark += fmt.Sprintf(" (top %.0f%%)", math.Max(1, 100-p))
			}
			f.Benchmark += "."
		}
	} else {
		missing = append(missing, "feature adoption")
	}
	if !valueFacts(a, &f) {
		missing = append(missing, "value delivered (value_delivered, or hours saved and hourly rate)")
	}
	claimFacts(a, ev, &f)
	opportunityFacts(a, ev, &f)
	if !a.RenewalDate.IsZero() {
		f.RenewalDate = a.RenewalDate.String()
		if ev.Renewal.DaysToRenewal >= 0 {
			f.Renewal = fmt.Sprintf("on %s, in %d days", a.RenewalDate, ev.Renewal.DaysToRenewal)
		} else {
			f.Renewal = fmt.Sprintf("was due on %s", a.RenewalDate)
		}
	} else {
		missing = append(missing, "renewal date")
	}
	for _, i := range ev.Renewal.Indicators {
		if i.Status != domain.Green {
			f.ReadinessNotes = append(f.ReadinessNotes, fmt.Sprintf("%s (%s): %s", i.Name, i.Status, i.Evidence))
		}
	}
	if a.TermMonths > 0 {
		f.Term = fmt.Sprintf("%d-month term", a.TermMonths)
	}
	return f, missing
}

// valueFacts fills the value figures; false when no value input is known.
func valueFacts(a *domain.Account, f *Facts) bool {
	r, ok := domain.ReturnOf(a)
	if !ok {
		return false
	}
	if f.BelowCost = r.BelowCost(); !f.BelowCost {
		f.ROI = &ROIFacts{Rate: a.Money(a.HourlyRate).Format(), Value: a.Money(r.Now.AnnualValue).Format(), Cost: a.Money(a.ARR).Format(),
			Return: fmt.Sprintf("%.0f%%", r.Now.ReturnPct), Payback: fmt.Sprintf("%.1f months", r.Now.PaybackMonths)}
		if b := r.NowBasis; b.HoursKnown() {
			unit := map[domain.Period]string{domain.PerWeek: "week", domain.PerMonth: "month"}[b.Per]
			h := strings.TrimSuffix(strings.TrimSuffix(domain.MajorString(b.HoursCenti, "USD"), "00"), ".")
			f.ROI.Hours = fmt.Sprintf("%s hours per %s", h, unit)
		}
	}
	if r.Full != nil && r.Full.AnnualValue > r.Now.AnnualValue {
		f.Whitespace = a.Money(r.Full.AnnualValue - r.Now.AnnualValue).Format()
		if r.Full.AnnualValue >= r.Full.AnnualCost { // a projection below cost is no argument either
			f.Full = &FullFacts{Value: a.Money(r.Full.AnnualValue).Format(), Return: fmt.Sprintf("%.0f%%", r.Full.ReturnPct)}
		}
	}
	return true
}

// claimFacts sets the guarded claims from the evaluation's typed results.
func claimFacts(a *domain.Account, ev *domain.Evaluation, f *Facts) {
	engaged := false
	for _, r := range ev.Health.Reasons {
		switch r.Rule {
		case "champion_left":
			f.ChampionLeft = r.Met
		case "competitor":
			f.CompetitorActive = r.Met
		case "executive_engaged":
			engaged = r.Met
		}
		switch {
		case r.Met && r.Points > 0 && r.Dimension == domain.Engagement && r.Rule != "high_adoption": // adoption has its own line
			f.Strengths = append(f.Strengths, strings.ToUpper(r.Evidence[:1])+r.Evidence[1:]+".")
		case r.Met && r.Points < 0:
			f.Risks = append(f.Risks, r.Label+": "+r.Evidence+".")
		}
	}
	var exec *domain.Stakeholder
	for i := range a.Stakeholders {
		s := &a.Stakeholders[i]
		if s.Champion && !s.Active(ev.Today) && f.ChampionLeft {
			f.FormerChampion = s.Name
		}
		if s.Executive && s.Active(ev.Today) && (exec == nil || s.LastContact.IsZero() && !exec.LastContact.IsZero()) {
			exec = s // the never-contacted decision-maker first
		}
	}
	if exec != nil {
		f.Executive = exec.Name
		if exec.Role != "" {
			f.Executive += " (" + exec.Role + ")"
		}
		f.ExecNever = exec.LastContact.IsZero()
		// Stale when the health rule (with its configured window) found no
		// executive engaged: then every executive's last contact is old.
		f.ExecGap = !f.ExecNever && !engaged
	}
	for _, o := range ev.Opportunities {
		if o.Motion != domain.MotionUsage {
			continue
		}
		for _, l := range a.Limits {
			if o.Trigger == "limit_"+domain.NormalizeName(l.Name) && l.Limit > 0 {
				f.LimitNear = &LimitFacts{Name: l.Name, Used: fmt.Sprintf("%.0f%%", float64(l.Used)*100/float64(l.Limit))}
			}
		}
	}
}

// opportunityFacts fills the opportunity lists and the renewal's offers.
func opportunityFacts(a *domain.Account, ev *domain.Evaluation, f *Facts) {
	for _, o := range ev.Opportunities {
		if o.Motion == domain.MotionAdoptionFirst {
			continue
		}
		of := oppFacts(a, o)
		f.Opportunities = append(f.Opportunities, of)
		if o.Source == domain.SignalIntegration {
			f.Integration = true
		}
		f.Hiring = max(f.Hiring, o.Hiring)
		switch o.Motion {
		case domain.MotionMultiYear:
			years := f.Years
			fmt.Sscanf(o.Title, "%d-year", &years)
			f.Years = years
			f.MultiYear = &MultiYearFacts{Years: years, Annual: a.Money(a.ARR).Short(), TCV: a.Money(domain.ContractValue(a.ARR, years)).Short()}
		case domain.MotionPriceIncrease:
			if !f.CompetitorActive && !f.BelowCost {
				f.PriceIncrease = of.Uplift
			}
		default:
			if !o.Hold {
				f.Expansion = append(f.Expansion, of)
			}
		}
	}
}

func oppFacts(a *domain.Account, o domain.Opportunity) OppFacts {
	f := OppFacts{Title: o.Title, Evidence: o.Evidence, Motion: string(o.Motion), Hold: o.Hold}
	if o.Trigger != "" { // a motion asked for by name with no trigger behind it claims nothing
		f.Pitch = pitch(a, o)
	}
	if o.Uplift > 0 {
		f.Uplift = a.Money(o.Uplift).Format()
		if o.UpliftMax > 0 {
			f.Uplift += "–" + a.Money(o.UpliftMax).Format()
		}
	}
	return f
}

// pitch is the customer-safe reason for an opportunity, from typed data only.
func pitch(a *domain.Account, o domain.Opportunity) string {
	switch o.Motion {
	case domain.MotionUpsell:
		switch {
		case o.Module != "" && o.Source == domain.SignalIntegration:
			return o.Module + ", to replace the connector you run today"
		case o.Module != "":
			return o.Module + ", for the goal you shared with us"
		case o.Hiring > 0:
			return fmt.Sprintf("the Enterprise tier, as %d new people join", o.Hiring)
		}
		for _, l := range a.Limits {
			if l.Used >= l.Limit {
				return "the next tier (your " + l.Name + " limit has been reached)"
			}
		}
		if a.FeaturesAvailable > 0 {
			return fmt.Sprintf("the next tier (you already use %d of %d features)", a.FeaturesAdopted, a.FeaturesAvailable)
		}
		return "the capabilities of the next tier"
	case domain.MotionCrossSell:
		if o.Source == domain.SignalIntegration {
			return o.Module + ", to replace the tools you connect to the platform today"
		}
		return o.Module + ", for the goal you shared with us"
	case domain.MotionSeats:
		if o.Hiring > 0 {
			return fmt.Sprintf("access for the %d new people joining", o.Hiring)
		}
		return fmt.Sprintf("more seats (%d of %d in use)", a.SeatsActive, a.SeatsPurchased)
	case domain.MotionUsage:
		return "a plan with headroom above your current limits"
	case domain.MotionMultiYear:
		return "a multi-year commitment with locked-in pricing"
	}
	return ""
}

// Offering returns a copy of the facts carrying the offer line of a motion
// (a pilot where the seed offers one; none for multi-year or price terms).
func (f Facts) Offering(offer string) Facts {
	f.Offer = offer
	return f
}

// With returns a copy of the facts carrying a motion's positioning line and
// problem statement; the expand_<motion> templates pass them to the shared
// "expand_propose" part.
func (f Facts) With(positioning, problem string) Facts {
	f.Positioning, f.Problem = positioning, problem
	return f
}

// promptFacts splits what the model may see: the structured facts, whose
// figures all come from typed fields (ARR, seats, dates, computed ROI…), and
// the account's free-text notes, which go in separately, quoted and marked
// untrusted, so no figure can be taken from them. Evidence strings, risks
// and readiness notes quote notes, so they stay out of the structured part.
func promptFacts(req bot.DraftRequest, f Facts) (structured, untrusted string, err error) {
	f.Risks, f.ReadinessNotes = nil, nil
	// The owner's e-mail is ours, not the customer's: no template says it,
	// so the model is not told it.
	f.Owner = ""
	f.Opportunity.Evidence = ""
	f.Opportunities = stripEvidence(f.Opportunities)
	f.Expansion = stripEvidence(f.Expansion)
	b, err := json.MarshalIndent(f, "", " ")
	if err != nil {
		return "", "", err
	}
	var notes []string
	for _, s := range req.Account.Signals {
		if strings.TrimSpace(s.Note) != "" && s.Date <= req.Evaluation.Today {
			notes = append(notes, string(s.Kind)+": "+s.Note)
		}
	}
	return string(b), strings.Join(notes, "\n"), nil
}

func stripEvidence(os []OppFacts) []OppFacts {
	out := make([]OppFacts, len(os))
	for i, o := range os {
		o.Evidence = ""
		out[i] = o
	}
	return out
}
