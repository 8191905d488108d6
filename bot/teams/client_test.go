package teams

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/infracloudio/msbotbuilder-go/schema"
)

// waitClock records the waits between retries instead of sleeping.
type waitClock struct {
	mu    sync.Mutex
	waits []time.Duration
}

func (c *waitClock) Now() time.Time { return time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC) }

func (c *waitClock) Sleep(ctx context.Context, d time.Duration) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.waits = append(c.waits, d)
	return ctx.Err()
}

// connector answers the activity posts with the given statuses in turn
// (then 200), each with its Retry-After.
func connector(t *testing.T, answers ...string) (*httptest.Server, *int) {
	var mu sync.Mutex
	calls := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/token" {
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprint(w, `{"access_token":"t","token_type":"Bearer","expires_in":3600}`)
			return
		}
		mu.Lock()
		defer mu.Unlock()
		calls++
		if calls <= len(answers) {
			code, after, _ := strings.Cut(answers[calls-1], " ")
			if after != "" {
				w.Header().Set("Retry-After", after)
			}
			var c int
			fmt.Sscan(code, &c)
			w.WriteHeader(c)
			return
		}
		fmt.Fprint(w, `{"id":"act-9"}`)
	}))
	t.Cleanup(srv.Close)
	return srv, &calls
}

func TestSendRetriesByStatus(t *testing.T) {
	for _, tc := range []struct {
		name      string
		answers   []string
		wantErr   error // nil: delivered
		wantCalls int
		wantWaits []time.Duration
	}{
		{"429 with Retry-After seconds", []string{"429 3"}, nil, 2, []time.Duration{3 * time.Second}},
		{"429 with an HTTP date", []string{"429 Mon, 23 Nov 2026 09:00:20 GMT"}, nil, 2, []time.Duration{20 * time.Second}},
		{"412, 502 and 504 back off", []string{"412", "502", "504"}, nil, 4, []time.Duration{time.Second, 2 * time.Second, 4 * time.Second}},
		{"400 is final", []string{"400"}, errors.New("400"), 1, nil},
		{"401 is final", []string{"401"}, errors.New("401"), 1, nil},
		{"403 means gone", []string{"403"}, ErrGone, 1, nil},
		{"404 means gone", []string{"404"}, ErrGone, 1, nil},
		{"413 means too large", []string{"413"}, ErrTooLarge, 1, nil},
		{"gives up after the retries", []string{"503", "503", "503", "503", "503"}, errors.New("503"), 4, []time.Duration{time.Second, 2 * time.Second, 4 * time.Second}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv, calls := connector(t, tc.answers...)
			clock := &waitClock{}
			c := NewClient(ClientConfig{AppID: "a", AppPassword: "p", TokenURL: srv.URL + "/token", Backoff: time.Second, Clock: clock})
			c.policy.Jitter = func(d time.Duration) time.Duration { return d }
			act := schema.Activity{Type: schema.Message, ServiceURL: srv.URL, Conversation: schema.ConversationAccount{ID: "a:conv"}}
			id, err := c.SendActivity(context.Background(), act)
			switch {
			case tc.wantErr == nil && (err != nil || id != "act-9"):
				t.Errorf("SendActivity = %q, %v", id, err)
			case tc.wantErr != nil && (err == nil || !errors.Is(err, tc.wantErr) && !strings.Contains(err.Error(), tc.wantErr.Error())):
				t.Errorf("err = %v, want %v", err, tc.wantErr)
			}
			if *calls != tc.wantCalls {
				t.Errorf("calls = %d, want %d", *calls, tc.wantCalls)
			}
			if fmt.Sprint(clock.waits) != fmt.Sprint(tc.wantWaits) {
				t.Errorf("waits = %v, want %v", clock.waits, tc.wantWaits)
			}
		})
	}
}

// TestSendBoundedByCallerContext: a token service or connector that never
// answers holds a send only as long as the caller allows.
func TestSendBoundedByCallerContext(t *testing.T) {
	for _, hangAt := range []string{"/token", "/v3/conversations/a:conv/activities"} {
		t.Run(hangAt, func(t *testing.T) {
			hang := make(chan struct{})
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path == hangAt {
					select {
					case <-hang:
					case <-r.Context().Done():
					}
					return
				}
				w.Header().Set("Content-Type", "application/json")
				fmt.Fprint(w, `{"access_token":"t","token_type":"Bearer","expires_in":3600}`)
			}))
			defer srv.Close()
			defer close(hang)
			c := NewClient(ClientConfig{AppID: "a", AppPassword: "p", TokenURL: srv.URL + "/token", Timeout: time.Minute, Clock: &waitClock{}})
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
			defer cancel()
			start := time.Now()
			_, err := c.SendActivity(ctx, schema.Activity{ServiceURL: srv.URL, Conversation: schema.ConversationAccount{ID: "a:conv"}})
			if err == nil || time.Since(start) > 5*time.Second {
				t.Errorf("send = %v after %s, want the caller's deadline", err, time.Since(start))
			}
		})
	}
}

func TestRefusedCredentialsAreNotRetried(t *testing.T) {
	calls := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls++
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		fmt.Fprint(w, `{"error":"invalid_client"}`)
	}))
	defer srv.Close()
	clock := &waitClock{}
	c := NewClient(ClientConfig{AppID: "a", AppPassword: "wrong", TokenURL: srv.URL + "/token", Clock: clock})
	_, err := c.SendActivity(context.Background(), schema.Activity{ServiceURL: srv.URL, Conversation: schema.ConversationAccount{ID: "a:conv"}})
	if err == nil || calls != 1 || len(clock.waits) != 0 {
		t.Errorf("err %v after %d token requests, waits %v", err, calls, clock.waits)
	}
}

func TestLimitersBounded(t *testing.T) {
	c := NewClient(ClientConfig{AppID: "a", AppPassword: "p"})
	for i := range limiterCacheSize + 50 {
		c.limiter(fmt.Sprint("conv-", i))
	}
	if n := c.limiters.Len(); n != limiterCacheSize {
		t.Errorf("%d limiters kept, want at most %d", n, limiterCacheSize)
	}
	if a, b := c.limiter("x"), c.limiter("x"); a != b {
		t.Error("one conversation must keep its limiter")
	}
}
