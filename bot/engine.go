package bot

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync/atomic"
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

// NudgeStatus reports on proactive nudges (the nudge scheduler implements it).
type NudgeStatus interface {
	Status(ctx context.Context, u User, now time.Time) (NudgeStatusResult, error)
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

// Draft is a drafted text with where it came from. Text may reach the
// customer; Internal is for the CSM only (warnings, evidence, notes) and
// is never part of what Share posts.
type Draft struct {
	Title          string   `json:"title"`
	Text           string   `json:"customer_text"`
	Internal       []string `json:"internal,omitempty"`
	Source         string   `json:"source"` // "template" or "llm"
	FallbackReason string   `json:"fallback_reason,omitempty"`
	Missing        []string `json:"missing,omitempty"`
}

// User is who asks, as far as the platform knows. Platforms set Email
// only when they trust it: a full member of the home workspace or tenant
// (the installation binding); access control reads nothing else.
type User struct {
	ID       string // platform user id
	Email    string // resolved e-mail; "" when unknown or untrusted
	Name     string
	Platform string // console, slack, teams, cli
	// Guest: a guest, restricted, external or Slack Connect user: help only.
	Guest bool
	// Operator: the console or CLI without --as (whoever runs the binary
	// can read the data directory anyway): admin.
	Operator bool
	// Workspace is the Slack team id or Teams tenant id, for the audit log.
	Workspace string
}

// Request is one command from any platform.
type Request struct {
	Text string
	User User
	Now  time.Time // the clock; its date (in Location) is "today"
	// Location is the asker's time zone for "today"; UTC when nil.
	Location *time.Location
	// WriteID identifies the user's action (Slack trigger id, Teams
	// activity id, a console line): a write carrying an id already
	// recorded changes nothing (a replay, a double click, a redelivery).
	WriteID string
}

// Engine answers commands.
type Engine struct {
	Store Store
	// rules are the scoring rules in force; SetRules swaps them while
	// commands run (a new rules version), so they are read through Rules.
	rules   atomic.Pointer[domain.Config]
	Drafter Drafter
	Nudges  NudgeStatus // nil when nudges are not running
	Audit   AuditLog    // nil: nothing is audited (tests)
	// AuditReader answers `portfolio audit`; nil: an empty log.
	AuditReader AuditReader
	Sync        SyncStatus // nil when the process has no sync store (syncstatus.go)
	RulesLog    RulesLog   // `portfolio rules`; nil: not available (portfolio_rules.go)
	Log         *slog.Logger
	// Observe, when set, is told of every command run (metrics): the
	// registered verb ("unknown" when none matched), the error, the time.
	Observe func(verb string, err error, took time.Duration)
	// Ranks, when set, answers "top N" from stored ranks (portfolio_top.go).
	Ranks  Ranks
	reg    *Registry
	book   bookCache
	trends trendCache
}

// NewEngine builds an engine with every verb registered.
func NewEngine(store Store, cfg domain.Config, log *slog.Logger) *Engine {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	e := &Engine{Store: store, Log: log, reg: NewRegistry()}
	e.rules.Store(&cfg)
	e.registerAccountVerbs()
	e.registerPortfolioVerbs()
	e.registerAuditVerb()
	e.registerPortfolioSync()
	e.registerPortfolioUnmatched()
	e.registerPortfolioRules()
	e.reg.MustRegister(Verb{Noun: "help", Name: "", Help: "this list", Result: &HelpResult{},
		Args: []Arg{{Name: "topic", Kind: KindWord, Usage: "[account|portfolio]", Help: "only this noun's commands"}},
		Run: func(ctx context.Context, c *Call) (Result, error) {
			return e.reg.Help(strings.ToLower(c.Args.Text("topic")))
		}})
	e.reg.declareAccess()
	return e
}

// Registry exposes the verbs (for help, schemas and adapters that list commands).
func (e *Engine) Registry() *Registry { return e.reg }

// Call is one command being answered: the verb, its typed arguments and,
// for account verbs, the resolved account.
type Call struct {
	Req     Request
	Today   domain.Date
	Verb    *Verb
	Args    Args
	Account *domain.Account
	// Who is the asker for access control; decision is what Authorize said.
	Who      domain.Principal
	decision domain.Decision
}

// Command is a request parsed once: platforms ask it whether it is slow
// (to show a placeholder) and then run it.
type Command struct {
	req    Request
	parsed Parsed
	err    error
	slow   bool
}

// As returns the command as asked by u (platforms learn who asks after
// they have parsed the text).
func (c *Command) As(u User) *Command {
	cp := *c
	cp.req.User = u
	return &cp
}

// Slow reports whether the command drafts through a language model, so a
// platform should show a "drafting…" placeholder at once.
func (c *Command) Slow() bool { return c.slow }

// Prepare parses a request's text.
func (e *Engine) Prepare(req Request) *Command {
	c := &Command{req: req}
	if len(req.Text) > 4000 {
		c.err = domain.Errorf(domain.EINVALID, "That command is too long (over 4,000 characters).")
		return c
	}
	c.parsed, c.err = Parse(e.reg, req.Text)
	if c.err == nil && e.Drafter != nil && e.Drafter.Polishing() {
		for _, p := range append([]Parsed{c.parsed}, c.parsed.Longer...) {
			if v, ok := e.reg.Lookup(p.Noun, p.Verb); ok && v.isSlow(p.Words()) {
				c.slow = true
			}
		}
	}
	return c
}

// isSlow applies the verb's declaration to the words typed.
func (v *Verb) isSlow(words []string) bool {
	if !v.Slow || v.SlowFlag == "" {
		return v.Slow
	}
	for _, w := range words {
		if strings.EqualFold(w, v.SlowFlag) {
			return true
		}
	}
	return false
}

// Handle answers a request. It never fails: user mistakes come back as a
// message saying what to fix; internal failures are logged and answered
// with a short apology that leaks nothing.
func (e *Engine) Handle(ctx context.Context, req Request) *Message {
	return e.Run(ctx, e.Prepare(req))
}

// Run answers a prepared command.
func (e *Engine) Run(ctx context.Context, cmd *Command) *Message {
	start := time.Now()
	c := e.newCall(cmd.req)
	if s, ok := e.Store.(readScoper); ok {
		ctx = s.ReadScope(ctx, c.Today)
	}
	r, err := e.runCommand(ctx, cmd, c)
	r, err = replayed(r, err)
	e.audit(ctx, domain.AuditCommand, c, cmd.req.Text, r, err)
	if e.Observe != nil {
		e.Observe(e.verbLabel(cmd), err, time.Since(start))
	}
	return e.answer(cmd.req, r, err)
}

// readScoper is a store that can read one command's account together with
// what the verb reads about it next, in one round trip (PostgreSQL: its
// score history). The scope ends with the command, so nothing read in it
// is reused by the next.
type readScoper interface {
	ReadScope(ctx context.Context, today domain.Date) context.Context
}

// verbLabel names the command's registered verb, never the user's words.
func (e *Engine) verbLabel(cmd *Command) string {
	if cmd.err == nil {
		if v, ok := e.reg.Lookup(cmd.parsed.Noun, cmd.parsed.Verb); ok {
			return strings.TrimSpace(v.Noun + " " + v.Name)
		}
	}
	return "unknown"
}

// answer turns a verb's outcome into the reply, logging internal failures.
func (e *Engine) answer(req Request, r Result, err error) *Message {
	if err == nil {
		return reply(r)
	}
	if domain.ErrorCode(err) == domain.EINTERNAL {
		e.Log.Error("command failed", "text", req.Text, "user", req.User.Email, "platform", req.User.Platform, "err", err)
	}
	return reply(errorResult(err))
}

func (e *Engine) runCommand(ctx context.Context, cmd *Command, c *Call) (Result, error) {
	if cmd.err != nil {
		return nil, cmd.err
	}
	p := cmd.parsed
	var err error
	if c.Who, err = e.principal(ctx, c.Req.User); err != nil {
		return nil, err
	}
	if p.Noun != "help" { // the unidentified, guests and strangers get help only, before any name is resolved
		if d := domain.Authorize(c.Who, domain.Requirement{Scope: domain.ScopeSelf}, domain.Target{}, e.Rules().Access); !d.Allowed {
			c.decision = d
			return nil, refused(d)
		}
	}
	switch p.Noun {
	case "help", "account", "portfolio":
	default:
		return nil, domain.Errorf(domain.EINVALID, "I don't know %q. Commands start with `account`, `portfolio` or `help`.", p.Noun)
	}
	if p.Noun == "account" {
		if p, c.Account, err = e.pickReading(ctx, c.Who, p); err != nil {
			return nil, err
		}
	}
	v, ok := e.reg.Lookup(p.Noun, p.Verb)
	if !ok {
		return nil, domain.Errorf(domain.EINVALID, "%q is not a %s command. %s", p.Verb, p.Noun, verbList(e.reg, p.Noun))
	}
	args, err := v.bindWords(p, c.currency())
	if err != nil {
		return nil, err
	}
	c.Verb, c.Args = v, args
	if err := e.authorize(ctx, c); err != nil {
		return nil, err
	}
	r, err := v.Run(ctx, c)
	if err == nil {
		e.withDataAsOf(c, r)
	}
	return r, err
}

func (e *Engine) newCall(req Request) *Call {
	loc := req.Location
	if loc == nil {
		loc = time.UTC
	}
	if req.Now.IsZero() {
		req.Now = time.Now()
	}
	return &Call{Req: req, Today: domain.DateOf(req.Now.In(loc))}
}

// currency is what money arguments are read in: the account's.
func (c *Call) currency() string {
	if c.Account != nil && c.Account.Currency != "" {
		return c.Account.Currency
	}
	return "USD"
}

// pickReading chooses how an account command is read when its name
// contains verb words. A longer reading wins when its name is exactly one
// account; when the usual reading's name is unknown or ambiguous, reading
// every word as the name wins if that names exactly one account.
func (e *Engine) pickReading(ctx context.Context, who domain.Principal, p Parsed) (Parsed, *domain.Account, error) {
	for _, alt := range p.Longer {
		if !e.reg.IsVerb(alt.Noun, alt.Verb) {
			continue
		}
		if a, err := e.exactlyOne(ctx, who, alt.Target); err != nil || a != nil {
			return alt, a, err
		}
	}
	if _, ok := e.reg.Lookup(p.Noun, p.Verb); !ok {
		return p, nil, domain.Errorf(domain.EINVALID, "%q is not a %s command. %s", p.Verb, p.Noun, verbList(e.reg, p.Noun))
	}
	a, err := e.resolve(ctx, who, p.Target)
	if err == nil || p.Whole == nil {
		return p, a, err
	}
	if code := domain.ErrorCode(err); code == domain.EINVALID || code == domain.ENOTFOUND {
		if w, werr := e.exactlyOne(ctx, who, p.Whole.Target); werr != nil || w != nil {
			return *p.Whole, w, werr
		}
	}
	return p, nil, err
}

// exactlyOne returns the account name resolves to when it names exactly
// one, and nil otherwise.
func (e *Engine) exactlyOne(ctx context.Context, who domain.Principal, name string) (*domain.Account, error) {
	res, one, err := e.resolveReadable(ctx, who, name)
	if err != nil || one != nil {
		return one, err
	}
	if len(res.IDs) != 1 {
		return nil, nil
	}
	return e.Store.Account(ctx, res.IDs[0])
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
func (e *Engine) resolve(ctx context.Context, who domain.Principal, name string) (*domain.Account, error) {
	res, one, err := e.resolveReadable(ctx, who, name)
	if err != nil || one != nil {
		return one, err
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

// resolveReadable resolves a name among the accounts who may read only;
// one is the account when exactly one matches and was read on the way.
func (e *Engine) resolveReadable(ctx context.Context, who domain.Principal, name string) (domain.Resolution, *domain.Account, error) {
	if a, err := e.byID(ctx, who, name); a != nil || err != nil {
		return domain.Resolution{IDs: []string{name}}, a, err
	}
	res, err := e.Store.Resolve(ctx, name)
	if err != nil {
		return res, nil, fmt.Errorf("resolving %q: %w", name, err)
	}
	var one *domain.Account
	if res.IDs, one, err = e.readable(ctx, who, res.IDs); err != nil {
		return res, nil, fmt.Errorf("resolving %q: %w", name, err)
	}
	if len(res.IDs) == 0 && len(res.Suggestions) > 0 {
		if res.Suggestions, _, err = e.readable(ctx, who, res.Suggestions); err != nil {
			return res, nil, fmt.Errorf("resolving %q: %w", name, err)
		}
	}
	return res, one, nil
}

// byID is the account whose id name is, when the asker may read it: an id
// names its account before any name does (Resolve's first rule), and
// reading the account here reads it once instead of once to resolve and
// again to answer. nil: resolve name as usual (that also handles an id
// that exists but may not be read, exactly as before).
func (e *Engine) byID(ctx context.Context, who domain.Principal, name string) (*domain.Account, error) {
	if name != strings.TrimSpace(name) || !domain.ValidID(name) {
		return nil, nil
	}
	a, err := e.Store.Account(ctx, name)
	if domain.ErrorCode(err) == domain.ENOTFOUND {
		return nil, nil
	} else if err != nil {
		return nil, fmt.Errorf("resolving %q: %w", name, err)
	}
	if ok, err := e.mayRead(ctx, &who, a); !ok || err != nil {
		return nil, err
	}
	return a, nil
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
