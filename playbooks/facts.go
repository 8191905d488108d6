package playbooks

import (
	"fmt"
	"math"
	"strings"

	"github.com/accountbot/accountbot/bot"
	"github.com/accountbot/accountbot/domain"
)

// Facts is the typed data every template receives. Every figure in it comes
// from the account or the domain arithmetic; absent data is left empty and
// the template says what is missing.
type Facts struct {
	ID, Name, Owner, ARR string
	Tier                 int
	Priority             string
	Adoption             string
	FeaturesAdopted      int
	FeaturesAvailable    int
	Benchmark            string
	ROI                  *ROIFacts
	Strengths, Risks     []string
	Opportunities        []OppFacts
	Opportunity          OppFacts
	Positioning, Problem string
	Hold                 bool
	Renewal              string
	RenewalDate          string
	Stage, StageTitle    string
	Readiness            string
	ReadinessNotes       []string
	Term                 string
	Executive            string
	FormerChampion       string
	Competitor           string
}

// ROIFacts are the formatted ROI figures.
type ROIFacts struct{ Hours, Rate, Value, Cost, Return, Payback string }

// OppFacts is a formatted opportunity.
type OppFacts struct{ Title, Evidence, Uplift, Motion string }

func buildFacts(req bot.DraftRequest) (Facts, []string) {
	a, ev := req.Account, req.Evaluation
	f := Facts{ID: a.ID, Name: a.Name, Owner: a.Owner, ARR: ev.ARR.Format(), Tier: ev.Tier.Tier, Priority: ev.Priority.Label(),
		FeaturesAdopted: a.FeaturesAdopted, FeaturesAvailable: a.FeaturesAvailable,
		Stage: string(ev.Renewal.Stage), StageTitle: ev.Renewal.StageTitle, Readiness: string(ev.Renewal.Readiness)}
	var missing []string
	if v, ok := a.Adoption(); ok {
		f.Adoption = fmt.Sprintf("%.0f%%", v*100)
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
	if r := roiFacts(a); r != nil {
		f.ROI = r
	} else {
		missing = append(missing, "hours saved and hourly rate (ROI)")
	}
	for _, r := range ev.Health.Reasons {
		switch {
		case r.Met && r.Points > 0 && r.Dimension == domain.Engagement && r.Rule != "high_adoption": // adoption has its own line
			f.Strengths = append(f.Strengths, strings.ToUpper(r.Evidence[:1])+r.Evidence[1:]+".")
		case r.Met && r.Points < 0:
			f.Risks = append(f.Risks, r.Label+": "+r.Evidence+".")
		}
	}
	for _, o := range ev.Opportunities {
		if o.Motion == domain.MotionAdoptionFirst {
			continue
		}
		f.Opportunities = append(f.Opportunities, oppFacts(a, o))
	}
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
	for _, s := range a.Stakeholders {
		if s.Executive && s.Active(ev.Today) && f.Executive == "" {
			f.Executive = s.Name
			if s.Role != "" {
				f.Executive += " (" + s.Role + ")"
			}
		}
		if s.Champion && !s.Active(ev.Today) {
			f.FormerChampion = s.Name
		}
	}
	for i := len(a.Signals) - 1; i >= 0; i-- {
		if s := a.Signals[i]; s.Kind == domain.SignalCompetitor && s.Date <= ev.Today {
			f.Competitor = fmt.Sprintf("competitor mentioned on %s", s.Date)
			if s.Note != "" {
				f.Competitor += ": " + s.Note
			}
			break
		}
	}
	return f, missing
}

func roiFacts(a *domain.Account) *ROIFacts {
	hours, per, unit := a.HoursSavedPerWeek, domain.PerWeek, "week"
	if hours == 0 {
		hours, per, unit = a.HoursSavedPerMonth, domain.PerMonth, "month"
	}
	if hours == 0 || a.HourlyRate == 0 || a.ARR == 0 {
		return nil
	}
	value := domain.AnnualValueFromHours(hours, per, a.HourlyRate)
	r, err := domain.ComputeROI(value, a.ARR)
	if err != nil {
		return nil
	}
	h := strings.TrimSuffix(strings.TrimSuffix(domain.MajorString(hours, "USD"), "00"), ".")
	return &ROIFacts{Hours: fmt.Sprintf("%s hours per %s", h, unit), Rate: a.Money(a.HourlyRate).Format(),
		Value: a.Money(value).Format(), Cost: a.Money(a.ARR).Format(),
		Return: fmt.Sprintf("%.0f%%", r.ReturnPct), Payback: fmt.Sprintf("%.1f months", r.PaybackMonths)}
}

func oppFacts(a *domain.Account, o domain.Opportunity) OppFacts {
	f := OppFacts{Title: o.Title, Evidence: o.Evidence, Motion: string(o.Motion)}
	if o.Uplift > 0 {
		f.Uplift = a.Money(o.Uplift).Format()
		if o.UpliftMax > 0 {
			f.Uplift += "–" + a.Money(o.UpliftMax).Format()
		}
	}
	return f
}

// With returns a copy of the facts carrying a motion's positioning line and
// problem statement; the expand_<motion> templates pass them to the shared
// "expand_propose" part.
func (f Facts) With(positioning, problem string) Facts {
	f.Positioning, f.Problem = positioning, problem
	return f
}
