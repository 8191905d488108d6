// Package retry is AccountBot's one way to call an outside service again:
// bounded exponential backoff with jitter, the server's Retry-After
// honoured, each platform's rule for what is worth retrying (classify.go),
// and the caller's context as the outer bound. The clock is injectable so
// tests never sleep.
package retry

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"
)

// Verdict is a classifier's answer about one error.
type Verdict struct {
	Retry bool
	After time.Duration // what the server asked to wait (Retry-After); 0 = use the backoff
}

// Clock tells the time and waits; Real is the wall clock.
type Clock interface {
	Now() time.Time
	// Sleep waits d or until ctx ends, whichever is first.
	Sleep(ctx context.Context, d time.Duration) error
}

type realClock struct{}

func (realClock) Now() time.Time { return time.Now() }

func (realClock) Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// Real is the wall clock.
var Real Clock = realClock{}

// Policy says how often and how long to retry.
type Policy struct {
	Attempts int           // tries in all, the first included; 0 = until ctx ends
	Base     time.Duration // the first backoff; it doubles after each try
	Max      time.Duration // the longest backoff
	// MaxAfter is the longest Retry-After honoured; a server asking for
	// more is not waited for (the error is returned). 0 = Max.
	MaxAfter time.Duration
	Classify func(error) Verdict // nil: every error is retried
	Clock    Clock               // nil: Real
	// Jitter spreads a backoff d over [d/2, d]; nil picks at random.
	Jitter  func(d time.Duration) time.Duration
	OnRetry func(attempt int, wait time.Duration, err error) // logging
	// Observer, when set, is told of every failed try (metrics) under
	// Service's name.
	Observer Observer
	Service  string
}

// Observer counts failed tries, and the waits a service asked for
// (Retry-After, as with a 429) that are being honoured.
type Observer interface {
	Failed(service string)
	RateLimitWait(service string)
}

// Do calls fn until it succeeds, its error is final, the attempts are spent
// or ctx ends. It returns fn's last error (so errors.Is and errors.As see
// it); a wait cut short by ctx returns ctx's error wrapping it too. It never
// starts a wait that would end after ctx's deadline.
func Do(ctx context.Context, p Policy, fn func(ctx context.Context) error) error {
	clock := p.Clock
	if clock == nil {
		clock = Real
	}
	for attempt := 1; ; attempt++ {
		err := fn(ctx)
		if err == nil {
			return nil
		}
		if p.Observer != nil && ctx.Err() == nil {
			p.Observer.Failed(p.Service)
		}
		if ctx.Err() != nil || p.Attempts > 0 && attempt >= p.Attempts {
			return err
		}
		v := Verdict{Retry: true}
		var final *finalError
		if errors.As(err, &final) {
			return final.err
		} else if p.Classify != nil {
			v = p.Classify(err)
		}
		if !v.Retry {
			return err
		}
		wait, ok := p.wait(attempt, v.After)
		if !ok {
			return err
		}
		if p.Observer != nil && v.After > 0 {
			p.Observer.RateLimitWait(p.Service)
		}
		if dl, has := ctx.Deadline(); has && clock.Now().Add(wait).After(dl) {
			return err // the caller's limit comes first
		}
		if p.OnRetry != nil {
			p.OnRetry(attempt, wait, err)
		}
		if serr := clock.Sleep(ctx, wait); serr != nil {
			return fmt.Errorf("%w (while waiting to retry: %w)", serr, err)
		}
	}
}

// Final marks an error that must not be retried whatever the classifier
// says (e.g. a local rate limiter that cannot wait within the deadline);
// Do returns err itself.
func Final(err error) error { return &finalError{err} }

type finalError struct{ err error }

func (e *finalError) Error() string { return e.err.Error() }
func (e *finalError) Unwrap() error { return e.err }

// wait is the pause before try attempt+1: the server's Retry-After when
// it gave one (if at most MaxAfter), else the jittered backoff.
func (p Policy) wait(attempt int, after time.Duration) (time.Duration, bool) {
	if after > 0 {
		maxAfter := p.MaxAfter
		if maxAfter == 0 {
			maxAfter = p.Max
		}
		return after, after <= maxAfter
	}
	return p.Backoff(attempt), true
}

// Backoff is the jittered wait after the given try (1-based): Base,
// 2×Base, 4×Base… at most Max, each spread over its upper half.
func (p Policy) Backoff(attempt int) time.Duration {
	d := p.Base
	for i := 1; i < attempt && d < p.Max; i++ {
		d *= 2
	}
	if p.Max > 0 {
		d = min(d, p.Max)
	}
	if p.Jitter != nil {
		return p.Jitter(d)
	}
	return d/2 + time.Duration(rand.Int64N(int64(d/2)+1))
}
