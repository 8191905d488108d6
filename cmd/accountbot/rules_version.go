package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/user"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/accountbot/accountbot/bot"
	"github.com/accountbot/accountbot/bot/nudge"
	"github.com/accountbot/accountbot/domain"
	"github.com/accountbot/accountbot/evaluator"
)

// rulesState is the rules version in force in this process, shared with
// the commands a running serve receives through the control socket so
// that `rules apply` switches its engine and nudges at once.
type rulesState struct {
	cur atomic.Pointer[domain.RulesVersion]
	// load makes loadRules run once at a time: serve's start and a command
	// from the control socket may both load, and both would record a
	// config-file edit as a version.
	load   sync.Mutex
	mu     sync.Mutex // guards loaded, engines and nudges
	loaded bool
	// Everything scoring with the rules, switched by put.
	engines    []*bot.Engine
	nudges     []*nudge.Scheduler
	evaluators []*evaluator.Evaluator
}

// scoringRules are the rules in force: the stored version once loadRules
// ran, else the config file's.
func (m *Main) scoringRules() (domain.Config, int) {
	if m.rules != nil {
		if v := m.rules.cur.Load(); v != nil {
			return v.Rules, v.Version
		}
	}
	return m.Config.Rules, 0
}

// put makes v the version in force for every engine and scheduler.
func (s *rulesState) put(v domain.RulesVersion) {
	s.cur.Store(&v)
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, e := range s.engines {
		e.SetRules(v.Rules)
	}
	for _, n := range s.nudges {
		n.SetRules(v.Rules)
	}
	for _, ev := range s.evaluators {
		ev.SetRules(v.Rules, v.Version)
	}
}

// restart forgets the version in force and everything that followed it:
// after a live restore the components start again over the restored store,
// whose rules versions loadRules reads afresh.
func (s *rulesState) restart() {
	if s == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.loaded = false
	s.engines, s.nudges, s.evaluators = nil, nil, nil
}

// followRulesEvaluator registers the evaluator to switch with the rules:
// stored ranks and alerts then follow the version in force.
// version is the one ev was made with.
func (m *Main) followRulesEvaluator(ev *evaluator.Evaluator, version int) {
	if m.rules == nil {
		return
	}
	m.rules.mu.Lock()
	defer m.rules.mu.Unlock()
	m.rules.evaluators = append(m.rules.evaluators, ev)
	// A version put after ev read the rules but before this registration
	// would otherwise be missed (put stores cur before taking mu). Only a
	// new one: SetRules re-ranks the whole book.
	if v := m.rules.cur.Load(); v != nil && v.Version != version {
		ev.SetRules(v.Rules, v.Version)
	}
}

// follow registers an engine or scheduler to switch with the rules.
func (m *Main) followRules(e *bot.Engine, n *nudge.Scheduler) {
	m.rules.mu.Lock()
	defer m.rules.mu.Unlock()
	// A `rules apply` from the control socket may have put a version since
	// e or n read the rules: they start from the one in force.
	v := m.rules.cur.Load()
	if e != nil {
		m.rules.engines = append(m.rules.engines, e)
		if v != nil {
			e.SetRules(v.Rules)
		}
	}
	if n != nil {
		m.rules.nudges = append(m.rules.nudges, n)
		if v != nil {
			n.SetRules(v.Rules)
		}
	}
}

// loadRules decides, once per process, which rules are in force. Stored
// versions win once one exists. The first start records the config file's
// rules as v1. Later, keys of the config file's rules section that changed
// since it was last seen are applied over the version in force as a new
// version (by "config file"); keys left alone never undo a `rules apply`.
func (m *Main) loadRules(ctx context.Context, db Store) error {
	m.rules.load.Lock()
	defer m.rules.load.Unlock()
	m.rules.mu.Lock()
	done := m.rules.loaded
	m.rules.mu.Unlock()
	if done {
		return nil
	}
	file := m.Config.Rules
	cur, found, err := db.LatestRules(ctx)
	if err != nil {
		return err
	}
	switch seen, seenFound, err := db.RulesFile(ctx); {
	case err != nil:
		return err
	case !found:
		cur, err = db.AddRulesVersion(ctx, domain.RulesVersion{By: "config file", At: m.Now().UTC(),
			Note: "the rules at first start (" + m.configName() + ")", Rules: file}, &file)
		if err != nil {
			return err
		}
	case !seenFound:
		if err := db.SetRulesFile(ctx, file); err != nil {
			return err
		}
	default:
		edited := domain.DiffRules(seen, file)
		if len(edited) == 0 {
			break
		}
		next := domain.OverlayRules(cur.Rules, file, edited)
		if len(domain.DiffRules(cur.Rules, next)) == 0 {
			if err := db.SetRulesFile(ctx, file); err != nil {
				return err
			}
			break
		}
		cur, err = db.AddRulesVersion(ctx, domain.RulesVersion{By: "config file", At: m.Now().UTC(),
			Note: "edited in " + m.configName(), Rules: next}, &file)
		if err != nil {
			return err
		}
		m.log.Warn("the config file's rules changed: recorded as a new rules version", "version", cur.Label(),
			"changes", domain.SummarizeChanges(cur.Changes, 5))
	}
	cur.Rules.Access = file.Access // roles are the config file's, never versioned
	m.rules.cur.Store(&cur)
	m.rules.mu.Lock()
	m.rules.loaded = true
	m.rules.mu.Unlock()
	return nil
}

func (m *Main) configName() string {
	if m.configPath == "" {
		return "built-in defaults"
	}
	return m.configPath
}

// runRulesApply: `rules apply FILE|vN --note WHY [--by NAME]`.
func (m *Main) runRulesApply(ctx context.Context, args []string) error {
	fs := m.subFlags("rules apply", `rules apply CANDIDATE.yaml|vN --note "why" [--by NAME]`)
	note := fs.String("note", "", "why the rules change (required; kept with the version)")
	by := fs.String("by", "", "who applies them (default: the OS user)")
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		fs.Usage()
		return errUsage
	}
	if strings.TrimSpace(*note) == "" {
		return domain.Errorf(domain.EINVALID, `rules apply needs --note "why": the reason is kept with the version`)
	}
	if *by == "" {
		*by = osUser()
	}
	if sent, err := m.viaServerArgs(ctx, []string{"apply", pos[0], "--note", *note, "--by", *by}); sent {
		return err
	}
	db, err := m.open(ctx)
	if err != nil {
		return err
	}
	if err := m.loadRules(ctx, db); err != nil {
		return err
	}
	cur := *m.rules.cur.Load()
	v := domain.RulesVersion{By: *by, At: m.Now().UTC(), Note: strings.TrimSpace(*note)}
	if n, ok := versionArg(pos[0]); ok {
		old, err := db.RulesVersion(ctx, n)
		if err != nil {
			return err
		}
		v.Rules, v.RestoredFrom = old.Rules, n
	} else {
		if v.Rules, err = loadCandidate(m.path(pos[0]), cur.Rules); err != nil { // rules_diff.go: one reader for candidates
			return domain.Errorf(domain.EINVALID, "%s; nothing applied", domain.ErrorMessage(err))
		}
	}
	if len(domain.DiffRules(cur.Rules, v.Rules)) == 0 {
		return domain.Errorf(domain.EINVALID, "no rule differs from %s, which is in force: nothing applied", cur.Label())
	}
	v, err = db.AddRulesVersion(ctx, v, nil)
	if err != nil {
		return err
	}
	v.Rules.Access = m.Config.Rules.Access
	m.rules.put(v)
	fmt.Fprintf(m.Stdout, "Applied rules %s (by %s): %d change(s) from v%d.\n", v.Label(), v.By, len(v.Changes), v.Version-1)
	for _, c := range v.Changes {
		fmt.Fprintln(m.Stdout, "  "+c.String())
	}
	if m.cwd != "" {
		fmt.Fprintf(m.Stdout, "The running serve (pid %d) uses them now.\n", os.Getpid())
	} else {
		fmt.Fprintln(m.Stdout, "serve is not running: it will start with them.")
	}
	return nil
}

// runRulesHistory: `rules history [--json]`, oldest first.
func (m *Main) runRulesHistory(ctx context.Context, args []string) error {
	fs := m.subFlags("rules history", "rules history [--json]")
	asJSON := fs.Bool("json", false, "print JSON")
	if _, err := parseInterleaved(fs, args); err != nil {
		return err
	}
	if sent, err := m.viaServerArgs(ctx, append([]string{"history"}, args...)); sent {
		return err
	}
	db, err := m.open(ctx)
	if err == nil {
		err = m.loadRules(ctx, db)
	}
	if err != nil {
		return err
	}
	all, err := db.RulesVersions(ctx)
	if err != nil {
		return err
	}
	if *asJSON {
		out := make([]rulesHistoryEntry, 0, len(all))
		for _, v := range all {
			out = append(out, rulesHistoryEntry{v.Version, v.By, v.At, v.Note, v.RestoredFrom, nonNilChanges(v.Changes)})
		}
		enc := json.NewEncoder(m.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	for _, v := range all {
		fmt.Fprintf(m.Stdout, "%s  %s  %s  %q", v.Label(), v.At.UTC().Format("2006-01-02 15:04 UTC"), v.By, v.Note)
		if v.RestoredFrom > 0 {
			fmt.Fprintf(m.Stdout, "  (rollback to v%d)", v.RestoredFrom)
		}
		fmt.Fprintln(m.Stdout)
		for _, c := range v.Changes {
			fmt.Fprintln(m.Stdout, "    "+c.String())
		}
	}
	return nil
}

// rulesHistoryEntry is one version in `rules history --json` (the rules
// themselves: `rules show vN`).
type rulesHistoryEntry struct {
	Version      int                 `json:"version"`
	By           string              `json:"by"`
	At           time.Time           `json:"at"`
	Note         string              `json:"note"`
	RestoredFrom int                 `json:"restored_from,omitempty"`
	Changes      []domain.RuleChange `json:"changes"`
}

func nonNilChanges(cs []domain.RuleChange) []domain.RuleChange {
	if cs == nil {
		return []domain.RuleChange{}
	}
	return cs
}

// runRulesShow: `rules show [vN]` prints a version as a candidate file.
func (m *Main) runRulesShow(ctx context.Context, args []string) error {
	if len(args) > 1 {
		return domain.Errorf(domain.EINVALID, "usage: accountbot rules show [vN]")
	}
	if sent, err := m.viaServerArgs(ctx, append([]string{"show"}, args...)); sent {
		return err
	}
	db, err := m.open(ctx)
	if err == nil {
		err = m.loadRules(ctx, db)
	}
	if err != nil {
		return err
	}
	v := *m.rules.cur.Load()
	if len(args) == 1 {
		n, ok := versionArg(args[0])
		if !ok {
			return domain.Errorf(domain.EINVALID, "%q is not a version: write v1, v2 … (`accountbot rules history` lists them)", args[0])
		}
		if v, err = db.RulesVersion(ctx, n); err != nil {
			return err
		}
	}
	b, err := domain.RulesYAML(v.Rules)
	if err != nil {
		return err
	}
	fmt.Fprintf(m.Stdout, "# rules %s, applied %s by %s: %s\n%s", v.Label(), v.At.UTC().Format("2006-01-02 15:04 UTC"), v.By,
		strings.ReplaceAll(v.Note, "\n", " "), b)
	return nil
}

// versionArg reads "v3" (or "3").
func versionArg(s string) (int, bool) {
	n, err := strconv.Atoi(strings.TrimPrefix(strings.ToLower(s), "v"))
	return n, err == nil && n >= 1
}

// osUser names who runs the command, for the record.
func osUser() string {
	if u, err := user.Current(); err == nil && u.Username != "" {
		return u.Username
	}
	if u := os.Getenv("USER"); u != "" {
		return u
	}
	return "unknown"
}

// viaServerArgs sends `rules ARGS…` to a running serve (see viaServer).
func (m *Main) viaServerArgs(ctx context.Context, args []string) (bool, error) {
	saved := m.Args
	m.Args = args
	defer func() { m.Args = saved }()
	return m.viaServer(ctx)
}
