// Package demo generates a realistic, deterministic book of accounts for
// the console, tests and benchmarks. The same options always give the same
// book, relative to the given "today".
package demo

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/accountbot/accountbot/domain"
)

// Options sizes the book.
type Options struct {
	Accounts int
	Owners   int
	Weeks    int
	Seed     uint64
	Today    domain.Date
}

// Defaults are the console's demo book: about 250 accounts for 8 CSMs with
// a year of weekly usage.
func Defaults(today domain.Date) Options {
	return Options{Accounts: 250, Owners: 8, Weeks: 52, Seed: 42, Today: today}
}

var (
	prefixes = []string{"Acme", "Globex", "Initech", "Umbrella", "Hooli", "Soylent", "Stark", "Wayne", "Wonka", "Tyrell", "Cyberdyne", "Massive",
		"Vandelay", "Pied Piper", "Aperture", "Black Mesa", "Oscorp", "Gringotts", "Dunder", "Sterling", "Prestige", "Monarch", "Nakatomi", "Vehement"}
	suffixes = []string{"Analytics", "Logistics", "Health", "Foods", "Industries", "Labs", "Systems", "Capital", "Media", "Energy", "Retail", "Robotics"}
	csms     = []string{"ana", "bo", "cy", "dee", "eli", "fay", "gus", "hal", "ivy", "jo", "kai", "lou"}
	firsts   = []string{"Cleo", "Raj", "Dana", "Mia", "Hank", "Ola", "Priya", "Tom", "Zoe", "Luis", "Ines", "Ken"}
	lasts    = []string{"Park", "Mehta", "Lee", "Chen", "Scorpio", "Berg", "Shah", "Ng", "Diaz", "Okafor", "Rossi", "Sato"}
	goals    = []string{"Expanding to European markets with GDPR requirements", "Reduce manual reporting by 80%", "Executives need real-time KPI visibility",
		"Automate approval workflows", "Scale support from 5 to 50 agents"}
	tools = []string{"Zapier to Salesforce", "Exports to Tableau for board reporting", "Make.com connector to the ERP"}
)

// archetype drives the shape of an account's data so that the book covers
// every priority, tier, renewal stage and trigger.
type archetype int

const (
	healthyGrowth archetype = iota // top priority
	churnRisk                      // high priority
	stable                         // medium
	lostCause                      // decision point
	underused                      // adoption first
)

// Generate returns the book as patches, one per account.
func Generate(o Options) []domain.Patch { return GenerateRange(o, 0, o.Accounts) }

// GenerateRange returns accounts [from, to) of the book. Each account has
// its own random stream, so any range is the same as in the whole book and
// a large book can be written in chunks.
func GenerateRange(o Options, from, to int) []domain.Patch {
	owners := make([]string, max(o.Owners, 1))
	for i := range owners {
		name := csms[i%len(csms)]
		if i >= len(csms) {
			name = fmt.Sprintf("%s%d", name, i/len(csms)+1)
		}
		owners[i] = name + "@example.com"
	}
	out := make([]domain.Patch, 0, max(to-from, 0))
	for i := from; i < to; i++ {
		rng := rand.New(rand.NewPCG(o.Seed, uint64(i)*0x9e3779b97f4a7c15+1))
		out = append(out, account(rng, o, i, owners[i%len(owners)]))
	}
	return out
}

func pick[T any](rng *rand.Rand, s []T) T { return s[rng.IntN(len(s))] }

// account generates account i. The helpers draw from rng in a fixed order
// (contract, people, usage, history): changing that order changes the book.
func account(rng *rand.Rand, o Options, i int, owner string) domain.Patch {
	kind := archetype(rng.IntN(5))
	a := contract(rng, o.Today, kind, i, owner)
	var sig []domain.Signal
	a.Stakeholders, sig = people(rng, o.Today, kind)
	usage := weeklyUsage(rng, o, kind, a.SeatsActive)
	a.ARRHistory = arrHistory(rng, a, o.Today)
	return domain.Patch{ID: a.ID, Core: a, Usage: usage, Signals: sig, ReplaceStakeholders: true, Stakeholders: a.Stakeholders}
}

// contract generates the account's own fields: name, money, dates, seats,
// adoption (by archetype), limits and ROI inputs.
func contract(rng *rand.Rand, today domain.Date, kind archetype, i int, owner string) *domain.Account {
	name := fmt.Sprintf("%s %s", prefixes[i%len(prefixes)], suffixes[(i/len(prefixes))%len(suffixes)])
	if i >= len(prefixes)*len(suffixes) {
		name += fmt.Sprintf(" %d", i/(len(prefixes)*len(suffixes))+1)
	}
	id := fmt.Sprintf("acct-%05d", i+1)
	// ARR: log-uniform from $5K to $900K, so every tier is well populated.
	arr := int64(math.Exp(math.Log(5_000)+rng.Float64()*(math.Log(900_000)-math.Log(5_000)))) / 100 * 100
	a := &domain.Account{ID: id, Name: name, Aliases: []string{fmt.Sprintf("%s-%d", prefixes[i%len(prefixes)], i+1)}, Owner: owner,
		ARR: arr * 100, Currency: "USD", Plan: pick(rng, []string{"Starter", "Pro", "Enterprise"}), TermMonths: 12}
	// Renewal spread over the next 14 months, some just past.
	a.RenewalDate = today.AddDays(rng.IntN(420) - 10)
	a.ContractStart = a.RenewalDate.AddMonths(-12 * (1 + rng.IntN(3)))
	a.FeaturesAvailable = 10
	a.SeatsPurchased = 10 + rng.IntN(300)
	switch kind {
	case healthyGrowth:
		a.FeaturesAdopted = 7 + rng.IntN(4)
		a.BudgetConfirmed, a.CompanyGrowing = true, rng.IntN(2) == 0
	case underused:
		a.FeaturesAdopted = 2 + rng.IntN(3)
		a.BudgetConfirmed = rng.IntN(2) == 0
	default:
		a.FeaturesAdopted = 3 + rng.IntN(6)
		a.BudgetConfirmed = rng.IntN(3) == 0
	}
	a.SeatsActive = int(float64(a.SeatsPurchased) * (0.5 + rng.Float64()*0.5))
	if rng.IntN(4) == 0 {
		a.ExpansionPotential = a.ARR * int64(1+rng.IntN(4))
	}
	if rng.IntN(3) == 0 {
		a.Limits = []domain.PlanLimit{{Name: "API calls", Limit: 1_000_000, Used: int64(500_000 + rng.IntN(600_000))}}
	}
	a.HoursSavedPerWeek = int64(2+rng.IntN(30)) * 100
	a.HourlyRate = int64(40+rng.IntN(60)) * 100
	return a
}

// people generates an executive sponsor and a champion, and the signals
// that go with the archetype: a competitor (and maybe a departed champion)
// for accounts at risk, hiring, goals and integrations for growing ones.
func people(rng *rand.Rand, today domain.Date, kind archetype) ([]domain.Stakeholder, []domain.Signal) {
	exec := domain.Stakeholder{Name: pick(rng, firsts) + " " + pick(rng, lasts), Role: pick(rng, []string{"CFO", "COO", "VP Sales", "CTO"}), Executive: true}
	exec.Function = map[string]domain.Function{"CFO": domain.FunctionFinance, "COO": domain.FunctionOperations, "VP Sales": domain.FunctionSales, "CTO": domain.FunctionTech}[exec.Role]
	champ := domain.Stakeholder{Name: pick(rng, firsts) + " " + pick(rng, lasts), Role: "Team lead", Function: domain.FunctionOperations, Champion: true,
		LastContact: today.AddDays(-rng.IntN(30))}
	exec.LastContact = today.AddDays(-rng.IntN(200))
	if kind == healthyGrowth {
		exec.LastContact = today.AddDays(-rng.IntN(60))
	}
	var sig []domain.Signal
	switch kind {
	case churnRisk, lostCause:
		if rng.IntN(2) == 0 {
			champ.Left = today.AddDays(-rng.IntN(60) - 1)
		}
		sig = append(sig, domain.Signal{Date: today.AddDays(-rng.IntN(80)), Kind: domain.SignalCompetitor, Note: "Mentioned a cheaper competitor"})
	case healthyGrowth:
		if rng.IntN(2) == 0 {
			sig = append(sig, domain.Signal{Date: today.AddDays(-rng.IntN(60)), Kind: domain.SignalHiring, Note: fmt.Sprintf("Hiring %d people this quarter", 5+rng.IntN(30))})
		}
		if rng.IntN(2) == 0 {
			sig = append(sig, domain.Signal{Date: today.AddDays(-rng.IntN(120)), Kind: domain.SignalGoal, Note: pick(rng, goals)})
		}
		if rng.IntN(3) == 0 {
			sig = append(sig, domain.Signal{Date: today.AddDays(-rng.IntN(120)), Kind: domain.SignalIntegration, Note: pick(rng, tools)})
		}
	}
	return []domain.Stakeholder{exec, champ}, sig
}

// weeklyUsage generates o.Weeks of weekly snapshots with a trend per
// archetype, and a ticket spike in the last weeks of accounts at risk.
func weeklyUsage(rng *rand.Rand, o Options, kind archetype, seatsActive int) []domain.Snapshot {
	n := max(o.Weeks, 1)
	users0 := float64(seatsActive) * (0.6 + rng.Float64()*0.3)
	usage0 := users0 * (80 + rng.Float64()*40)
	growth := map[archetype]float64{healthyGrowth: 0.006, churnRisk: -0.008, stable: 0, lostCause: -0.012, underused: 0.001}[kind]
	var usage []domain.Snapshot
	for w := range n {
		d := o.Today.AddDays(-7 * (n - 1 - w))
		f := math.Exp(growth*float64(w)) * (1 + (rng.Float64()-0.5)*0.04)
		tickets := rng.IntN(3)
		if (kind == churnRisk || kind == lostCause) && w >= n-5 {
			tickets = 4 + rng.IntN(5)
		}
		usage = append(usage, domain.Snapshot{Date: d, ActiveUsers: int(users0 * f), Usage: int64(usage0 * f), Tickets: tickets})
	}
	return usage
}

// arrHistory gives the contract's first year at 90% of today's ARR and the
// renewal that raised it, unless that renewal is still to come.
func arrHistory(rng *rand.Rand, a *domain.Account, today domain.Date) []domain.ARRPoint {
	h := []domain.ARRPoint{{Date: a.ContractStart, ARR: a.ARR * 9 / 10}, {Date: a.ContractStart.AddMonths(12), ARR: a.ARR, Motion: pick(rng, []domain.Motion{domain.MotionUpsell, domain.MotionSeats, domain.MotionPriceIncrease, domain.MotionCrossSell})}}
	if h[1].Date > today {
		h = h[:1]
		h[0].ARR = a.ARR
	}
	return h
}
