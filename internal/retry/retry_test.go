package retry_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"testing"
	"time"

	openai "github.com/sashabaranov/go-openai"
	"github.com/slack-go/slack"

	"github.com/accountbot/accountbot/internal/retry"
)

var t0 = time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)

// fakeClock records every wait and advances instead of sleeping.
type fakeClock struct {
	now   time.Time
	waits []time.Duration
}

func (c *fakeClock) Now() time.Time { return c.now }

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.waits = append(c.waits, d)
	c.now = c.now.Add(d)
	return nil
}

func noJitter(d time.Duration) time.Duration { return d }

// failing returns the errors in order, then nil.
func failing(errs ...error) (func(context.Context) error, *int) {
	calls := 0
	return func(context.Context) error {
		calls++
		if calls <= len(errs) {
			return errs[calls-1]
		}
		return nil
	}, &calls
}

func status(code int, after time.Duration) error {
	return &retry.StatusError{Code: code, Status: fmt.Sprint(code), RetryAfter: after, Service: "test"}
}

func TestDo(t *testing.T) {
	boom := errors.New("boom")
	for _, tc := range []struct {
		name      string
		policy    retry.Policy
		errs      []error
		wantErr   error // nil: success
		wantCalls int
		wantWaits []time.Duration
	}{
		{"success at once", retry.Policy{Attempts: 3, Base: time.Second, Max: time.Minute}, nil, nil, 1, nil},
		{"exponential then success", retry.Policy{Attempts: 5, Base: time.Second, Max: time.Minute},
			[]error{boom, boom, boom}, nil, 4, []time.Duration{time.Second, 2 * time.Second, 4 * time.Second}},
		{"capped at Max", retry.Policy{Attempts: 5, Base: time.Second, Max: 3 * time.Second},
			[]error{boom, boom, boom, boom}, nil, 5, []time.Duration{time.Second, 2 * time.Second, 3 * time.Second, 3 * time.Second}},
		{"attempts spent", retry.Policy{Attempts: 2, Base: time.Second, Max: time.Minute},
			[]error{boom, boom, boom}, boom, 2, []time.Duration{time.Second}},
		{"final error not retried", retry.Policy{Attempts: 5, Base: time.Second, Max: time.Minute, Classify: retry.Teams},
			[]error{status(404, 0)}, nil, 1, nil},
		{"retry-after honoured", retry.Policy{Attempts: 3, Base: time.Second, Max: time.Minute, Classify: retry.Teams},
			[]error{status(429, 7*time.Second)}, nil, 2, []time.Duration{7 * time.Second}},
		{"retry-after beyond MaxAfter gives up", retry.Policy{Attempts: 3, Base: time.Second, Max: time.Minute, Classify: retry.Teams},
			[]error{status(429, 2*time.Minute)}, nil, 1, nil},
		{"marked final", retry.Policy{Attempts: 5, Base: time.Second, Max: time.Minute},
			[]error{retry.Final(boom)}, boom, 1, nil},
		{"slack rate limit", retry.Policy{Attempts: 3, Base: time.Second, Max: time.Minute, Classify: retry.Slack},
			[]error{&slack.RateLimitedError{RetryAfter: 30 * time.Second}}, nil, 2, []time.Duration{30 * time.Second}},
		{"unbounded attempts", retry.Policy{Base: time.Second, Max: 2 * time.Second},
			[]error{boom, boom, boom, boom, boom}, nil, 6, []time.Duration{time.Second, 2 * time.Second, 2 * time.Second, 2 * time.Second, 2 * time.Second}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clock := &fakeClock{now: t0}
			p := tc.policy
			p.Clock, p.Jitter = clock, noJitter
			fn, calls := failing(tc.errs...)
			err := retry.Do(context.Background(), p, fn)
			wantErr := tc.wantErr
			if wantErr == nil && tc.wantCalls <= len(tc.errs) {
				wantErr = tc.errs[tc.wantCalls-1]
			}
			if !errors.Is(err, wantErr) && err != wantErr {
				t.Errorf("err = %v, want %v", err, wantErr)
			}
			if *calls != tc.wantCalls {
				t.Errorf("calls = %d, want %d", *calls, tc.wantCalls)
			}
			if !slices.Equal(clock.waits, tc.wantWaits) {
				t.Errorf("waits = %v, want %v", clock.waits, tc.wantWaits)
			}
		})
	}
}

func TestDoBoundedByContext(t *testing.T) {
	boom := errors.New("boom")
	// A wait that would end after the deadline is not started.
	clock := &fakeClock{now: time.Now()} // the context's deadline is on the wall clock
	ctx, cancel := context.WithDeadline(context.Background(), clock.now.Add(3*time.Second))
	defer cancel()
	fn, calls := failing(boom, boom, boom, boom)
	err := retry.Do(ctx, retry.Policy{Attempts: 10, Base: 2 * time.Second, Max: time.Minute, Clock: clock, Jitter: noJitter}, fn)
	if !errors.Is(err, boom) || *calls != 2 || !slices.Equal(clock.waits, []time.Duration{2 * time.Second}) {
		t.Errorf("err %v, calls %d, waits %v", err, *calls, clock.waits)
	}
	// A cancelled context stops the retries and says why, keeping the cause.
	ctx, cancel = context.WithCancel(context.Background())
	cancel()
	fn, calls = failing(boom, boom)
	err = retry.Do(ctx, retry.Policy{Attempts: 5, Base: time.Second, Max: time.Minute}, fn)
	if !errors.Is(err, boom) || *calls != 1 {
		t.Errorf("cancelled: err %v, calls %d", err, *calls)
	}
	// The real clock's sleep ends with the context.
	ctx, cancel = context.WithCancel(context.Background())
	go func() { time.Sleep(10 * time.Millisecond); cancel() }()
	start := time.Now()
	if err := retry.Real.Sleep(ctx, time.Hour); !errors.Is(err, context.Canceled) || time.Since(start) > 5*time.Second {
		t.Errorf("real sleep: %v after %s", err, time.Since(start))
	}
}

func TestBackoffJitterStaysInUpperHalf(t *testing.T) {
	p := retry.Policy{Base: time.Second, Max: 8 * time.Second}
	for attempt := 1; attempt <= 6; attempt++ {
		want := min(time.Second<<(attempt-1), 8*time.Second)
		for range 50 {
			if d := p.Backoff(attempt); d < want/2 || d > want {
				t.Fatalf("attempt %d: %s outside [%s, %s]", attempt, d, want/2, want)
			}
		}
	}
}

func TestParseRetryAfter(t *testing.T) {
	for _, tc := range []struct {
		h    string
		want time.Duration
		ok   bool
	}{
		{"", 0, false},
		{"0", 0, true},
		{"30", 30 * time.Second, true},
		{" 5 ", 5 * time.Second, true},
		{"-1", 0, false},
		{"1.5", 0, false},
		{"99999999999", 0, false},
		{"Mon, 23 Nov 2026 09:00:45 GMT", 45 * time.Second, true},
		{"Monday, 23-Nov-26 09:01:00 GMT", time.Minute, true}, // RFC 850
		{"Mon Nov 23 09:00:10 2026", 10 * time.Second, true},  // ANSI C
		{"Mon, 23 Nov 2026 08:00:00 GMT", 0, true},            // in the past: now
		{"tomorrow", 0, false},
	} {
		got, ok := retry.ParseRetryAfter(tc.h, t0)
		if got != tc.want || ok != tc.ok {
			t.Errorf("%q = %s %v, want %s %v", tc.h, got, ok, tc.want, tc.ok)
		}
	}
}

func TestClassifiers(t *testing.T) {
	quota := &openai.APIError{HTTPStatusCode: 429, Code: "insufficient_quota", Type: "insufficient_quota", Message: "quota"}
	for _, tc := range []struct {
		name     string
		classify func(error) retry.Verdict
		err      error
		want     retry.Verdict
	}{
		{"teams 429", retry.Teams, status(429, 3*time.Second), retry.Verdict{Retry: true, After: 3 * time.Second}},
		{"teams 412", retry.Teams, status(412, 0), retry.Verdict{Retry: true}},
		{"teams 502", retry.Teams, status(502, 0), retry.Verdict{Retry: true}},
		{"teams 504", retry.Teams, status(504, 0), retry.Verdict{Retry: true}},
		{"teams 400", retry.Teams, status(400, 0), retry.Verdict{}},
		{"teams 401", retry.Teams, status(401, 0), retry.Verdict{}},
		{"teams 403", retry.Teams, status(403, 0), retry.Verdict{}},
		{"teams 404", retry.Teams, status(404, 0), retry.Verdict{}},
		{"teams 413", retry.Teams, status(413, 0), retry.Verdict{}},
		{"teams wrapped 429", retry.Teams, fmt.Errorf("sending: %w", status(429, 0)), retry.Verdict{Retry: true}},
		{"teams connection refused", retry.Teams, errors.New("dial tcp: connection refused"), retry.Verdict{Retry: true}},
		{"teams deadline", retry.Teams, fmt.Errorf("post: %w", context.DeadlineExceeded), retry.Verdict{}},
		{"slack rate limited", retry.Slack, &slack.RateLimitedError{RetryAfter: 20 * time.Second}, retry.Verdict{Retry: true, After: 20 * time.Second}},
		{"slack 503", retry.Slack, slack.StatusCodeError{Code: 503, Status: "503"}, retry.Verdict{Retry: true}},
		{"slack channel_not_found", retry.Slack, errors.New("channel_not_found"), retry.Verdict{}},
		{"slack response_url 429", retry.Slack, status(429, time.Second), retry.Verdict{Retry: true, After: time.Second}},
		{"slack response_url 404", retry.Slack, status(404, 0), retry.Verdict{}},
		{"llm 429 rate limit", retry.OpenAI, &openai.APIError{HTTPStatusCode: 429, Code: "rate_limit_exceeded"}, retry.Verdict{Retry: true}},
		{"llm 429 insufficient quota", retry.OpenAI, quota, retry.Verdict{}},
		{"llm 500", retry.OpenAI, &openai.APIError{HTTPStatusCode: 500}, retry.Verdict{Retry: true}},
		{"llm 400", retry.OpenAI, &openai.APIError{HTTPStatusCode: 400}, retry.Verdict{}},
		{"llm 401", retry.OpenAI, &openai.APIError{HTTPStatusCode: 401}, retry.Verdict{}},
		{"llm raw 502", retry.OpenAI, &openai.RequestError{HTTPStatusCode: 502}, retry.Verdict{Retry: true}},
		{"llm raw 429 quota", retry.OpenAI, &openai.RequestError{HTTPStatusCode: 429, Body: []byte(`insufficient_quota`)}, retry.Verdict{}},
		{"llm timeout", retry.OpenAI, context.DeadlineExceeded, retry.Verdict{}},
	} {
		if got := tc.classify(tc.err); got != tc.want {
			t.Errorf("%s: %+v, want %+v", tc.name, got, tc.want)
		}
	}
}

func TestFromResponse(t *testing.T) {
	resp := &http.Response{StatusCode: 429, Status: "429 Too Many Requests", Header: http.Header{"Retry-After": {"12"}}}
	e := retry.FromResponse("the Bot Connector", resp, t0)
	if e.Code != 429 || e.RetryAfter != 12*time.Second || e.Error() != "the Bot Connector answered 429 Too Many Requests" {
		t.Errorf("%+v %q", e, e.Error())
	}
}

// countingObserver counts what Do reports.
type countingObserver struct{ failed, waits map[string]int }

func (o *countingObserver) Failed(service string)        { o.failed[service]++ }
func (o *countingObserver) RateLimitWait(service string) { o.waits[service]++ }

func TestObserverCountsFailuresAndRateLimitWaits(t *testing.T) {
	for _, tc := range []struct {
		name              string
		errs              []error
		wantFail, wantRLW int
	}{
		{"429 with Retry-After, then ok", []error{status(429, 2*time.Second)}, 1, 1},
		{"503 twice (backoff, not a rate limit)", []error{status(503, 0), status(503, 0)}, 2, 0},
		{"400 is final but still a failure", []error{status(400, 0)}, 1, 0},
		{"success", nil, 0, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := &countingObserver{failed: map[string]int{}, waits: map[string]int{}}
			fn, _ := failing(tc.errs...)
			p := retry.Policy{Attempts: 5, Base: time.Second, Max: time.Minute, Classify: retry.Teams,
				Clock: &fakeClock{now: time.Unix(0, 0)}, Jitter: noJitter, Observer: o, Service: "teams"}
			retry.Do(context.Background(), p, fn)
			if o.failed["teams"] != tc.wantFail || o.waits["teams"] != tc.wantRLW {
				t.Errorf("failed %d, rate-limit waits %d; want %d, %d", o.failed["teams"], o.waits["teams"], tc.wantFail, tc.wantRLW)
			}
		})
	}
}
