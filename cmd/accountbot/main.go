// Command accountbot is AccountBot: a Slack and Teams assistant for
// customer-success and account managers. See README.md.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	_ "time/tzdata" // time zones work on hosts without a zoneinfo database

	"github.com/accountbot/accountbot/bot"
	"github.com/accountbot/accountbot/domain"
	"github.com/accountbot/accountbot/leader"
	"github.com/accountbot/accountbot/playbooks"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	m := NewMain()
	err := m.ParseFlags(ctx, os.Args[1:])
	if err == nil {
		err = m.Run(ctx)
	}
	if cerr := m.Close(); err == nil {
		err = cerr
	}
	stop()
	os.Exit(m.exitCode(err))
}

// Main is the program: flags in, wiring, one subcommand run. Tests drive it
// end to end with their own stdin/stdout, data directory and clock.
type Main struct {
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	Getenv         func(string) string
	Now            func() time.Time // the clock; tests fix it

	// Set by ParseFlags.
	Command  string
	Args     []string
	DataDir  string
	Config   FileConfig
	LogLevel slog.Level
	flags    *flag.FlagSet
	cmdFlags any

	db         Store
	elect      leader.Elector               // elector(): who runs the scheduler and sync
	onImport   func(imported, rejected int) // serve's metrics count import rows
	evaluating evaluatorRef                 // the running evaluator (evaluate.go), for the ingest API
	log        *slog.Logger
	closed     bool
	mu         sync.Mutex
	listener   net.Listener
	live       *liveServe // serve with chat: restore while serving (liverestore.go)
	// restoreTerm puts the terminal back in its old mode while the console
	// has it raw; goroutines that panic call it (see restoreOnPanic).
	restoreTerm atomic.Pointer[func()]
	cwd         string // the caller's working directory, for a command sent through the control socket
	configPath  string
	rules       *rulesState // the rules version in force (rules_version.go)
}

// NewMain returns a Main wired to the process's streams and clock.
func NewMain() *Main {
	return &Main{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.Getenv, Now: time.Now, rules: &rulesState{}}
}

// exitErr carries an exit code for errors already reported to the user.
type exitErr struct{ code int }

func (e exitErr) Error() string { return fmt.Sprintf("exit %d", e.code) }

func (m *Main) exitCode(err error) int {
	var ee exitErr
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ee):
		return ee.code
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.Is(err, errUsage):
		return 2
	}
	if code := domain.ErrorCode(err); code != domain.EINTERNAL {
		fmt.Fprintln(m.Stderr, "accountbot:", domain.ErrorMessage(err))
		return 1
	}
	fmt.Fprintln(m.Stderr, "accountbot:", err)
	return 1
}

var errUsage = errors.New("usage")

const usage = `AccountBot — grow the accounts you already have, from Slack, Teams or a terminal.

Usage: accountbot [global flags] <command> [flags] [args]

Commands:
  serve                 run the bot (with no Slack/Teams credentials: the local console on demo data)
  console               the interactive console on the store
  ask "COMMAND"         answer one command as the bot would (--json, --as EMAIL, --at YYYY-MM-DD)
  import FILE...        import accounts, usage, signals, stakeholders (JSON, JSON Lines, CSV)
  demo                  fill the store with the deterministic demo book
  nudges [--at T]       what nudges are due at a moment (YYYY-MM-DDTHH:MM, UTC) and to whom, without sending
  teams-manifest        write the Teams app package (manifest.json and icons, zipped) for MICROSOFT_APP_ID
  sync SOURCE|status     pull a CRM into the store (--full, --dry-run); "sync status" shows every source
  backup FILE           write a backup of the store
  restore FILE          load a backup into an empty store (--replace to overwrite)
  token create|list|revoke   ingest API tokens (--scope ingest|read|admin; the secret is shown once)
  unmatched [--json]    records from Segment that matched no account (the review list)
  rules apply|history|show   versioned scoring rules: apply a candidate or roll back, with who/when/why
  config                print the effective configuration as YAML (all defaults included)
  rules diff FILE       replay a candidate rules file on the past weeks and back-test it (--weeks, --json)
  audit                 print the audit log (--since YYYY-MM-DD, --who EMAIL, --account ID, --json)
  version               print the version

Global flags (before the command):
  --data DIR            data directory (env ACCOUNTBOT_DATA, default ./data)
  --config FILE         YAML configuration (env ACCOUNTBOT_CONFIG)
  --log-level LEVEL     debug, info, warn, error (env ACCOUNTBOT_LOG, default warn)

Run "accountbot <command> -h" for a command's flags, and "accountbot ask help" for the chat commands.
`

// ParseFlags reads global flags, the command and its flags.
func (m *Main) ParseFlags(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("accountbot", flag.ContinueOnError)
	fs.SetOutput(m.Stderr)
	fs.Usage = func() { fmt.Fprint(m.Stderr, usage) }
	data := fs.String("data", envOr(m.Getenv, "ACCOUNTBOT_DATA", "./data"), "data directory")
	cfgPath := fs.String("config", m.Getenv("ACCOUNTBOT_CONFIG"), "YAML configuration file")
	level := fs.String("log-level", envOr(m.Getenv, "ACCOUNTBOT_LOG", "warn"), "log level")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := m.LogLevel.UnmarshalText([]byte(*level)); err != nil {
		return domain.Errorf(domain.EINVALID, "--log-level %q: want debug, info, warn or error", *level)
	}
	m.log = slog.New(slog.NewTextHandler(m.Stderr, &slog.HandlerOptions{Level: m.LogLevel}))
	m.DataDir = *data
	if err := m.useFakeNow(); err != nil {
		return err
	}
	cfg, err := loadConfig(*cfgPath)
	if err != nil {
		return err
	}
	m.Config, m.configPath = cfg, *cfgPath
	rest := fs.Args()
	if len(rest) == 0 {
		fmt.Fprint(m.Stderr, usage)
		return errUsage
	}
	m.Command, m.Args = rest[0], rest[1:]
	return nil
}

func envOr(getenv func(string) string, key, def string) string {
	if v := getenv(key); v != "" {
		return v
	}
	return def
}

// Run executes the command.
func (m *Main) Run(ctx context.Context) error {
	switch m.Command {
	case "serve":
		return m.serveLive(ctx) // runServe, restarted around a restore
	case "console":
		return m.runConsole(ctx, false)
	case "ask":
		return m.runAsk(ctx)
	case "import":
		return m.runImport(ctx)
	case "demo":
		return m.runDemo(ctx)
	case "nudges":
		return m.runNudges(ctx)
	case "teams-manifest":
		return m.runTeamsManifest(ctx)
	case "sync":
		return m.runSync(ctx)
	case "backup":
		return m.runBackup(ctx)
	case "restore":
		return m.runRestore(ctx)
	case "audit":
		return m.runAudit(ctx)
	case "token":
		return m.runToken(ctx)
	case "unmatched":
		return m.runUnmatched(ctx)
	case "rules":
		return m.runRules(ctx)
	case "config":
		s, err := dumpConfig(m.Config)
		if err == nil {
			fmt.Fprint(m.Stdout, s)
		}
		return err
	case "version":
		fmt.Fprintln(m.Stdout, "accountbot", version)
		return nil
	case "help", "-h", "--help":
		fmt.Fprint(m.Stdout, usage)
		return nil
	}
	fmt.Fprintf(m.Stderr, "accountbot: unknown command %q\n\n%s", m.Command, usage)
	return errUsage
}

var version = "dev"

// Close releases the store.
func (m *Main) Close() error {
	if m.closed {
		return nil
	}
	m.closed = true
	if m.db != nil {
		return m.db.Close()
	}
	return nil
}

// open opens the store once.
func (m *Main) open(ctx context.Context) (Store, error) {
	if m.db != nil {
		return m.db, nil
	}
	db, err := m.openStore(ctx)
	if err != nil {
		return nil, err
	}
	db.SetClock(m.Now) // field changes are dated by the same clock as everything else
	m.db = db
	return db, nil
}

// engine builds the command engine over the store.
func (m *Main) engine(ctx context.Context) (*bot.Engine, error) {
	db, err := m.open(ctx)
	if err != nil {
		return nil, err
	}
	if err := m.loadRules(ctx, db); err != nil {
		return nil, err
	}
	rules, _ := m.scoringRules()
	e := bot.NewEngine(m.botStore(db), rules, m.log)
	m.followRules(e, nil)
	e.RulesLog = db // `portfolio rules`
	e.Audit = db    // every command, button, form and write, from every platform
	e.AuditReader = auditReader{db}
	e.Sync = syncStatusReader{db} // `portfolio sync`
	d, err := playbooks.New(m.Config.Playbooks)
	if err != nil {
		return nil, domain.Errorf(domain.EINVALID, "%v", err)
	}
	llm, err := m.llmConfig()
	if err != nil {
		return nil, err
	}
	e.Drafter = d.WithLLM(playbooks.NewPolisher(llm, m.log), m.log)
	return e, nil
}

// llmConfig reads the optional LLM settings; without OPENAI_API_KEY drafts
// stay template-only.
func (m *Main) llmConfig() (playbooks.LLMConfig, error) {
	c := playbooks.LLMConfig{
		APIKey: m.Getenv("OPENAI_API_KEY"), BaseURL: m.Getenv("OPENAI_BASE_URL"), Model: m.Getenv("OPENAI_MODEL"),
		APIType: m.Getenv("OPENAI_API_TYPE"), APIVersion: m.Getenv("OPENAI_API_VERSION"),
		Mask: m.Getenv("ACCOUNTBOT_LLM_MASK") == "1",
	}
	if t := m.Getenv("ACCOUNTBOT_LLM_TIMEOUT"); t != "" {
		d, err := time.ParseDuration(t)
		if err != nil || d <= 0 || d > 5*time.Minute {
			return c, domain.Errorf(domain.EINVALID, "ACCOUNTBOT_LLM_TIMEOUT %q: want a duration such as 20s (at most 5m)", t)
		}
		c.Timeout = d
	}
	if c.APIType != "" && !strings.EqualFold(c.APIType, "azure") {
		return c, domain.Errorf(domain.EINVALID, "OPENAI_API_TYPE %q: leave it empty for OpenAI-compatible servers, or set azure", c.APIType)
	}
	return c, nil
}

// today is the current date in UTC by the injected clock.
func (m *Main) today() domain.Date { return domain.DateOf(m.Now().UTC()) }

// subFlags makes a flag set for a subcommand with uniform help.
func (m *Main) subFlags(name, synopsis string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(m.Stderr)
	fs.Usage = func() {
		fmt.Fprintf(m.Stderr, "Usage: accountbot %s\n\nFlags:\n", synopsis)
		fs.PrintDefaults()
	}
	return fs
}

// oneArg parses a subcommand whose command line names exactly one thing
// (a file, a source), with its flags before or after it.
func (m *Main) oneArg(fs *flag.FlagSet) (string, error) {
	pos, err := parseInterleaved(fs, m.Args)
	if err != nil {
		return "", err
	}
	if len(pos) != 1 {
		fs.Usage()
		return "", errUsage
	}
	return pos[0], nil
}

// parseInterleaved parses flags that may come after positional arguments.
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}
