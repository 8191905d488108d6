package domain

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
)

// Function is the business function a stakeholder belongs to; the account
// map and its expansion paths are organised by it.
type Function string

const (
	FunctionFinance    Function = "finance"
	FunctionOperations Function = "operations"
	FunctionSales      Function = "sales"
	FunctionTech       Function = "tech"
	FunctionMarketing  Function = "marketing"
	FunctionSupport    Function = "support"
	FunctionExecutive  Function = "executive"
	FunctionOther      Function = "other"
)

// Functions lists the known functions in display order.
var Functions = []Function{FunctionFinance, FunctionOperations, FunctionSales, FunctionTech,
	FunctionMarketing, FunctionSupport, FunctionExecutive, FunctionOther}

// SignalKind names a dated event on an account.
type SignalKind string

const (
	SignalCompetitor   SignalKind = "competitor"    // the customer mentioned or evaluated a competitor
	SignalChampionLeft SignalKind = "champion_left" // the champion left (also derivable from stakeholders)
	SignalHiring       SignalKind = "hiring"        // the customer is hiring; a number in the note is the headcount
	SignalIntegration  SignalKind = "integration"   // an integration or third-party tool in use (e.g. "Zapier")
	SignalGoal         SignalKind = "goal"          // a stated business goal ("expand to Europe, GDPR")
	SignalLimit        SignalKind = "limit_request" // the customer asked for a higher limit
	SignalFeatureReq   SignalKind = "feature_request"
	SignalNote         SignalKind = "note"
)

// SignalKinds lists the known kinds with a short description, for help text.
var SignalKinds = []struct {
	Kind SignalKind
	Help string
}{
	{SignalCompetitor, "the customer mentioned or is evaluating a competitor"},
	{SignalChampionLeft, "the champion left the company"},
	{SignalHiring, "the customer is hiring (put the headcount in the note: \"hiring 12 agents\")"},
	{SignalIntegration, "a third-party tool or integration in use (\"Zapier to Salesforce\")"},
	{SignalGoal, "a stated business goal (\"expand to Europe with GDPR\")"},
	{SignalLimit, "the customer asked for a higher plan limit"},
	{SignalFeatureReq, "the customer asked for a feature"},
	{SignalNote, "a free-form note"},
}

// Account is one customer account with everything the rules look at.
type Account struct {
	ID                 string        `json:"id"`
	Name               string        `json:"name"`
	Aliases            []string      `json:"aliases,omitempty"`
	Owner              string        `json:"owner"`     // the CSM's e-mail
	ARR                int64         `json:"arr_minor"` // annual recurring revenue, minor units
	Currency           string        `json:"currency"`
	Plan               string        `json:"plan,omitempty"`
	ContractStart      Date          `json:"contract_start,omitempty"`
	RenewalDate        Date          `json:"renewal_date,omitempty"`
	TermMonths         int           `json:"term_months,omitempty"`
	SeatsPurchased     int           `json:"seats_purchased,omitempty"`
	SeatsActive        int           `json:"seats_active,omitempty"`
	FeaturesAvailable  int           `json:"features_available,omitempty"`
	FeaturesAdopted    int           `json:"features_adopted,omitempty"`
	Limits             []PlanLimit   `json:"limits,omitempty"`
	BudgetConfirmed    bool          `json:"budget_confirmed,omitempty"`
	CompanyGrowing     bool          `json:"company_growing,omitempty"`
	ExpansionPotential int64         `json:"expansion_potential_minor,omitempty"` // estimated, minor units
	Stakeholders       []Stakeholder `json:"stakeholders,omitempty"`
	Usage              []Snapshot    `json:"usage,omitempty"`   // sorted by date, one per date
	Signals            []Signal      `json:"signals,omitempty"` // sorted by date
	ARRHistory         []ARRPoint    `json:"arr_history,omitempty"`
	Support            *Support      `json:"support,omitempty"` // a ticket feed's tickets (support.go)
	Billing            *Billing      `json:"billing,omitempty"` // a billing feed's subscriptions (billing.go)
	// ROI inputs the roi command falls back to: hours the product saves
	// (in hundredths of an hour) and the customer's hourly rate.
	HoursSavedPerWeek  int64 `json:"hours_saved_per_week_centi,omitempty"`
	HoursSavedPerMonth int64 `json:"hours_saved_per_month_centi,omitempty"`
	HourlyRate         int64 `json:"hourly_rate_minor,omitempty"`
	// Value realised to date and value projected at full adoption (annual,
	// minor units), kept apart so the seed's "133% now → 287% at full
	// adoption" can be said. Either may instead come from hours saved (the
	// fields above for now; the two below at full adoption) × hourly rate.
	ValueDelivered              int64 `json:"value_delivered_minor,omitempty"`
	ValueAtFullAdoption         int64 `json:"value_at_full_adoption_minor,omitempty"`
	HoursAtFullAdoptionPerWeek  int64 `json:"hours_at_full_adoption_per_week_centi,omitempty"`
	HoursAtFullAdoptionPerMonth int64 `json:"hours_at_full_adoption_per_month_centi,omitempty"`
	// ExternalIDs are the account's ids in other systems, by source (external.go).
	ExternalIDs ExternalIDs `json:"external_ids,omitempty"`
}

// PlanLimit is a metered limit of the plan (API calls, storage, agents…).
type PlanLimit struct {
	Name  string `json:"name"`
	Limit int64  `json:"limit"`
	Used  int64  `json:"used"`
}

// Stakeholder is a person at the customer.
type Stakeholder struct {
	Name        string   `json:"name"`
	Role        string   `json:"role,omitempty"`
	Function    Function `json:"function,omitempty"`
	Executive   bool     `json:"executive,omitempty"`
	Champion    bool     `json:"champion,omitempty"`
	LastContact Date     `json:"last_contact,omitempty"`
	Left        Date     `json:"left,omitempty"` // the date they left the company
}

// Active reports whether the stakeholder is still at the company on today.
func (s Stakeholder) Active(today Date) bool { return s.Left.IsZero() || s.Left > today }

// Snapshot is one dated usage reading. Tickets counts the support tickets
// opened since the previous snapshot (a weekly export gives a weekly count).
type Snapshot struct {
	Date        Date  `json:"date"`
	ActiveUsers int   `json:"active_users"`
	Usage       int64 `json:"usage"`
	Tickets     int   `json:"tickets"`
}

// Signal is a dated event on the account.
type Signal struct {
	Date Date       `json:"date"`
	Kind SignalKind `json:"kind"`
	Note string     `json:"note,omitempty"`
}

// ARRPoint records the account's ARR from Date on, and the motion that
// changed it (empty for the initial contract or an unknown cause).
type ARRPoint struct {
	Date   Date   `json:"date"`
	ARR    int64  `json:"arr_minor"`
	Motion Motion `json:"motion,omitempty"`
}

// Money returns the account's ARR as Money.
func (a *Account) Money(minor int64) Money { return Money{Minor: minor, Currency: a.Currency} }

// Adoption returns adopted/available features as a fraction and whether it is known.
func (a *Account) Adoption() (float64, bool) {
	if a.FeaturesAvailable <= 0 {
		return 0, false
	}
	return float64(a.FeaturesAdopted) / float64(a.FeaturesAvailable), true
}

// SnapshotAt returns the latest snapshot dated on or before d.
func (a *Account) SnapshotAt(d Date) (Snapshot, bool) {
	i := sort.Search(len(a.Usage), func(i int) bool { return a.Usage[i].Date > d })
	if i == 0 {
		return Snapshot{}, false
	}
	return a.Usage[i-1], true
}

// ARRAt returns the account's ARR on date d: from its ARR history when it
// has one, otherwise the current ARR from the contract start on (zero before).
func (a *Account) ARRAt(d Date) int64 {
	if len(a.ARRHistory) == 0 {
		if !a.ContractStart.IsZero() && d < a.ContractStart {
			return 0
		}
		return a.ARR
	}
	v := int64(0)
	for _, p := range a.ARRHistory {
		if p.Date > d {
			break
		}
		v = p.ARR
	}
	return v
}

// Normalize sorts the account's dated lists and merges usage snapshots that
// share a date (the later one wins), so every rule can rely on order.
func (a *Account) Normalize() {
	sort.SliceStable(a.Usage, func(i, j int) bool { return a.Usage[i].Date < a.Usage[j].Date })
	if len(a.Usage) > 1 {
		out := a.Usage[:1]
		for _, s := range a.Usage[1:] {
			if s.Date == out[len(out)-1].Date {
				out[len(out)-1] = s
				continue
			}
			out = append(out, s)
		}
		a.Usage = out
	}
	sort.SliceStable(a.Signals, func(i, j int) bool { return a.Signals[i].Date < a.Signals[j].Date })
	sort.SliceStable(a.ARRHistory, func(i, j int) bool { return a.ARRHistory[i].Date < a.ARRHistory[j].Date })
	a.Currency = strings.ToUpper(a.Currency)
	a.Owner = strings.ToLower(strings.TrimSpace(a.Owner))
}

var (
	idPattern    = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$`)
	emailPattern = regexp.MustCompile(`^[^@\s]+@[^@\s]+\.[^@\s]+$`)
	currencyPat  = regexp.MustCompile(`^[A-Z]{3}$`)
)

// ValidID reports whether s can be an account id: letters, digits and
// . _ : - (no spaces or control bytes, so it is safe inside storage keys).
func ValidID(s string) bool { return idPattern.MatchString(s) }

// FieldError is one validation problem, naming the field.
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

func (e FieldError) String() string { return e.Field + ": " + e.Message }

// Validate checks the account and returns every problem found, each naming
// its field; nil means valid. Call Normalize first.
func (a *Account) Validate() []FieldError {
	var errs []FieldError
	add := func(field, format string, args ...any) {
		errs = append(errs, FieldError{Field: field, Message: fmt.Sprintf(format, args...)})
	}
	if !ValidID(a.ID) {
		add("id", "must be 1-128 letters, digits or . _ : - starting with a letter or digit (got %q)", a.ID)
	}
	visible := func(field, s string) bool { // key parts: see HiddenRune
		if m := hiddenMessage(s); m != "" {
			add(field, "%s", m)
			return false
		}
		return true
	}
	if strings.TrimSpace(a.Name) == "" {
		add("name", "is required")
	} else {
		visible("name", a.Name)
	}
	for i, al := range a.Aliases {
		visible(fmt.Sprintf("aliases[%d]", i), al)
	}
	if a.Owner != "" && visible("owner", a.Owner) && !emailPattern.MatchString(a.Owner) {
		add("owner", "must be the CSM's e-mail address (got %q)", a.Owner)
	}
	if !currencyPat.MatchString(a.Currency) {
		add("currency", "must be a 3-letter ISO 4217 code such as USD (got %q)", a.Currency)
	}
	if a.ARR < 0 {
		add("arr", "must not be negative")
	}
	if a.ExpansionPotential < 0 {
		add("expansion_potential", "must not be negative")
	}
	if a.HoursSavedPerWeek < 0 || a.HoursSavedPerMonth < 0 || a.HourlyRate < 0 {
		add("roi", "hours saved and hourly rate must not be negative")
	}
	if a.ValueDelivered < 0 || a.ValueAtFullAdoption < 0 || a.HoursAtFullAdoptionPerWeek < 0 || a.HoursAtFullAdoptionPerMonth < 0 {
		add("value_delivered", "value delivered, value at full adoption and hours at full adoption must not be negative")
	}
	if a.TermMonths < 0 || a.TermMonths > 120 {
		add("term_months", "must be between 0 and 120 (got %d)", a.TermMonths)
	}
	if !a.ContractStart.IsZero() && !a.RenewalDate.IsZero() && a.RenewalDate < a.ContractStart {
		add("renewal_date", "%s is before contract_start %s", a.RenewalDate, a.ContractStart)
	}
	if a.SeatsPurchased < 0 || a.SeatsActive < 0 {
		add("seats", "seat counts must not be negative")
	}
	if a.FeaturesAvailable < 0 || a.FeaturesAdopted < 0 {
		add("features", "feature counts must not be negative")
	} else if a.FeaturesAdopted > a.FeaturesAvailable {
		add("features_adopted", "%d is more than features_available %d", a.FeaturesAdopted, a.FeaturesAvailable)
	}
	for i, l := range a.Limits {
		if strings.TrimSpace(l.Name) == "" {
			add(fmt.Sprintf("limits[%d].name", i), "is required")
		}
		if l.Limit <= 0 {
			add(fmt.Sprintf("limits[%d].limit", i), "must be positive")
		}
		if l.Used < 0 {
			add(fmt.Sprintf("limits[%d].used", i), "must not be negative")
		}
	}
	for i, s := range a.Stakeholders {
		if strings.TrimSpace(s.Name) == "" {
			add(fmt.Sprintf("stakeholders[%d].name", i), "is required")
		} else {
			visible(fmt.Sprintf("stakeholders[%d].name", i), s.Name)
		}
		if s.Function != "" && !KnownFunction(s.Function) {
			add(fmt.Sprintf("stakeholders[%d].function", i), "unknown function %q (want one of %s)", s.Function, FunctionList())
		}
	}
	for i, u := range a.Usage {
		if u.Date.IsZero() {
			add(fmt.Sprintf("usage[%d].date", i), "is required")
		}
		if u.ActiveUsers < 0 || u.Usage < 0 || u.Tickets < 0 {
			add(fmt.Sprintf("usage[%d]", i), "counts must not be negative")
		}
	}
	for i, s := range a.Signals {
		if s.Date.IsZero() {
			add(fmt.Sprintf("signals[%d].date", i), "is required")
		}
		if !KnownSignal(s.Kind) {
			add(fmt.Sprintf("signals[%d].kind", i), "unknown kind %q", s.Kind)
		}
	}
	for i, p := range a.ARRHistory {
		if p.Date.IsZero() || p.ARR < 0 {
			add(fmt.Sprintf("arr_history[%d]", i), "needs a date and a non-negative arr")
		}
		if p.Motion != "" && !KnownMotion(p.Motion) {
			add(fmt.Sprintf("arr_history[%d].motion", i), "unknown motion %q", p.Motion)
		}
	}
	errs = append(errs, a.validateExternalIDs()...)
	return errs
}

// ValidationError turns field errors into one EINVALID error.
func ValidationError(what string, errs []FieldError) error {
	if len(errs) == 0 {
		return nil
	}
	parts := make([]string, len(errs))
	for i, e := range errs {
		parts[i] = e.String()
	}
	return Errorf(EINVALID, "%s: %s", what, strings.Join(parts, "; "))
}

// KnownFunction reports whether f is a known stakeholder function.
func KnownFunction(f Function) bool {
	for _, k := range Functions {
		if k == f {
			return true
		}
	}
	return false
}

// FunctionList is the known functions, comma-separated, for messages.
func FunctionList() string {
	s := make([]string, len(Functions))
	for i, f := range Functions {
		s[i] = string(f)
	}
	return strings.Join(s, ", ")
}

// KnownSignal reports whether k is a known signal kind.
func KnownSignal(k SignalKind) bool {
	for _, s := range SignalKinds {
		if s.Kind == k {
			return true
		}
	}
	return false
}

// NormalizeName folds a name or alias for lookup: lower case, letters and
// digits only, so "ACME, Inc." and "acme inc" meet.
func NormalizeName(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r > 127 && !isSpaceOrPunct(r) {
			b.WriteRune(r)
		}
	}
	return b.String()
}

func isSpaceOrPunct(r rune) bool {
	return strings.ContainsRune(" \t\n\u00a0.,;:!?'\"()[]{}-_/\\&+*#@%$€£–—’“”", r)
}
