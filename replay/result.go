package replay

import "github.com/accountbot/accountbot/domain"

// Diff is `accountbot rules diff --json`: the current and the candidate
// rules replayed on each week of the window, side by side.
type Diff struct {
	Today domain.Date `json:"today"`
	From  domain.Date `json:"from"` // the first replayed week
	Weeks int         `json:"weeks"`
	// Accounts replayed (a customer on at least one week) and
	// account-weeks evaluated (each under both rule sets).
	Accounts     int `json:"accounts"`
	AccountWeeks int `json:"account_weeks"`
	// BaselineWeeks are account-weeks before the account's field history
	// begins: the earliest recorded values stood in for its scored fields
	// (dated data was still cut at the week).
	BaselineWeeks int `json:"baseline_account_weeks"`
	// Changed counts accounts whose verdict differs on the last week
	// (today); ChangedAnyWeek on any week of the window.
	Changed        ChangeCounts `json:"changed"`
	ChangedAnyWeek ChangeCounts `json:"changed_any_week"`
	// Largest are the (up to) 20 largest accounts by ARR that changed on
	// any week, at the latest week they differ.
	Largest []AccountChange `json:"largest"`
	// Nudges per replayed week and per CSM (alerts over a 7-day window).
	ByWeek []WeekNudges `json:"nudges_by_week"`
	ByCSM  []CSMNudges  `json:"nudges_by_csm"`
	// Names are the names of the accounts the digest differences list, by id.
	Names map[string]string `json:"names"`
	// Alerts is the alert budget: alerts sent over the window.
	Alerts   Pair     `json:"alerts"`
	Backtest Backtest `json:"backtest"`
}

// Pair is a number under the current and under the candidate rules.
type Pair struct {
	Current   int `json:"current"`
	Candidate int `json:"candidate"`
}

// ChangeCounts counts accounts whose verdict changes.
type ChangeCounts struct {
	Accounts int `json:"accounts"` // any of the below
	Tier     int `json:"tier"`
	Bands    int `json:"bands"`
	Priority int `json:"priority"`
}

// Verdict is one rule set's verdict in the result.
type Verdict struct {
	Tier       int             `json:"tier"`
	Engagement domain.Band     `json:"engagement_band"`
	Potential  domain.Band     `json:"revenue_potential_band"`
	Risk       domain.Band     `json:"retention_risk_band"`
	Priority   domain.Priority `json:"priority"`
}

func verdict(v domain.Verdict) Verdict {
	return Verdict{Tier: v.Tier, Engagement: v.Engagement, Potential: v.Potential, Risk: v.Risk, Priority: v.Priority}
}

// AccountChange is one account whose verdict the candidate changes.
type AccountChange struct {
	ID        string       `json:"id"`
	Name      string       `json:"name"`
	Owner     string       `json:"owner"`
	ARR       domain.Money `json:"arr"`
	Date      domain.Date  `json:"date"` // the latest week the rule sets differ
	Current   Verdict      `json:"current"`
	Candidate Verdict      `json:"candidate"`
	Rule      string       `json:"rule"` // the rule that made the difference
	// WeeksDiffering counts the replayed weeks with different verdicts.
	WeeksDiffering int `json:"weeks_differing"`
}

// WeekNudges is what CSMs would have received in one week.
type WeekNudges struct {
	Date domain.Date `json:"date"`
	// DigestsChanged counts CSMs whose digest on that day lists other
	// accounts; EntriesChanged the accounts that enter or leave them.
	DigestsChanged int  `json:"digests_changed"`
	EntriesChanged int  `json:"entries_changed"`
	Alerts         Pair `json:"alerts"`
}

// CSMNudges is one CSM's nudges over the window.
type CSMNudges struct {
	Owner          string `json:"owner"`
	DigestsChanged int    `json:"digests_changed"` // weeks whose digest differs
	EntriesChanged int    `json:"entries_changed"`
	Alerts         Pair   `json:"alerts"`
	// Digests are the weeks whose digest differs, with what differs.
	Digests []DigestDiff `json:"digests"`
}

// DigestDiff is how one CSM's digest on one day differs: the account ids
// only the candidate's lists (Added) and only the current one's (Dropped).
type DigestDiff struct {
	Date    domain.Date `json:"date"`
	Added   []string    `json:"added"`
	Dropped []string    `json:"dropped"`
}

// Backtest compares each rule set's flags with what happened.
type Backtest struct {
	// Risk: HIGH or DECISION POINT against contractions, churn and
	// `outcome lost`. Expansion: TOP PRIORITY against ARR increases by a
	// motion and `outcome won`.
	Risk      TallyPair `json:"risk"`
	Expansion TallyPair `json:"expansion"`
}

// TallyPair is a back-test under both rule sets.
type TallyPair struct {
	Current   domain.Tally `json:"current"`
	Candidate domain.Tally `json:"candidate"`
}
