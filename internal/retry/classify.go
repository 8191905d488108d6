package retry

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	openai "github.com/sashabaranov/go-openai"
	"github.com/slack-go/slack"
)

// StatusError is a non-2xx HTTP answer, with the wait the server asked for.
type StatusError struct {
	Code       int
	Status     string        // "429 Too Many Requests"
	RetryAfter time.Duration // from Retry-After; 0 when absent
	Service    string        // who answered, for the message
}

func (e *StatusError) Error() string { return fmt.Sprintf("%s answered %s", e.Service, e.Status) }

// FromResponse builds the StatusError of a non-2xx response.
func FromResponse(service string, resp *http.Response, now time.Time) *StatusError {
	after, _ := ParseRetryAfter(resp.Header.Get("Retry-After"), now)
	return &StatusError{Code: resp.StatusCode, Status: resp.Status, RetryAfter: after, Service: service}
}

// ParseRetryAfter reads a Retry-After header: delay-seconds or an HTTP
// date (RFC 9110 §10.2.3). A date in the past means "now".
func ParseRetryAfter(h string, now time.Time) (time.Duration, bool) {
	h = strings.TrimSpace(h)
	if h == "" {
		return 0, false
	}
	if s, err := strconv.ParseInt(h, 10, 64); err == nil {
		if s < 0 || s > int64(24*time.Hour/time.Second) {
			return 0, false
		}
		return time.Duration(s) * time.Second, true
	}
	t, err := http.ParseTime(h)
	if err != nil {
		return 0, false
	}
	return max(t.Sub(now), 0), true
}

// statusVerdict retries the given HTTP statuses, honouring Retry-After.
func statusVerdict(err error, retryable ...int) (Verdict, bool) {
	var se *StatusError
	if !errors.As(err, &se) {
		return Verdict{}, false
	}
	for _, c := range retryable {
		if se.Code == c {
			return Verdict{Retry: true, After: se.RetryAfter}, true
		}
	}
	return Verdict{}, true
}

// cancelled reports a context error: never retried.
func cancelled(err error) bool {
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}

// Teams classifies Bot Connector errors: 429, 412, 500, 502, 503 and 504
// are retried (Microsoft's guidance), 400, 401, 403, 404 and 413 are
// final; a failed connection is retried.
func Teams(err error) Verdict {
	if cancelled(err) {
		return Verdict{}
	}
	if v, ok := statusVerdict(err, 429, 412, 500, 502, 503, 504); ok {
		return v
	}
	return Verdict{Retry: true} // transport error: the request may not have arrived
}

// Slack classifies Slack Web API and response_url errors: rate limits
// (slack-go's *RateLimitedError, or a 429 with Retry-After) and 5xx are
// retried; API errors such as channel_not_found and failed connections are
// final (a post might have arrived; do not post twice).
func Slack(err error) Verdict {
	var rl *slack.RateLimitedError
	if errors.As(err, &rl) {
		return Verdict{Retry: true, After: rl.RetryAfter}
	}
	var sc slack.StatusCodeError
	if errors.As(err, &sc) {
		return Verdict{Retry: sc.Code >= 500}
	}
	if v, ok := statusVerdict(err, 429, 500, 502, 503, 504); ok {
		return v
	}
	return Verdict{}
}

// OpenAI classifies OpenAI-compatible API errors: 429 rate_limit_exceeded
// and 5xx are retried; 429 insufficient_quota (more waiting will not help)
// and other 4xx are final.
func OpenAI(err error) Verdict {
	var apiErr *openai.APIError
	if errors.As(err, &apiErr) {
		if apiErr.HTTPStatusCode == http.StatusTooManyRequests {
			return Verdict{Retry: fmt.Sprint(apiErr.Code) != "insufficient_quota" && apiErr.Type != "insufficient_quota"}
		}
		return Verdict{Retry: apiErr.HTTPStatusCode >= 500}
	}
	var reqErr *openai.RequestError
	if errors.As(err, &reqErr) {
		quota := strings.Contains(string(reqErr.Body), "insufficient_quota")
		return Verdict{Retry: !quota && (reqErr.HTTPStatusCode == http.StatusTooManyRequests || reqErr.HTTPStatusCode >= 500)}
	}
	return Verdict{}
}
