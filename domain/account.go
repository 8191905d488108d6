package domain

import (
	"cmp"
	"slices"
	"sort"
	"strings"
	"time"
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
	// DataChangedAt and DataSource say when the account's data (record,
	// usage or signals) last changed and which source changed it; the
	// store stamps them on every write that changes something
	// (freshness.go).
	DataChangedAt time.Time `json:"data_changed_at,omitzero"`
	DataSource    string    `json:"data_source,omitempty"`
}

// PlanLimit is a metered limit of the plan (API calls, storage, agents…).
type PlanLimit struct {
	Name  string `json:"name"`
	Limit int64  `json:"limit"`
	Used  int64  `json:"used"`
}

// Stakeholder is a person named on the account: usually someone at the
// customer; Internal marks one of our own people (an exec sponsor, a
// solutions engineer), which only an import or the ingest API can say.
type Stakeholder struct {
	Name string `json:"name"`
	// Email is lower-case. An internal stakeholder's e-mail gives a known
	// CSM read access to the account (AccountTarget); a customer
	// contact's never gives anyone anything.
	Email       string   `json:"email,omitempty"`
	Internal    bool     `json:"internal,omitempty"`
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
	// Sorting is skipped when already sorted (a stable sort would leave the
	// list as it is): AsOf normalises the copies it makes of sorted lists,
	// millions of times in a replay, and the reflective sort dominated it.
	if !slices.IsSortedFunc(a.Usage, func(x, y Snapshot) int { return cmp.Compare(x.Date, y.Date) }) {
		sort.SliceStable(a.Usage, func(i, j int) bool { return a.Usage[i].Date < a.Usage[j].Date })
	}
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
	if !slices.IsSortedFunc(a.Signals, func(x, y Signal) int { return cmp.Compare(x.Date, y.Date) }) {
		sort.SliceStable(a.Signals, func(i, j int) bool { return a.Signals[i].Date < a.Signals[j].Date })
	}
	if !slices.IsSortedFunc(a.ARRHistory, func(x, y ARRPoint) int { return cmp.Compare(x.Date, y.Date) }) {
		sort.SliceStable(a.ARRHistory, func(i, j int) bool { return a.ARRHistory[i].Date < a.ARRHistory[j].Date })
	}
	a.Currency = strings.ToUpper(a.Currency)
	a.Owner = strings.ToLower(strings.TrimSpace(a.Owner))
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
