package bot

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/accountbot/accountbot/domain"
)

const trendWeeks = 12

// weeklyScores returns the combined score for the last 12 weeks: stored
// snapshots where there are enough, else recomputed from the account's own
// dated history (usage, signals, stakeholder dates); with the points, where
// the stored scores' rules version changed.
func (e *Engine) weeklyScores(ctx context.Context, a *domain.Account, today domain.Date) weekly {
	if _, ok := e.Store.(readScoper); ok {
		// A store shared by replicas (PostgreSQL) reads the history with
		// the account, in the same round trip; a cache here would keep
		// what another replica's write has changed since.
		return e.computeWeeklyScores(ctx, a, today)
	}
	key := trendKey{a.ID, today}
	e.trends.mu.Lock()
	if w, ok := e.trends.m[key]; ok {
		e.trends.mu.Unlock()
		return w
	}
	e.trends.mu.Unlock()
	w := e.computeWeeklyScores(ctx, a, today)
	e.trends.mu.Lock()
	if e.trends.m == nil || len(e.trends.m) >= 50_000 {
		e.trends.m = map[trendKey]weekly{} // bounded: start over rather than grow
	}
	e.trends.m[key] = w
	e.trends.mu.Unlock()
	return w
}

// weekly is an account's trend: its points and the rules changes among them.
type weekly struct {
	pts   []Point
	marks []RulesMark
}

// RulesMark is where a trend's scores start coming from another rules
// version: from the point dated Date on, version Version scored them.
type RulesMark struct {
	Date    string `json:"date"` // the first point under the new rules, YYYY-MM-DD
	Version int    `json:"rules_version"`
	From    int    `json:"previous_version"` // 0: scores from before rules were versioned
}

// trendCache keeps an account's weekly trend for the day: it only changes
// when the account's data does (forget is called then).
type trendCache struct {
	mu sync.Mutex
	m  map[trendKey]weekly
}

type trendKey struct {
	id    string
	today domain.Date
}

func (c *trendCache) forget(id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for k := range c.m {
		if k.id == id {
			delete(c.m, k)
		}
	}
}

func (e *Engine) computeWeeklyScores(ctx context.Context, a *domain.Account, today domain.Date) weekly {
	from := today.AddDays(-7 * (trendWeeks - 1))
	hist, err := e.Store.ScoreHistory(ctx, a.ID, from, today)
	if err == nil && len(hist) >= trendWeeks/2 {
		w := weekly{pts: make([]Point, 0, len(hist))}
		for i, h := range hist {
			w.pts = append(w.pts, Point{Label: h.Date.String(), Value: float64(h.Combined)})
			if i > 0 && h.RulesVersion != hist[i-1].RulesVersion {
				w.marks = append(w.marks, RulesMark{Date: h.Date.String(), Version: h.RulesVersion, From: hist[i-1].RulesVersion})
			}
		}
		return w
	}
	var pts []Point
	for k := trendWeeks - 1; k >= 0; k-- {
		d := today.AddDays(-7 * k)
		if len(a.Usage) > 0 && d < a.Usage[0].Date {
			continue
		}
		pts = append(pts, Point{Label: d.String(), Value: float64(domain.CombinedScore(a, d, e.Rules().Health))})
	}
	return weekly{pts: pts} // every point under the rules in force
}

func (e *Engine) trendBlock(ctx context.Context, a *domain.Account, today domain.Date) *Trend {
	pts := e.weeklyScores(ctx, a, today).pts
	if len(pts) < 2 {
		return nil
	}
	lo, hi := trendScale(e.Rules().Health, pts)
	return &Trend{Label: "Combined health, weekly", Points: pts, Lo: lo, Hi: hi}
}

// scoreEdges are the combined score's band edges under the configured
// rules, low to high: the lowest score possible, the retention-risk band
// edges, 0, the sums of the engagement and revenue-potential medium and
// high minima, and the highest score possible.
func scoreEdges(h domain.HealthConfig) []float64 {
	mx := healthMaxima(h)
	edges := []float64{float64(mx.RetentionRisk), float64(h.RiskMediumMin), float64(h.RiskLowMin), 0,
		float64(h.EngagementMediumMin + h.PotentialMediumMin), float64(h.EngagementHighMin + h.PotentialHighMin),
		float64(mx.Engagement + mx.RevenuePotential)}
	slices.Sort(edges)
	return slices.Compact(edges)
}

// trendScale is the scale a trend is drawn on: from the band edge at or
// below its lowest point to the one at or above its highest, so 30 → 35
// reads as a step within the 20–40 band, not as a full-height bar.
func trendScale(h domain.HealthConfig, pts []Point) (float64, float64) {
	if len(pts) == 0 {
		return 0, 0
	}
	lo, hi := pts[0].Value, pts[0].Value
	for _, p := range pts {
		lo, hi = min(lo, p.Value), max(hi, p.Value)
	}
	edges := scoreEdges(h)
	sLo, sHi := lo, hi
	for _, x := range edges {
		if x <= lo {
			sLo = x
		}
	}
	for i := len(edges) - 1; i >= 0; i-- {
		if edges[i] >= hi {
			sHi = edges[i]
		}
	}
	if sLo == sHi { // a flat line on an edge: show the band above it
		for _, x := range edges {
			if x > sLo {
				sHi = x
				break
			}
		}
	}
	return sLo, sHi
}

// TrendResult is `account <name> trend`: the combined score, weekly.
type TrendResult struct {
	AccountRef
	Points []Point `json:"points"`
	// ScaleMin and ScaleMax are the band edges the sparkline is drawn
	// between (not the data's own minimum and maximum).
	ScaleMin float64 `json:"scale_min"`
	ScaleMax float64 `json:"scale_max"`
	// RulesChanges marks where the scoring rules changed within the trend
	// (`accountbot rules history`): scores on either side are not directly comparable.
	RulesChanges []RulesMark `json:"rules_changes"`

	tier int
}

func (e *Engine) trend(ctx context.Context, c *Call) (Result, error) {
	r := &TrendResult{AccountRef: ref(c.Account), Points: []Point{}, RulesChanges: []RulesMark{}, tier: e.evaluate(c).Tier.Tier}
	if t := e.trendBlock(ctx, c.Account, c.Today); t != nil {
		r.Points, r.ScaleMin, r.ScaleMax = t.Points, t.Lo, t.Hi
		if m := e.weeklyScores(ctx, c.Account, c.Today).marks; m != nil {
			r.RulesChanges = m
		}
	}
	return r, nil
}

// Message draws the trend.
func (r *TrendResult) Message() *Message {
	m := &Message{Title: fmt.Sprintf("%s — Tier %d — health trend", r.Name, r.tier)}
	if len(r.Points) < 2 {
		m.Blocks = append(m.Blocks, Section{Text: "Not enough history yet for a trend."})
		return m
	}
	first, last := r.Points[0].Value, r.Points[len(r.Points)-1].Value
	l := List{Title: "Combined score by week"}
	marks := map[string]RulesMark{}
	for _, mk := range r.RulesChanges {
		marks[mk.Date] = mk
	}
	for _, p := range r.Points {
		text := fmt.Sprintf("%s: %.0f", p.Label, p.Value)
		if mk, ok := marks[p.Label]; ok {
			text += fmt.Sprintf("  ← scoring rules v%d from here", mk.Version)
		}
		l.Items = append(l.Items, Item{Text: text})
	}
	m.Blocks = append(m.Blocks, Trend{Label: "Combined health, weekly", Points: r.Points, Lo: r.ScaleMin, Hi: r.ScaleMax}, l,
		Context{Text: fmt.Sprintf("From %.0f to %.0f over %d weeks; the sparkline's scale runs from %.0f to %.0f, the band edges around the scores.",
			first, last, len(r.Points)-1, r.ScaleMin, r.ScaleMax)})
	for _, mk := range r.RulesChanges {
		from := fmt.Sprintf("v%d", mk.From)
		if mk.From == 0 {
			from = "the unversioned rules"
		}
		m.Blocks = append(m.Blocks, Context{Text: fmt.Sprintf("The scoring rules changed on %s (%s → v%d): a step there may be the rules, not the account.", mk.Date, from, mk.Version)})
	}
	return m
}

// BookStats are book-wide figures for peer benchmarks ("top 25% by adoption").
type BookStats struct {
	Date     domain.Date
	Accounts int
	Adoption []float64 // adoption % of every account with feature counts
}

// AdoptionPercentile places an adoption % in the book.
func (b *BookStats) AdoptionPercentile(v float64) float64 { return domain.Percentile(b.Adoption, v) }

type bookCache struct {
	mu    sync.Mutex
	stats *BookStats
	at    time.Time
}

// bookStats computes (or reuses, for 10 minutes) the book-wide stats.
func (e *Engine) bookStats(ctx context.Context, today domain.Date) (*BookStats, error) {
	e.book.mu.Lock()
	defer e.book.mu.Unlock()
	if s := e.book.stats; s != nil && s.Date == today && time.Since(e.book.at) < 10*time.Minute {
		return s, nil
	}
	s := &BookStats{Date: today}
	err := e.Store.ForEach(ctx, func(a *domain.Account) error {
		s.Accounts++
		if v, ok := a.Adoption(); ok {
			s.Adoption = append(s.Adoption, v*100)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("computing book stats: %w", err)
	}
	e.book.stats, e.book.at = s, time.Now()
	return s, nil
}

// DraftResult is a drafted talk track, script or set of talking points.
type DraftResult struct {
	ID    string `json:"id"`
	Kind  string `json:"kind"`
	Title string `json:"title"`
	// CustomerText is what may be said or sent to the customer.
	CustomerText string `json:"customer_text"`
	// Internal is for the CSM only: warnings, evidence, missing data. It
	// is shown apart, labelled, and never shared.
	Internal       []string `json:"internal"`
	Source         string   `json:"source"` // "template" or "llm"
	FallbackReason string   `json:"fallback_reason,omitempty"`
	Missing        []string `json:"missing,omitempty"`
	// DataAsOf is how fresh the account data behind the draft is.
	DataAsOf *DataAsOf `json:"data_as_of,omitempty"`
}

func (r *DraftResult) asOf() **DataAsOf { return &r.DataAsOf }

// draftVerb answers a drafting command through the Drafter.
func (e *Engine) draftVerb(kind string) func(ctx context.Context, c *Call) (Result, error) {
	return func(ctx context.Context, c *Call) (Result, error) {
		return e.draft(ctx, c, kind, c.Args.Text("kind"))
	}
}

func (e *Engine) draft(ctx context.Context, c *Call, kind, arg string) (Result, error) {
	if e.Drafter == nil {
		return nil, domain.Errorf(domain.ECONFLICT, "Drafting is not available in this build.")
	}
	ev := e.evaluate(c)
	book, err := e.bookStats(ctx, c.Today)
	if err != nil {
		return nil, err
	}
	d, err := e.Drafter.Draft(ctx, DraftRequest{Kind: kind, Arg: arg, Account: c.Account, Evaluation: &ev, Book: book})
	if err != nil {
		return nil, err
	}
	return &DraftResult{ID: c.Account.ID, Kind: kind, Title: d.Title, CustomerText: d.Text, Internal: nonNil(d.Internal), Source: d.Source,
		FallbackReason: d.FallbackReason, Missing: d.Missing}, nil
}

// Message draws the draft with where it came from.
func (r *DraftResult) Message() *Message {
	m := &Message{Title: r.Title}
	m.Blocks = append(m.Blocks, Section{Text: r.CustomerText})
	if len(r.Internal) > 0 {
		m.Blocks = append(m.Blocks, List{Title: InternalTitle, Items: plainItems(r.Internal), Private: true})
	}
	note := "Drafted from the playbook template"
	if r.Source == "llm" {
		note = "Drafted from the playbook template and polished by the language model; every figure checked against the account"
	} else if r.FallbackReason != "" {
		note += " (language model not used: " + r.FallbackReason + ")"
	}
	if len(r.Missing) > 0 {
		note += ". Missing data: " + strings.Join(r.Missing, ", ")
	}
	m.Blocks = append(m.Blocks, Context{Text: note + "."}, accountButtons(r.ID))
	return m
}
