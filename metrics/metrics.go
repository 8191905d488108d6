// Package metrics defines AccountBot's Prometheus metrics. Everything is
// registered on the registry passed to New (no global state), and no label
// carries a user, e-mail or account id: labels are verbs, outcomes, kinds,
// platforms, services and reasons, each from a small fixed set.
package metrics

import (
	"net/http"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/accountbot/accountbot/domain"
)

// Metrics are AccountBot's series.
type Metrics struct {
	reg            *prometheus.Registry
	commands       *prometheus.CounterVec
	answerSeconds  *prometheus.HistogramVec
	nudges         *prometheus.CounterVec
	apiErrors      *prometheus.CounterVec
	rateLimitWaits *prometheus.CounterVec
	llmCalls       *prometheus.CounterVec
	llmFallbacks   *prometheus.CounterVec
	importRows     *prometheus.CounterVec
}

// New registers every metric (and the Go and process collectors) on reg.
func New(reg *prometheus.Registry) *Metrics {
	m := &Metrics{reg: reg,
		commands: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "accountbot_commands_total",
			Help: "Chat commands answered, by verb (noun and verb; \"unknown\" for unrecognised input) and outcome (ok or the error code)."},
			[]string{"verb", "outcome"}),
		answerSeconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "accountbot_answer_seconds",
			Help: "Time to answer a chat command, by verb.", Buckets: []float64{.01, .05, .1, .25, .5, 1, 2, 5, 10, 30}},
			[]string{"verb"}),
		nudges: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "accountbot_nudges_total",
			Help: "Nudges by kind, platform (empty before one is chosen) and outcome: planned, sent, failed, abandoned, doubled_avoided, resent_unverified."},
			[]string{"kind", "platform", "outcome"}),
		apiErrors: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "accountbot_platform_api_errors_total",
			Help: "Failed calls to a platform API (each try), by service."}, []string{"service"}),
		rateLimitWaits: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "accountbot_rate_limit_waits_total",
			Help: "Waits before retrying a call the service rate-limited (429), by service."}, []string{"service"}),
		llmCalls: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "accountbot_llm_calls_total",
			Help: "Drafts sent to the language model, by outcome (polished or fallback)."}, []string{"outcome"}),
		llmFallbacks: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "accountbot_llm_fallbacks_total",
			Help: "Drafts that fell back to the template, by reason (timeout, rate_limited, refused, error)."}, []string{"reason"}),
		importRows: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "accountbot_import_rows_total",
			Help: "Rows of imports run by this process (sent to serve through the control socket), by outcome (imported or rejected)."},
			[]string{"outcome"}),
	}
	reg.MustRegister(m.commands, m.answerSeconds, m.nudges, m.apiErrors, m.rateLimitWaits, m.llmCalls, m.llmFallbacks, m.importRows,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Handler serves the registry in the Prometheus text format (/metrics).
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// Command counts one answered command. verb must come from the registry
// (never the user's words); err's code is the outcome.
func (m *Metrics) Command(verb string, err error, took time.Duration) {
	outcome := "ok"
	if err != nil {
		outcome = string(domain.ErrorCode(err))
	}
	m.commands.WithLabelValues(verb, outcome).Inc()
	m.answerSeconds.WithLabelValues(verb).Observe(took.Seconds())
}

// Nudge counts a nudge outcome (nudge.Observer).
func (m *Metrics) Nudge(kind domain.NudgeKind, platform, outcome string) {
	m.nudges.WithLabelValues(string(kind), platform, outcome).Inc()
}

// Failed counts a failed try of a platform call (retry.Observer).
func (m *Metrics) Failed(service string) { m.apiErrors.WithLabelValues(service).Inc() }

// RateLimitWait counts a wait the service asked for (retry.Observer).
func (m *Metrics) RateLimitWait(service string) { m.rateLimitWaits.WithLabelValues(service).Inc() }

// Draft counts a draft that went to the language model: polished, or
// the template with the reason the model's text was not used.
func (m *Metrics) Draft(polished bool, fallbackReason string) {
	if polished {
		m.llmCalls.WithLabelValues("polished").Inc()
		return
	}
	m.llmCalls.WithLabelValues("fallback").Inc()
	m.llmFallbacks.WithLabelValues(FallbackReason(fallbackReason)).Inc()
}

// ImportRows counts the rows of one applied import.
func (m *Metrics) ImportRows(imported, rejected int) {
	m.importRows.WithLabelValues("imported").Add(float64(imported))
	m.importRows.WithLabelValues("rejected").Add(float64(rejected))
}

// FallbackReason reduces a fallback's error text to a fixed label.
func FallbackReason(s string) string {
	s = strings.ToLower(s)
	switch {
	case strings.Contains(s, "deadline") || strings.Contains(s, "timeout") || strings.Contains(s, "timed out"):
		return "timeout"
	case strings.Contains(s, "429") || strings.Contains(s, "rate limit"):
		return "rate_limited"
	case strings.Contains(s, "grounding") || strings.Contains(s, "figure") || strings.Contains(s, "number") || strings.Contains(s, "refus"):
		return "refused"
	}
	return "error"
}
