// Package playbooks holds AccountBot's playbook templates and the drafter
// that fills them with an account's own numbers.
package playbooks

import (
	"bytes"
	"context"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"slices"
	"sort"
	"strings"
	"text/template"

	"github.com/accountbot/accountbot/bot"
	"github.com/accountbot/accountbot/domain"
)

//go:embed templates/*.tmpl
var embedded embed.FS

// Objections are the objection kinds with a playbook.
var Objections = []string{"budget", "competitor", "vendor", "value", "timing", "champion", "executive"}

var objectionTitles = map[string]string{
	"budget":     `Objection: "We need to review budget before committing"`,
	"competitor": `Objection: "We're evaluating a competitor who's offered lower pricing"`,
	"vendor":     `Objection: "We want to try a different vendor"`,
	"value":      `Objection: "We're not getting enough value"`,
	"timing":     `Objection: "Now isn't a good time"`,
	"champion":   "Champion departure",
	"executive":  "Executive disengagement",
}

// Drafter fills templates, then optionally has a language model polish
// them. It is safe for concurrent use.
type Drafter struct {
	tmpl    *template.Template
	version string // hash of every template's source
	llm     *Polisher
	log     *slog.Logger
}

// WithLLM turns on LLM polish (nil leaves it off).
func (d *Drafter) WithLLM(p *Polisher, log *slog.Logger) *Drafter {
	d.llm, d.log = p, log
	if p != nil {
		p.version = d.version
	}
	return d
}

// New loads the embedded templates, replaced file by file by any *.tmpl in
// dir (when dir is not empty), and checks that every template renders with
// complete sample facts, so a template naming a missing field fails here,
// at load, not when a user asks.
func New(dir string) (*Drafter, error) {
	t := template.New("playbooks").Option("missingkey=error")
	files := map[string][]byte{}
	if err := fs.WalkDir(embedded, "templates", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := embedded.ReadFile(p)
		files[strings.TrimPrefix(p, "templates/")] = b
		return err
	}); err != nil {
		return nil, fmt.Errorf("reading embedded templates: %w", err)
	}
	if dir != "" {
		entries, err := os.ReadDir(dir)
		if err != nil {
			return nil, fmt.Errorf("reading playbook directory %s: %w", dir, err)
		}
		for _, e := range entries {
			if e.IsDir() || !strings.HasSuffix(e.Name(), ".tmpl") {
				continue
			}
			b, err := os.ReadFile(dir + "/" + e.Name())
			if err != nil {
				return nil, fmt.Errorf("reading playbook %s: %w", e.Name(), err)
			}
			files[e.Name()] = b
		}
	}
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	h := sha256.New()
	for _, n := range names {
		h.Write([]byte(n))
		h.Write(files[n])
	}
	for _, n := range names {
		if _, err := t.New(n).Parse(string(files[n])); err != nil {
			return nil, fmt.Errorf("playbook %s: %w", n, err)
		}
	}
	d := &Drafter{tmpl: t, version: hex.EncodeToString(h.Sum(nil))[:16]}
	if err := d.check(); err != nil {
		return nil, err
	}
	return d, nil
}

// required names every template the drafter may execute.
func required() []string {
	out := []string{"qbr", "renewal"}
	for _, o := range Objections {
		out = append(out, "objection_"+o)
	}
	for _, m := range append(domain.Motions, domain.MotionAdoptionFirst) {
		out = append(out, "expand_"+string(m))
	}
	return out
}

func (d *Drafter) check() error {
	sample := sampleFacts()
	for _, name := range required() {
		if d.tmpl.Lookup(name) == nil {
			return fmt.Errorf("playbook %q is missing (define it with {{define %q}})", name, name)
		}
		for _, stage := range []string{"gauge", "showcase", "finalize", "early"} {
			sample.Stage = stage
			if err := d.tmpl.ExecuteTemplate(&bytes.Buffer{}, name, sample); err != nil {
				return fmt.Errorf("playbook %q does not render: %w", name, err)
			}
		}
	}
	return nil
}

func sampleFacts() Facts {
	return Facts{ID: "x", Name: "Sample", Owner: "csm@example.com", ARR: "$1", Tier: 1, Adoption: "50%", FeaturesAdopted: 1, FeaturesAvailable: 2, UnusedFeatures: 1,
		Benchmark: "b", ROI: &ROIFacts{"1 hour per week", "$1", "$52", "$1", "5200%", "0.2 months"}, Full: &FullFacts{"$104", "10400%"}, Whitespace: "$52",
		Strengths: []string{"s"}, Risks: []string{"r"}, ChampionLeft: true, FormerChampion: "f", Executive: "e", ExecGap: true,
		LimitNear: &LimitFacts{"API calls", "80%"}, Integration: true, CompetitorActive: true, Hiring: 10,
		Opportunities: []OppFacts{{"t", "p", "e", "$1", "seats", false}}, Opportunity: OppFacts{"t", "p", "e", "$1", "seats", false},
		Expansion: []OppFacts{{"t", "p", "e", "$1", "seats", false}}, MultiYear: &MultiYearFacts{3, "$1", "$3"}, PriceIncrease: "$1–$2",
		Years: 3, DeferDays: seedDeferDays, Positioning: "p", Problem: "p", Offer: "o", Renewal: "r", RenewalDate: "2026-01-01", StageTitle: "s",
		Readiness: "green", ReadinessNotes: []string{"n"}, Term: "12-month term"}
}

// Polishing reports whether an LLM polishes drafts (bot.Drafter).
func (d *Drafter) Polishing() bool { return d.llm != nil }

// Objections lists the objection kinds (bot.Drafter).
func (d *Drafter) Objections() []string { return Objections }

// Draft is a playbook draft with what may reach the customer kept apart
// from what is for the CSM only.
type Draft struct {
	Title string `json:"title"`
	// CustomerText may be said or sent to the customer: every figure in it
	// comes from a typed field, and no free-text note is quoted.
	CustomerText string `json:"customer_text"`
	// Internal is for the CSM only: warnings (a below-cost return, an
	// active competitor), the evidence and uplift behind an opportunity,
	// readiness and risks — these may quote notes.
	Internal       []string `json:"internal,omitempty"`
	Missing        []string `json:"missing,omitempty"`
	Source         string   `json:"source"` // "template" or "llm"
	FallbackReason string   `json:"fallback_reason,omitempty"`
}

// InternalHeading introduces the CSM-only notes where they are written as
// one text (Combined).
const InternalHeading = bot.InternalTitle + ":"

// Bot converts the draft for the bot, customer text and internal notes
// still apart: every platform shows the notes in their own labelled block,
// which Share in channel never posts.
func (d Draft) Bot() bot.Draft {
	return bot.Draft{Title: d.Title, Text: d.CustomerText, Internal: d.Internal, Source: d.Source, FallbackReason: d.FallbackReason, Missing: d.Missing}
}

// Combined is the draft as one text: the customer text, then the internal
// notes under InternalHeading (for files and logs, never for the customer).
func (d Draft) Combined() string {
	text := d.CustomerText
	if len(d.Internal) > 0 {
		text += "\n\n" + InternalHeading + "\n• " + strings.Join(d.Internal, "\n• ")
	}
	return text
}

// Draft renders a playbook for an account (bot.Drafter).
func (d *Drafter) Draft(ctx context.Context, req bot.DraftRequest) (bot.Draft, error) {
	x, err := d.Compose(ctx, req)
	if err != nil {
		return bot.Draft{}, err
	}
	return x.Bot(), nil
}

// Compose renders a playbook for an account, customer text and internal
// notes apart; with an LLM, only the customer text is polished.
func (d *Drafter) Compose(ctx context.Context, req bot.DraftRequest) (Draft, error) {
	f, missing := buildFacts(req)
	name, title := req.Kind, ""
	switch req.Kind {
	case "qbr":
		title = fmt.Sprintf("QBR talking points — %s (Tier %d, %s ARR)", f.Name, f.Tier, f.ARR)
	case "renewal":
		title = "Renewal script — " + f.Name
	case "objection":
		kind := strings.ToLower(req.Arg)
		if !slices.Contains(Objections, kind) {
			return Draft{}, domain.Errorf(domain.EINVALID, "There's no playbook for the objection %q. Kinds: %s.", req.Arg, strings.Join(Objections, ", "))
		}
		name, title = "objection_"+kind, objectionTitles[kind]+" — "+f.Name
	case "expand":
		o, err := pickOpportunity(req, f)
		if err != nil {
			return Draft{}, err
		}
		f.Opportunity, f.Hold = oppFacts(req.Account, o), o.Hold
		f.Integration = o.Source == domain.SignalIntegration
		name = "expand_" + string(o.Motion)
		title = "Talk track — " + o.Title + " — " + f.Name
	default:
		return Draft{}, domain.Errorf(domain.EINVALID, "unknown playbook %q", req.Kind)
	}
	warnings(req, &f, name)
	var b bytes.Buffer
	if err := d.tmpl.ExecuteTemplate(&b, name, f); err != nil {
		return Draft{}, fmt.Errorf("rendering playbook %s for %s: %w", name, req.Account.ID, err)
	}
	draft := Draft{Title: title, CustomerText: strings.TrimSpace(b.String()), Internal: *f.notes, Source: "template", Missing: missing}
	if d.llm == nil {
		return draft, nil
	}
	facts, notes, err := promptFacts(req, f)
	if err != nil {
		return draft, nil
	}
	// Only this account's own facts go into the prompt; its notes go in
	// quoted and marked untrusted, and no figure may come from them.
	polished, err := d.llm.Polish(ctx, facts, notes, draft.CustomerText, contactNames(req))
	if err != nil {
		draft.FallbackReason = err.Error()
		if d.log != nil {
			d.log.Warn("using the template draft", "account", req.Account.ID, "playbook", name, "reason", err)
		}
		return draft, nil
	}
	draft.CustomerText, draft.Source = polished, "llm"
	return draft, nil
}

// warnings adds the internal notes every playbook carries.
func warnings(req bot.DraftRequest, f *Facts, name string) {
	a := req.Account
	if r, ok := domain.ReturnOf(a); ok && r.BelowCost() {
		f.Note("Value delivered so far (%s a year) is below the cost (%s a year; a %.0f%% return): never present it as a result. This draft uses a value-realisation plan instead; check the value inputs with the customer.",
			a.Money(r.Now.AnnualValue).Format(), a.Money(a.ARR).Format(), r.Now.ReturnPct)
	}
	if !f.CompetitorActive && name != "objection_competitor" && name != "objection_vendor" {
		return
	}
	for i := len(a.Signals) - 1; i >= 0; i-- {
		if s := a.Signals[i]; s.Kind == domain.SignalCompetitor && s.Date <= req.Evaluation.Today {
			f.Note("Competitor context: mentioned on %s%s", s.Date, quoteNote(s.Note))
			return
		}
	}
}

func quoteNote(n string) string {
	if n == "" {
		return ""
	}
	return fmt.Sprintf(": %q", n)
}

// contactNames are the names masking hides from the model.
func contactNames(req bot.DraftRequest) []string {
	names := append([]string{req.Account.Name}, req.Account.Aliases...)
	for _, s := range req.Account.Stakeholders {
		names = append(names, s.Name)
	}
	return names
}

// pickOpportunity chooses the motion asked for, or the best opportunity.
func pickOpportunity(req bot.DraftRequest, f Facts) (domain.Opportunity, error) {
	ops := req.Evaluation.Opportunities
	if req.Arg != "" {
		want := domain.Motion(strings.ToLower(strings.ReplaceAll(req.Arg, "-", "_")))
		for _, o := range ops {
			if o.Motion == want {
				return o, nil
			}
		}
		if !domain.KnownMotion(want) {
			var ms []string
			for _, m := range domain.Motions {
				ms = append(ms, string(m))
			}
			return domain.Opportunity{}, domain.Errorf(domain.EINVALID, "%q is not a motion. Motions: %s.", req.Arg, strings.Join(ms, ", "))
		}
		return domain.Opportunity{Motion: want, Title: want.Label(), Evidence: "no trigger fired for this motion; confirm the need in discovery"}, nil
	}
	if o := req.Evaluation.BestOpportunity(); o != nil {
		return *o, nil
	}
	for _, o := range ops {
		return o, nil
	}
	return domain.Opportunity{}, domain.Errorf(domain.ECONFLICT, "No expansion trigger fired for %s; name a motion to draft anyway (e.g. `account %s expand draft seats`).", f.Name, f.ID)
}
