package bot

import (
	"fmt"
	"strings"

	"github.com/accountbot/accountbot/domain"
)

// registerAccountVerbs declares every account verb: its arguments, whether
// it writes or drafts, and its result type.
func (e *Engine) registerAccountVerbs() {
	draft := Arg{Name: "draft", Kind: KindFlag, Help: "write the draft instead of showing the status"}
	e.reg.MustRegister(
		Verb{Noun: "account", Name: "", Help: "overview: tier, health, priority and next action, renewal, top opportunities", Result: &OverviewResult{}, Run: e.overview},
		Verb{Noun: "account", Name: "health", Aliases: []string{"score"}, Help: "the three-dimensional health score and why each point was given", Result: &HealthResult{}, Run: e.health},
		Verb{Noun: "account", Name: "tier", Help: "the account's tier, why, and its engagement cadence", Result: &TierResult{}, Run: e.tier},
		Verb{Noun: "account", Name: "renewal", Args: []Arg{draft}, Slow: true, SlowFlag: "draft",
			Help: "renewal stage, milestones and readiness (Green/Yellow/Red)", Result: &RenewalResult{}, Also: []Result{&DraftResult{}}, Run: e.renewal},
		Verb{Noun: "account", Name: "expand", Aliases: []string{"expansion", "opportunities"}, Slow: true, SlowFlag: "draft",
			Args: []Arg{
				{Name: "draft", Kind: KindFlag, Help: "write the consultative talk track", Usage: "[draft [motion]]"},
				{Name: "motion", Kind: KindWord, Help: "the motion to draft for (default: the best trigger)", Usage: "-"},
			},
			Help: "expansion triggers that fired, with evidence and estimated uplift", Result: &ExpandResult{}, Also: []Result{&DraftResult{}}, Run: e.expand},
		Verb{Noun: "account", Name: "roi", Args: roiArgs,
			Help: "value, return and payback; missing inputs come from the account", Result: &ROIResult{}, Run: e.roi},
		Verb{Noun: "account", Name: "qbr", Slow: true, Help: "QBR / executive review talking points", Result: &DraftResult{}, Run: e.draftVerb("qbr")},
		Verb{Noun: "account", Name: "map", Help: "the account map: stakeholders by function and expansion paths", Result: &MapResult{}, Run: e.accountMap},
		Verb{Noun: "account", Name: "objection", Slow: true,
			Args: []Arg{{Name: "kind", Kind: KindWord, Required: true, Help: "the objection: budget, competitor, vendor, …",
				Prompt: "Which objection?", Suggest: e.objectionKinds}},
			Help:   "a response to an objection (budget, competitor, vendor, …)",
			Result: &DraftResult{}, Run: e.draftVerb("objection")},
		Verb{Noun: "account", Name: "note", Writes: true,
			Args: []Arg{{Name: "text", Kind: KindText, Required: true, Help: "the note, as typed",
				Prompt: "What should the note say? Try `account <name> note Met the new VP of Ops`."}},
			Help: "add a dated note to the account", Result: &SignalResult{}, Run: e.note},
		Verb{Noun: "account", Name: "notes", Aliases: []string{"signals"}, Args: notesArgs,
			Help: "notes and signals, newest first", Result: &NotesResult{}, Run: e.notes},
		Verb{Noun: "account", Name: "signal", Writes: true,
			Args: []Arg{
				{Name: "kind", Kind: KindEnum, Enum: signalKinds(), Required: true, Prompt: "Which signal? " + signalKindsHelp()},
				{Name: "note", Kind: KindText, Help: "what happened"},
			},
			Help:   "record a signal: competitor, champion_left, hiring, integration, goal, limit_request, feature_request",
			Result: &SignalResult{}, Run: e.signal},
		Verb{Noun: "account", Name: "trend", Aliases: []string{"history"}, Help: "the combined health score over the last 12 weeks", Result: &TrendResult{}, Run: e.trend},
		Verb{Noun: "account", Name: "snooze", Writes: true,
			Args: []Arg{{Name: "days", Kind: KindInt, Min: 1, Max: 365, Default: "7", Help: "how many days"}},
			Help: "no nudges about this account for you for 7 (or N) days", Result: &SnoozeResult{}, Run: e.snooze},
		Verb{Noun: "account", Name: "outcome", Writes: true, Args: outcomeArgs(),
			Help: "log how a conversation ended", Result: &OutcomeResult{}, Run: e.outcome},
		Verb{Noun: "account", Name: "arr", Writes: true, Args: arrArgs(),
			Help: "record an ARR change (motion, date) so NRR reflects it; recording the same change twice records it once", Result: &ARRChangeResult{}, Run: e.recordARR},
	)
}

var roiArgs = []Arg{
	{Name: "hours_per_week", Kind: KindHours, Form: Keyed, Excludes: "hours_per_month", Help: "hours saved per week", Usage: "[hours_per_week=N|hours_per_month=N]"},
	{Name: "hours_per_month", Kind: KindHours, Form: Keyed, Help: "hours saved per month", Usage: "-"},
	{Name: "rate", Kind: KindMoney, Form: Keyed, Help: "the value of an hour"},
	{Name: "cost_per_year", Kind: KindMoney, Form: Keyed, Excludes: "cost_per_month", Help: "what the customer pays a year", Usage: "[cost_per_year=N|cost_per_month=N]"},
	{Name: "cost_per_month", Kind: KindMoney, Form: Keyed, Help: "what the customer pays a month", Usage: "-"},
}

func outcomeArgs() []Arg {
	motions := make([]string, len(domain.Motions))
	labels := make([]string, len(domain.Motions))
	for i, m := range domain.Motions {
		motions[i], labels[i] = string(m), m.Label()
	}
	return []Arg{
		{Name: "result", Label: "Result", Kind: KindEnum, Enum: []string{"won", "lost", "pending"}, Labels: []string{"Won", "Lost", "Pending"},
			Required: true, Initial: "won", Prompt: "Usage: account <name> outcome <won|lost|pending> [motion] [arr] [note]"},
		{Name: "motion", Label: "Motion", Kind: KindEnum, Enum: motions, Labels: labels, NoneLabel: "Not an expansion", Help: "the expansion motion, or - for none"},
		{Name: "arr", Label: "ARR won or at stake", Kind: KindMoney, Help: "ARR won or at stake"},
		{Name: "note", Label: "Note", Kind: KindText, Help: "anything worth remembering"},
	}
}

func (e *Engine) objectionKinds() []string {
	if e.Drafter == nil {
		return nil
	}
	return e.Drafter.Objections()
}

func signalKinds() []string {
	var ks []string
	for _, k := range domain.SignalKinds {
		ks = append(ks, string(k.Kind))
	}
	return ks
}

func signalKindsHelp() string { return "Kinds: " + strings.Join(signalKinds(), ", ") + "." }

func (e *Engine) evaluate(c *Call) domain.Evaluation {
	return domain.Evaluate(c.Account, c.Today, e.Rules())
}

func header(a *domain.Account, tier int, what string) string {
	t := fmt.Sprintf("%s — Tier %d", a.Name, tier)
	if what != "" {
		t += " — " + what
	}
	return t
}

// AccountRef names the account a result is about.
type AccountRef struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	// DataAsOf is when the account's data last changed and from where
	// (absent for data stored before AccountBot kept the stamp).
	DataAsOf *DataAsOf `json:"data_as_of,omitempty"`
}

func ref(a *domain.Account) AccountRef { return AccountRef{ID: a.ID, Name: a.Name} }
