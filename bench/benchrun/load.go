package main

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

const secret = "bench-signing-secret"

// loadResult is one fixed-rate run.
type loadResult struct {
	target           int
	achieved         float64 // completed requests per second
	p50, p99         time.Duration
	errors, requests int
}

func (l loadResult) ok() bool {
	return l.requests > 0 && float64(l.errors) <= 0.01*float64(l.requests) && l.achieved >= 0.95*float64(l.target) && l.p99 <= 100*time.Millisecond
}

var client = &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
	MaxIdleConns: 2000, MaxIdleConnsPerHost: 2000, IdleConnTimeout: 30 * time.Second,
	DialContext: (&net.Dialer{Timeout: 2 * time.Second}).DialContext,
}}

// signed builds a slash-command request exactly as Slack sends it.
func signed(target string, rng *rand.Rand, accounts int) *http.Request {
	id := fmt.Sprintf("acct-%05d", rng.IntN(accounts)+1)
	body := url.Values{"token": {"x"}, "team_id": {"T1"}, "channel_id": {"C1"}, "user_id": {"UBENCH"}, "user_name": {"bench"},
		"command": {"/account"}, "text": {id + " health"}, "response_url": {"http://127.0.0.1:1/none"}, "trigger_id": {"1.2.3"}}.Encode()
	ts := fmt.Sprint(time.Now().Unix())
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte("v0:" + ts + ":" + body))
	req, _ := http.NewRequest(http.MethodPost, target, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Slack-Request-Timestamp", ts)
	req.Header.Set("X-Slack-Signature", "v0="+hex.EncodeToString(mac.Sum(nil)))
	return req
}

// run sends requests at a fixed rate (open loop) for d and stops by itself.
func run(ctx context.Context, target string, rate int, d time.Duration, accounts int) loadResult {
	var tl tally
	var wg sync.WaitGroup
	rng := rand.New(rand.NewPCG(uint64(rate), 1))
	interval := time.Second / time.Duration(rate)
	start := time.Now()
	next := start
	for time.Since(start) < d && ctx.Err() == nil {
		req := signed(target, rng, accounts)
		wg.Go(func() { tl.send(req) })
		next = next.Add(interval)
		if w := time.Until(next); w > 0 {
			time.Sleep(w)
		}
	}
	wg.Wait()
	return tl.result(loadResult{target: rate}, time.Since(start))
}

// tally counts the outcomes of concurrent requests: the open-loop load
// here and the replicas' closed loop.
type tally struct {
	mu               sync.Mutex
	requests, errors int
	lat              []time.Duration // of the requests answered 200
}

// send sends req and counts its outcome and, if answered 200, its latency.
func (t *tally) send(req *http.Request) {
	start := time.Now()
	resp, err := client.Do(req)
	ok := err == nil && resp.StatusCode == http.StatusOK
	if err == nil {
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	el := time.Since(start)
	t.mu.Lock()
	defer t.mu.Unlock()
	t.requests++
	if ok {
		t.lat = append(t.lat, el)
	} else {
		t.errors++
	}
}

// result is res with what was counted over elapsed.
func (t *tally) result(res loadResult, elapsed time.Duration) loadResult {
	res.requests, res.errors = t.requests, t.errors
	res.achieved = float64(len(t.lat)) / elapsed.Seconds()
	res.p50, res.p99 = percentile(t.lat, .5), percentile(t.lat, .99)
	return res
}

// ramp raises the rate until the service no longer keeps up (p99 over
// 100 ms, over 1% errors, or under 95% of the target) and returns the last
// sustainable step.
func ramp(ctx context.Context, target string, from int, step time.Duration, accounts int) (best loadResult, steps []loadResult) {
	for rate := from; rate <= 40000; rate = rate * 3 / 2 {
		r := run(ctx, target, rate, step, accounts)
		steps = append(steps, r)
		if !r.ok() {
			break
		}
		best = r
		time.Sleep(500 * time.Millisecond)
	}
	return best, steps
}
