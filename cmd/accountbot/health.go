package main

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/accountbot/accountbot/bot"
	"github.com/accountbot/accountbot/bot/nudge"
	"github.com/accountbot/accountbot/metrics"
)

// observe wires the metrics into the engine, the platforms and the
// scheduler, and serves them with the probes on mux: /metrics, /livez
// (with /healthz its older name) and /readyz.
func (m *Main) observe(mux *http.ServeMux, e *bot.Engine, p platforms, sched *nudge.Scheduler) {
	met := metrics.New(prometheus.NewRegistry())
	e.Observe = met.Command
	if e.Drafter != nil && e.Drafter.Polishing() {
		e.Drafter = meteredDrafter{e.Drafter, met}
	}
	if p.slack != nil {
		p.slack.Retries = met
	}
	if p.teams != nil {
		p.teams.ObserveRetries(met)
	}
	sched.Observer = met
	m.mu.Lock() // control requests read it while serve restarts around a restore
	m.onImport = met.ImportRows
	m.mu.Unlock()
	mux.Handle("/metrics", met.Handler())
	live := func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok\n")) }
	mux.HandleFunc("/livez", live)
	mux.HandleFunc("/healthz", live) // the older name, kept for existing probes
	mux.Handle("/readyz", &readiness{checks: m.readyChecks(p, sched)})
}

// readyChecks are /readyz's checks by name.
func (m *Main) readyChecks(p platforms, sched *nudge.Scheduler) map[string]func(context.Context) error {
	checks := map[string]func(context.Context) error{
		"store": func(ctx context.Context) error { _, err := m.db.Empty(ctx); return err },
		"scheduler": func(context.Context) error {
			if !sched.Running() && m.elector().Leading() { // a follower's scheduler waits for leadership
				return errNotRunning
			}
			return nil
		},
	}
	if p.slackClient != nil {
		checks["slack"] = func(ctx context.Context) error { _, err := p.slackClient.AuthTestContext(ctx); return err }
	}
	if p.teams != nil {
		checks["teams"] = p.teams.Ready
	}
	return checks
}

var errNotRunning = errors.New("the nudge scheduler is not running")

// readiness answers /readyz: 200 when every check passes, else 503; the
// JSON body names each check's result. Answers are cached for a few
// seconds so that probes do not hammer the platforms.
type readiness struct {
	checks map[string]func(context.Context) error

	mu     sync.Mutex
	at     time.Time
	status int
	body   []byte
}

const readyCache = 5 * time.Second

func (h *readiness) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if time.Since(h.at) > readyCache {
		h.status, h.body = h.run(r.Context())
		h.at = time.Now()
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(h.status)
	w.Write(h.body)
}

func (h *readiness) run(ctx context.Context) (int, []byte) {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	type result struct {
		Ready  bool              `json:"ready"`
		Checks map[string]string `json:"checks"`
	}
	res := result{Ready: true, Checks: map[string]string{}}
	for name, check := range h.checks {
		if err := check(ctx); err != nil {
			res.Ready, res.Checks[name] = false, "failing: "+err.Error()
		} else {
			res.Checks[name] = "ok"
		}
	}
	b, _ := json.Marshal(res)
	if !res.Ready {
		return http.StatusServiceUnavailable, append(b, '\n')
	}
	return http.StatusOK, append(b, '\n')
}

// meteredDrafter counts the drafts that go to the language model.
type meteredDrafter struct {
	bot.Drafter
	met *metrics.Metrics
}

func (d meteredDrafter) Draft(ctx context.Context, req bot.DraftRequest) (bot.Draft, error) {
	dr, err := d.Drafter.Draft(ctx, req)
	if err == nil {
		d.met.Draft(dr.Source == "llm", dr.FallbackReason)
	}
	return dr, err
}
