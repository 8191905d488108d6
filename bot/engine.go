package bot

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/accountbot/accountbot/domain"
)

// Store is what the engine needs from storage; any backend will do.
type Store interface {
	Account(ctx context.Context, id string) (*domain.Account, error)
	Resolve(ctx context.Context, query string) (domain.Resolution, error)
	ForEach(ctx context.Context, fn func(*domain.Account) error) error
	IDsByOwner(ctx context.Context, owner string) ([]string, error)
	Owners(ctx context.Context) ([]domain.OwnerCount, error)
	Apply(ctx context.Context, patches []domain.Patch) (domain.ApplyStats, error)
	ScoreHistory(ctx context.Context, id string, from, to domain.Date) ([]domain.ScoreSnapshot, error)
	SetSnooze(ctx context.Context, user, id string, until domain.Date) error
	AddOutcome(ctx context.Context, o domain.Outcome) error
	Outcomes(ctx context.Context, from, to domain.Date) ([]domain.Outcome, error)
	Settings(ctx context.Context, user string) (domain.UserSettings, error)
	SetSettings(ctx context.Context, user string, u domain.UserSettings) error
}

// NudgeStatus reports on proactive nudges (the scheduler implements it).
type NudgeStatus interface {
	Status(ctx context.Context, u User, now time.Time) (*Message, error)
}

// Drafter writes talk tracks and talking points for an account. The
// playbooks package provides it; nil leaves the draft commands unavailable.
type Drafter interface {
	Draft(ctx context.Context, req DraftRequest) (Draft, error)
	Objections() []string
	Polishing() bool // whether drafts go through a language model (and so are slow)
}

// DraftRequest asks for one playbook applied to one account.
type DraftRequest struct {
	Kind       string // "qbr", "expand", "objection", "renewal", "map"
	Arg        string // motion or objection kind
	Account    *domain.Account
	Evaluation *domain.Evaluation
	Book       *BookStats
}

// Draft is a drafted text with where it came from.
type Draft struct {
	Title          string   `json:"title"`
	Text           string   `json:"text"`
	Source         string   `json:"source"` // "template" or "llm"
	FallbackReason string   `json:"fallback_reason,omitempty"`
	Missing        []string `json:"missing,omitempty"`
}

// User is who asks, as far as the platform knows.
type User struct {
	ID       string // platform user id
	Email    string // resolved e-mail; "" when unknown
	Name     string
	Platform string // console, slack, teams, cli
}

// Request is one command from any platform.
type Request struct {
	Text string
	User User
	Now  time.Time // the clock; its date (in Location) is "today"
	// Location is the asker's time zone for "today"; UTC when nil.
	Location *time.Location
}

// Engine answers commands.
type Engine struct {
	Store   Store
	Config  domain.Config
	Drafter Drafter
	Nudges  NudgeStatus // nil when nudges are not running
	Log     *slog.Logger
	reg     *Registry
	book    bookCache
	trends  trendCache
}

// NewEngine builds an engine with every verb registered.
func NewEngine(store Store, cfg domain.Config, log *slog.Logger) *Engine {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	e := &Engine{Store: store, Config: cfg, Log: log, reg: NewRegistry()}
	e.registerAccountVerbs()
	e.registerPortfolioVerbs()
	e.reg.MustRegister(Verb{Noun: "help", Name: "", Args: "[account|portfolio]", Help: "this list",
		Run: func(ctx context.Context, c *Call) (*Message, error) { return e.reg.Help(c.Parsed.Verb), nil }})
	return e
}

// Slow reports whether a command will take long enough that a platform
// should show a "drafting…" placeholder at once: drafts, when a language
// model polishes them.
func (e *Engine) Slow(text string) bool {
	if e.Drafter == nil || !e.Drafter.Polishing() {
		return false
	}
	p, err := Parse(e.reg, text)
	if err != nil || p.Noun != "account" {
		return false
	}
	for _, q := range append([]Parsed{p}, p.Longer...) {
		switch q.Verb {
		case "qbr", "objection":
			return true
		case "expand", "expansion", "opportunities", "renewal":
			if len(q.Args) > 0 && strings.EqualFold(q.Args[0], "draft") {
				return true
			}
		}
	}
	return false
}

// Registry exposes the verbs (for help and for adapters that list commands).
func (e *Engine) Registry() *Registry { return e.reg }

// Call is one command being answered.
type Call struct {
	Req     Request
	Today   domain.Date
	Parsed  Parsed
	Account *domain.Account // resolved, for account verbs
}

// Handle answers a request. It never fails: user mistakes come back as a
// message saying what to fix; internal failures are logged and answered
// with a short apology that leaks nothing.
func (e *Engine) Handle(ctx context.Context, req Request) *Message {
	m, err := e.handle(ctx, req)
	if err == nil {
		return m
	}
	switch domain.ErrorCode(err) {
	case domain.EINVALID, domain.ENOTFOUND, domain.ECONFLICT:
		return userError("%s", domain.ErrorMessage(err))
	}
	e.Log.Error("command failed", "text", req.Text, "user", req.User.Email, "platform", req.User.Platform, "err", err)
	return &Message{Title: "Something went wrong", Error: true,
		Blocks: []Block{Section{Text: domain.ErrorMessage(err)}}, Data: map[string]any{"error": domain.ErrorMessage(err), "code": domain.EINTERNAL}}
}

func (e *Engine) handle(ctx context.Context, req Request) (*Message, error) {
	if len(req.Text) > 4000 {
		return nil, domain.Errorf(domain.EINVALID, "That command is too long (over 4,000 characters).")
	}
	p, err := Parse(e.reg, req.Text)
	if err != nil {
		return nil, err
	}
	loc := req.Location
	if loc == nil {
		loc = time.UTC
	}
	now := req.Now
	if now.IsZero() {
		now = time.Now()
	}
	c := &Call{Req: req, Today: domain.DateOf(now.In(loc)), Parsed: p}
	var v *Verb
	switch p.Noun {
	case "help", "?":
		c.Parsed.Verb = ""
		if len(p.Args) > 0 || p.Verb != "" {
			c.Parsed.Verb = strings.ToLower(strings.TrimSpace(p.Verb))
		}
		return e.reg.Help(c.Parsed.Verb), nil
	case "account", "portfolio":
		var ok bool
		if v, ok = e.reg.Lookup(p.Noun, p.Verb); !ok {
			return nil, domain.Errorf(domain.EINVALID, "%q is not a %s command. %s", p.Verb, p.Noun, verbList(e.reg, p.Noun))
		}
	default:
		return nil, domain.Errorf(domain.EINVALID, "I don't know %q. Commands start with `account`, `portfolio` or `help`.", p.Noun)
	}
	if p.Noun == "account" {
		// A longer reading wins when its name is exactly one account.
		for _, alt := range p.Longer {
			res, err := e.Store.Resolve(ctx, alt.Target)
			if err != nil {
				return nil, fmt.Errorf("resolving %q: %w", alt.Target, err)
			}
			if av, ok := e.reg.Lookup(alt.Noun, alt.Verb); ok && len(res.IDs) == 1 {
				v, c.Parsed = av, alt
				break
			}
		}
		if c.Account, err = e.resolve(ctx, c.Parsed.Target); err != nil {
			return nil, err
		}
	}
	return v.Run(ctx, c)
}

func verbList(r *Registry, noun string) string {
	var names []string
	for _, v := range r.Verbs(noun) {
		if v.Name != "" {
			names = append(names, v.Name)
		}
	}
	return "Try one of: " + strings.Join(names, ", ") + "."
}

// resolve finds one account by what the user typed.
func (e *Engine) resolve(ctx context.Context, name string) (*domain.Account, error) {
	res, err := e.Store.Resolve(ctx, name)
	if err != nil {
		return nil, fmt.Errorf("resolving %q: %w", name, err)
	}
	switch len(res.IDs) {
	case 1:
		return e.Store.Account(ctx, res.IDs[0])
	case 0:
		msg := fmt.Sprintf("No account matches %q.", name)
		if len(res.Suggestions) > 0 {
			var names []string
			for _, id := range res.Suggestions {
				if a, err := e.Store.Account(ctx, id); err == nil {
					names = append(names, fmt.Sprintf("%s (%s)", a.Name, a.ID))
				}
			}
			msg += " Did you mean " + orList(names) + "?"
		}
		return nil, domain.Errorf(domain.ENOTFOUND, "%s", msg)
	}
	var names []string
	for i, id := range res.IDs {
		if i == 10 {
			names = append(names, "…")
			break
		}
		if a, err := e.Store.Account(ctx, id); err == nil {
			names = append(names, fmt.Sprintf("%s (%s)", a.Name, a.ID))
		}
	}
	return nil, domain.Errorf(domain.EINVALID, "%q matches several accounts: %s. Use the id or the full name.", name, strings.Join(names, ", "))
}

func orList(s []string) string {
	switch len(s) {
	case 0:
		return ""
	case 1:
		return s[0]
	}
	return strings.Join(s[:len(s)-1], ", ") + " or " + s[len(s)-1]
}

func userError(format string, args ...any) *Message {
	text := fmt.Sprintf(format, args...)
	return &Message{Title: "Can't do that", Error: true, Blocks: []Block{Section{Text: text}},
		Data: map[string]any{"error": text}}
}
