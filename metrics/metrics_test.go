package metrics_test

import (
	"io"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/accountbot/accountbot/domain"
	"github.com/accountbot/accountbot/metrics"
)

func TestSeries(t *testing.T) {
	m := metrics.New(prometheus.NewRegistry()) // its own registry: tests never share state
	m.Command("account health", nil, 20*time.Millisecond)
	m.Command("unknown", domain.Errorf(domain.EINVALID, "no such verb"), time.Millisecond)
	m.Nudge(domain.NudgeRenewal, "teams", "resent_unverified")
	m.Failed("slack")
	m.RateLimitWait("slack")
	m.Draft(false, "polishing: context deadline exceeded")
	m.Draft(true, "")
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	b, _ := io.ReadAll(rec.Body)
	for _, want := range []string{
		`accountbot_commands_total{outcome="ok",verb="account health"} 1`,
		`accountbot_commands_total{outcome="invalid",verb="unknown"} 1`,
		`accountbot_answer_seconds_count{verb="account health"} 1`,
		`accountbot_nudges_total{kind="renewal",outcome="resent_unverified",platform="teams"} 1`,
		`accountbot_platform_api_errors_total{service="slack"} 1`,
		`accountbot_rate_limit_waits_total{service="slack"} 1`,
		`accountbot_llm_calls_total{outcome="fallback"} 1`,
		`accountbot_llm_calls_total{outcome="polished"} 1`,
		`accountbot_llm_fallbacks_total{reason="timeout"} 1`,
	} {
		if !strings.Contains(string(b), want) {
			t.Errorf("lacks %s", want)
		}
	}
	// A second registry is independent.
	metrics.New(prometheus.NewRegistry())
}

func TestFallbackReasonIsBounded(t *testing.T) {
	for in, want := range map[string]string{
		"context deadline exceeded":                        "timeout",
		"the model answered 429 Too Many Requests":         "rate_limited",
		"the draft uses a figure not in the facts: 987654": "refused",
		"contact ana@example.com unknown for acct-00042":   "error",
		"": "error",
	} {
		if got := metrics.FallbackReason(in); got != want {
			t.Errorf("FallbackReason(%q) = %q, want %q", in, got, want)
		}
	}
}
