package main

import (
	"context"
	"expvar"
	"fmt"
	"net/http"
	"net/http/pprof"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/slack-go/slack"

	"github.com/accountbot/accountbot/bot"
	"github.com/accountbot/accountbot/bot/nudge"
	bs "github.com/accountbot/accountbot/bot/slack"
	"github.com/accountbot/accountbot/bot/teams"
	"github.com/accountbot/accountbot/domain"
)

// slackConfig is read from the environment.
type slackConfig struct {
	BotToken, AppToken, SigningSecret, APIURL string
	Charts                                    bool
}

func (m *Main) slackConfig() slackConfig {
	return slackConfig{
		BotToken:      strings.TrimSpace(m.Getenv("SLACK_BOT_TOKEN")),
		AppToken:      strings.TrimSpace(m.Getenv("SLACK_APP_TOKEN")),
		SigningSecret: strings.TrimSpace(m.Getenv("SLACK_SIGNING_SECRET")),
		APIURL:        strings.TrimSpace(m.Getenv("SLACK_API_URL")),
		Charts:        m.Getenv("ACCOUNTBOT_SLACK_CHARTS") == "1",
	}
}

// teamsConfig is read from the environment.
func (m *Main) teamsConfig() teams.Config {
	return teams.Config{
		AppID:          strings.TrimSpace(m.Getenv("MICROSOFT_APP_ID")),
		AppPassword:    m.Getenv("MICROSOFT_APP_PASSWORD"),
		TenantID:       strings.TrimSpace(m.Getenv("MICROSOFT_APP_TENANT_ID")),
		OpenIDMetadata: strings.TrimSpace(m.Getenv("MICROSOFT_OPENID_METADATA_URL")),
		TokenURL:       strings.TrimSpace(m.Getenv("MICROSOFT_TOKEN_URL")),
		Issuer:         strings.TrimSpace(m.Getenv("MICROSOFT_TOKEN_ISSUER")),
	}
}

// runServe runs the bot: Slack (Socket Mode or signed HTTP) and/or Teams
// when configured, otherwise the local console.
func (m *Main) runServe(ctx context.Context) error {
	sc, tc := m.slackConfig(), m.teamsConfig()
	if err := checkCredentials(sc, tc); err != nil {
		return err
	}
	if sc.BotToken == "" && tc.AppID == "" {
		fmt.Fprintln(m.Stderr, "No Slack or Teams credentials configured: starting the local console.")
		return m.runConsoleWithAPI(ctx) // with ACCOUNTBOT_ADDR set, the ingest API too
	}
	if m.Getenv("GOMEMLIMIT") == "" {
		// A soft limit: whole-book scans (daily scores, nudges) allocate in
		// bursts, and by default the heap may grow to twice the live data
		// before collecting. Set GOMEMLIMIT to choose another limit.
		debug.SetMemoryLimit(defaultMemoryLimit)
	}
	e, err := m.engine(ctx)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	// Whatever the way out, background work ends before the store closes.
	defer func() { cancel(); wg.Wait() }()

	mux := http.NewServeMux()
	m.debugRoutes(mux)
	api, err := m.ingestAPI(ctx, &wg)
	if err != nil {
		return err
	}
	api.Routes(mux)
	p, err := m.platforms(ctx, sc, tc, e, mux)
	if err != nil {
		return err
	}
	defer p.wait() // on every way out, their background work ends before the store closes
	sched, err := m.scheduler(e, auditedNotifiers{p.notifiers, m})
	if err != nil {
		return err
	}
	e.Nudges = sched
	if err := m.serveSync(ctx, &wg, mux); err != nil { // CRM, support and billing sync; the Stripe webhook
		return err
	}
	m.observe(mux, e, p, sched)
	// Backup and import from the CLI reach this process; the socket opens
	// before the HTTP listener, which tests and scripts take as "ready".
	m.startControl(ctx, &wg)
	srv, err := m.listen(mux)
	if err != nil {
		return err
	}
	wg.Go(func() { m.db.RunGC(ctx, 10*time.Minute) })
	defer releaseMapped(ctx, m.db)() // the embedded store's mapped tables, until serve ends
	wg.Go(func() { m.db.RunAuditPruning(ctx, 24*time.Hour, m.auditRetention(), m.Now) })
	// Stored evaluations and ranks, alerts from changes (evaluate.go); after
	// observe, which wires the platforms' metrics the evaluator's zone
	// lookups use.
	m.startEvaluator(ctx, &wg, e, sched)
	// Work that must run once runs on the leader only (every replica
	// serves chat and the API); with the embedded store this process
	// always leads.
	wg.Go(func() { m.elector().Run(ctx) })
	wg.Go(func() { m.elector().Do(ctx, func(ctx context.Context) { sched.Run(ctx, m.Now) }) })
	fmt.Fprintf(m.Stderr, "AccountBot serving %s; HTTP on %s (data: %s).\n", strings.Join(p.modes, " and "), m.HTTPAddr(), m.DataDir)

	return m.serveUntilStopped(ctx, cancel, &wg, srv, p, sc.AppToken != "")
}

// serveUntilStopped serves HTTP (and Slack's Socket Mode) until ctx ends or
// one of them fails, then shuts everything down within one limit.
func (m *Main) serveUntilStopped(ctx context.Context, cancel context.CancelFunc, wg *sync.WaitGroup, srv *http.Server, p platforms, socket bool) error {
	var err error
	errs := make(chan error, 2)
	wg.Add(1)
	m.mu.Lock()
	hs := newDrained(srv, m.listener)
	m.mu.Unlock()
	go func() {
		defer wg.Done()
		if err := hs.serve(); err != nil {
			errs <- fmt.Errorf("http server: %w", err)
		}
	}()
	if socket {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := p.slack.RunSocket(ctx, p.slackClient); err != nil {
				errs <- fmt.Errorf("slack socket mode: %w", err)
			}
		}()
	}
	select {
	case <-ctx.Done():
	case err = <-errs:
	}
	// One limit for the whole shutdown: in-flight requests and late
	// replies may finish within it, then whatever is left is cancelled.
	shut, stop := context.WithTimeout(context.Background(), 10*time.Second)
	defer stop()
	hs.stop(shut)
	cancel()
	p.shutdown(shut)
	wg.Wait()
	return err
}

// debugRoutes adds, when ACCOUNTBOT_DEBUG_ENDPOINTS=1 (opt-in, for `make
// bench`), heap statistics (/debug/vars), profiles (/debug/pprof/) and
// execution traces (/debug/pprof/trace).
func (m *Main) debugRoutes(mux *http.ServeMux) {
	if m.Getenv("ACCOUNTBOT_DEBUG_ENDPOINTS") != "1" {
		return
	}
	mux.Handle("/debug/vars", expvar.Handler())
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/heap", pprof.Index)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
}

// platforms are the configured chat platforms, wired onto the mux.
type platforms struct {
	slack       *bs.App
	slackClient *slack.Client
	teams       *teams.App
	notifiers   nudge.Notifiers
	modes       []string
}

func (m *Main) platforms(ctx context.Context, sc slackConfig, tc teams.Config, e *bot.Engine, mux *http.ServeMux) (platforms, error) {
	var p platforms
	if sc.BotToken != "" {
		// slack-go's default HTTP client has no timeout.
		httpClient := &http.Client{Timeout: 15 * time.Second}
		opts := []slack.Option{slack.OptionHTTPClient(httpClient)}
		if sc.APIURL != "" {
			u := sc.APIURL
			if !strings.HasSuffix(u, "/") {
				u += "/"
			}
			opts = append(opts, slack.OptionAPIURL(u))
		}
		if sc.AppToken != "" {
			opts = append(opts, slack.OptionAppLevelToken(sc.AppToken))
		}
		p.slackClient = slack.New(sc.BotToken, opts...)
		p.slack = &bs.App{Engine: e, API: p.slackClient, Dedupe: m.db, HTTP: httpClient, Now: m.Now, Log: m.log, Charts: sc.Charts}
		if err := m.bindSlack(p.slack); err != nil {
			return p, err
		}
		if sc.AppToken == "" {
			p.slack.Routes(mux, &bs.Verifier{Secret: sc.SigningSecret, Now: m.Now, Log: m.log})
			p.modes = append(p.modes, "Slack over HTTP")
		} else {
			p.modes = append(p.modes, "Slack over Socket Mode")
		}
		p.notifiers = append(p.notifiers, p.slack)
	}
	if tc.AppID != "" {
		app, err := teams.New(tc, e, m.db, m.log)
		if err != nil {
			return p, domain.Errorf(domain.EINVALID, "%v", err)
		}
		app.Now = m.Now
		if err := m.bindTeams(ctx, app); err != nil {
			return p, err
		}
		p.teams = app
		mux.Handle("/api/messages", app)
		p.modes = append(p.modes, "Teams at /api/messages")
		p.notifiers = append(p.notifiers, app)
	}
	return p, nil
}

// shutdown lets the platforms' background work finish within ctx, then
// cancels the rest.
func (p platforms) shutdown(ctx context.Context) {
	if p.slack != nil {
		p.slack.Shutdown(ctx)
	}
	if p.teams != nil {
		p.teams.Shutdown(ctx)
	}
}

func (p platforms) wait() {
	if p.slack != nil {
		p.slack.Wait()
	}
	if p.teams != nil {
		p.teams.Wait()
	}
}

// checkCredentials refuses incomplete platform credentials, saying which
// variable is missing.
func checkCredentials(sc slackConfig, tc teams.Config) error {
	switch {
	case tc.AppID == "" && tc.AppPassword != "":
		return domain.Errorf(domain.EINVALID, "MICROSOFT_APP_ID is required when MICROSOFT_APP_PASSWORD is set")
	case tc.AppID != "" && tc.AppPassword == "":
		return domain.Errorf(domain.EINVALID, "MICROSOFT_APP_PASSWORD is required with MICROSOFT_APP_ID")
	case sc.BotToken == "" && (sc.AppToken != "" || sc.SigningSecret != ""):
		return domain.Errorf(domain.EINVALID, "SLACK_BOT_TOKEN is required when SLACK_APP_TOKEN or SLACK_SIGNING_SECRET is set")
	case sc.BotToken != "" && sc.AppToken == "" && sc.SigningSecret == "":
		return domain.Errorf(domain.EINVALID, "SLACK_SIGNING_SECRET is required for the HTTP endpoints (or set SLACK_APP_TOKEN for Socket Mode)")
	case sc.AppToken != "" && !strings.HasPrefix(sc.AppToken, "xapp-"):
		return domain.Errorf(domain.EINVALID, "SLACK_APP_TOKEN must be an app-level token starting with xapp-")
	}
	return nil
}

// mappedReleaser gives a store's memory-mapped table pages back to the
// page cache; what a whole-book scan or a compaction maps stays resident
// otherwise.
type mappedReleaser interface {
	StartReleaseMapped(ctx context.Context, interval time.Duration, limit int64) (stop func())
}

// releaseMapped gives db's mapped table pages back until stop (which
// waits for the release to end): serve runs it all its life, and a sync
// for its run, whose reads and compactions map the tables too (~60 MB of
// the peak RSS of the 100K full syncs in `make bench`). A store without
// mapped tables gets a stop that does nothing.
func releaseMapped(ctx context.Context, db any) (stop func()) {
	if r, ok := db.(mappedReleaser); ok {
		return r.StartReleaseMapped(ctx, releaseMappedEvery, mappedAllowance)
	}
	return func() {}
}

// releaseMappedEvery is how often serve gives mapped table pages back at
// least; sooner when new tables are written or the mapped pages outgrow
// mappedAllowance (storage/badger's StartReleaseMapped). A release costs
// about a millisecond.
const releaseMappedEvery = time.Second

// defaultMemoryLimit is serve's soft Go memory limit unless GOMEMLIMIT is
// set: serve's memory budget (300 MB of RSS with the 100K book) less what
// the store maps outside the Go heap (tables between two releases, the
// memtables' logs). Badger's memtables and table builders live on the Go
// heap, where no collection can free them; with a limit near the heap
// they fill (160 MB), the GC ran back to back through every compaction
// (~40% of serve's CPU under load).
const defaultMemoryLimit = memoryBudget - mappedAllowance

const (
	memoryBudget    = 300 << 20
	mappedAllowance = 64 << 20
)

// listen opens the HTTP listener on ACCOUNTBOT_ADDR (default :3000).
func (m *Main) listen(h http.Handler) (*http.Server, error) {
	addr := envOr(m.Getenv, "ACCOUNTBOT_ADDR", ":3000")
	ln, err := m.liveListen(addr) // one port for the process, across a live restore
	if err != nil {
		return nil, domain.Errorf(domain.EINVALID, "cannot listen on %s (ACCOUNTBOT_ADDR): %v", addr, err)
	}
	m.mu.Lock()
	m.listener = ln
	m.mu.Unlock()
	return &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 15 * time.Second, WriteTimeout: 30 * time.Second}, nil
}

// HTTPAddr is the address the server listens on ("" before it does); with
// ACCOUNTBOT_ADDR=127.0.0.1:0 tests learn the port here.
func (m *Main) HTTPAddr() string {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.listener == nil {
		return ""
	}
	return m.listener.Addr().String()
}
