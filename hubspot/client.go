// Package hubspot syncs HubSpot companies, owners, deals and contacts into
// AccountBot and writes notes and scores back.
//
// It is a thin client on net/http rather than a library: no maintained Go
// client speaks HubSpot's date-versioned paths (/crm/objects/2026-03/…);
// belong-inc/go-hubspot builds /crm/v3/… paths, which HubSpot retires in
// September 2027, and HubSpot publishes no Go SDK. The calls used, all under
// the 2026-03 version:
//
//	GET  /crm/objects/2026-03/companies?limit&after&properties&archived  list (full load, deletions)
//	POST /crm/objects/2026-03/{companies|deals|contacts}/search         hs_lastmodifieddate ≥ cursor, ascending
//	GET  /crm/owners/2026-03?limit&after                                owner id → e-mail
//	POST /crm/associations/2026-03/companies/{deals|contacts}/batch/read (and back, for changed deals/contacts)
//	POST /crm/objects/2026-03/companies/batch/read                      companies of changed deals/contacts
//	POST /crm/objects/2026-03/{deals|contacts}/batch/read               properties of associated records
//	POST /crm/objects/2026-03/notes                                     write-back: note on the company
//	POST /crm/objects/2026-03/notes/search                              idempotency check on a retried note
//	POST /crm/objects/2026-03/companies/batch/update                    write-back: score properties
//
// Authentication is a bearer token: a Service Key (Settings → Development →
// Keys) or a legacy private-app token, from HUBSPOT_TOKEN or a file.
// Requests are paced below the portal's burst limit with a token bucket
// (golang.org/x/time/rate), slowed further when X-HubSpot-RateLimit-Remaining
// reaches zero, and a 429 waits for Retry-After (or the interval header).
package hubspot

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"golang.org/x/time/rate"

	"github.com/accountbot/accountbot/domain"
	"github.com/accountbot/accountbot/internal/apijson"
	"github.com/accountbot/accountbot/internal/retry"
)

// Version is the date version of every CRM path used.
const Version = "2026-03"

// DefaultBaseURL is HubSpot's API host.
const DefaultBaseURL = "https://api.hubapi.com"

// Clock tells the time and waits (internal/retry's); tests inject one that
// never sleeps.
type Clock = retry.Clock

// Client calls HubSpot's CRM API.
type Client struct {
	base    string
	token   string
	http    *http.Client
	limiter *rate.Limiter
	clock   Clock
	// MaxRetries bounds retries of one request after 429 or 5xx.
	MaxRetries int
}

// NewClient returns a client for base (DefaultBaseURL when empty) pacing
// requests at perSecond (≤ 0: unpaced, for tests and benchmarks).
func NewClient(base, token string, perSecond float64, hc *http.Client, clock Clock) *Client {
	if base == "" {
		base = DefaultBaseURL
	}
	if hc == nil {
		hc = &http.Client{Timeout: 60 * time.Second}
	}
	if clock == nil {
		clock = retry.Real
	}
	lim := rate.NewLimiter(rate.Inf, 1)
	if perSecond > 0 {
		lim = rate.NewLimiter(rate.Limit(perSecond), max(1, int(perSecond)))
	}
	return &Client{base: strings.TrimRight(base, "/"), token: token, http: hc, limiter: lim, clock: clock, MaxRetries: 5}
}

// APIError is a non-2xx answer from HubSpot, with its documented error body
// ({"status":"error","message":…,"category":…,"correlationId":…}).
type APIError struct {
	Status        int
	Category      string `json:"category"`
	Message       string `json:"message"`
	CorrelationID string `json:"correlationId"`
	PolicyName    string `json:"policyName"`
	retryAfter    time.Duration
}

func (e *APIError) Error() string {
	switch {
	case e.Status == http.StatusUnauthorized:
		return "HubSpot refused the token (401): it is wrong, expired or revoked; create a Service Key (Settings → Development → Keys) and set HUBSPOT_TOKEN to it" + e.detail()
	case e.Status == http.StatusForbidden:
		return "HubSpot denied access (403): the key lacks a scope; grant crm.objects.companies.read, crm.objects.contacts.read, crm.objects.deals.read and crm.objects.owners.read (for write-back also crm.objects.companies.write and crm.objects.contacts.write, which notes need)" + e.detail()
	case e.Status == http.StatusTooManyRequests && e.PolicyName == "DAILY":
		return "HubSpot's daily API limit for this portal is used up (429); the next run after the daily reset continues from the cursor" + e.detail()
	case e.Status == http.StatusTooManyRequests:
		return "HubSpot rate limit reached (429) and retries ran out; the next run continues from the cursor" + e.detail()
	}
	return fmt.Sprintf("HubSpot answered %d%s", e.Status, e.detail())
}

func (e *APIError) detail() string {
	s := ""
	if e.Message != "" {
		s = ": " + e.Message
	}
	if e.CorrelationID != "" {
		s += " (correlation id " + e.CorrelationID + ")"
	}
	return s
}

// do sends one JSON request and decodes the answer into out, pacing and
// retrying 429 and 5xx.
func (c *Client) do(ctx context.Context, method, path string, query url.Values, body, out any) error {
	return c.call(ctx, method, path, query, body, out, true)
}

// call is do with a choice: a request that creates something (a note) must
// not be repeated after a 5xx, which may come after the record was made;
// only 429 (refused before any work) is retried then. Retries go through
// internal/retry: Retry-After when given, the rate-limit interval header
// otherwise, else a backoff from 1 s doubling.
func (c *Client) call(ctx context.Context, method, path string, query url.Values, body, out any, retry5xx bool) error {
	var payload []byte
	if body != nil {
		var err error
		if payload, err = json.Marshal(body); err != nil {
			return fmt.Errorf("encoding HubSpot request: %w", err)
		}
	}
	u := c.base + path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	p := retry.Policy{Attempts: c.MaxRetries + 1, Base: time.Second, Max: 32 * time.Second, MaxAfter: time.Hour,
		Classify: func(err error) retry.Verdict { return retryVerdict(err, retry5xx) }, Clock: c.clock}
	err := retry.Do(ctx, p, func(ctx context.Context) error {
		if err := c.limiter.Wait(ctx); err != nil {
			return retry.Final(err)
		}
		return c.once(ctx, method, u, payload, out)
	})
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	return nil
}

// retryVerdict is HubSpot's retry rule: 429 (except the daily limit, which
// seconds of waiting do not lift) and, when allowed, 5xx; nothing else
// (a failed connection may have delivered a write).
func retryVerdict(err error, retry5xx bool) retry.Verdict {
	var ae *APIError
	if !errors.As(err, &ae) {
		return retry.Verdict{}
	}
	if ae.Status == http.StatusTooManyRequests {
		return retry.Verdict{Retry: ae.PolicyName != "DAILY", After: ae.retryAfter}
	}
	return retry.Verdict{Retry: ae.Status >= 500 && retry5xx, After: ae.retryAfter}
}

func (c *Client) once(ctx context.Context, method, u string, payload []byte, out any) error {
	var rd io.Reader
	if payload != nil {
		rd = bytes.NewReader(payload)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return fmt.Errorf("building request: %w", err)
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Accept", "application/json")
	if payload != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		ae := &APIError{Status: resp.StatusCode}
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		_ = json.Unmarshal(b, ae) // a non-JSON body still yields the status
		ae.retryAfter = retryAfter(resp.Header, c.clock.Now())
		return ae
	}
	c.pace(ctx, resp.Header)
	if out == nil {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxBody))
		return nil
	}
	// apijson reads to the end of the body (a newline follows the JSON):
	// a body closed before its end closes the connection, and a full load
	// would open a new one for each of its thousands of requests.
	if err := apijson.Decode(io.LimitReader(resp.Body, maxBody), out); err != nil {
		return domain.Errorf(domain.EINVALID, "HubSpot sent a response AccountBot cannot read (%v); is HUBSPOT_API_URL pointing at HubSpot?", err)
	}
	return nil
}

// maxBody bounds a response read: a page of 100 records with their
// properties is well under a megabyte; anything near this is not HubSpot.
const maxBody = 32 << 20

// pace waits out the rest of the rate-limit window when HubSpot says no
// requests remain in it (X-HubSpot-RateLimit-Remaining: 0), so the next
// request does not earn a 429.
func (c *Client) pace(ctx context.Context, h http.Header) {
	rem, err := strconv.Atoi(h.Get("X-HubSpot-RateLimit-Remaining"))
	if err != nil || rem > 0 {
		return
	}
	ms, err := strconv.Atoi(h.Get("X-HubSpot-RateLimit-Interval-Milliseconds"))
	if err != nil || ms <= 0 || ms > 60_000 {
		ms = 1000
	}
	_ = c.clock.Sleep(ctx, time.Duration(ms)*time.Millisecond)
}

// retryAfter reads Retry-After (seconds or an HTTP date, at most an
// hour), falling back to the rate-limit interval header.
func retryAfter(h http.Header, now time.Time) time.Duration {
	if d, ok := retry.ParseRetryAfter(h.Get("Retry-After"), now); ok && d <= time.Hour {
		return d
	}
	if ms, err := strconv.Atoi(h.Get("X-HubSpot-RateLimit-Interval-Milliseconds")); err == nil && ms > 0 && ms <= 60_000 {
		return time.Duration(ms) * time.Millisecond
	}
	return 0
}
