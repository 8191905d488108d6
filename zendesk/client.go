// Package zendesk feeds support tickets from Zendesk into AccountBot: the
// incremental ticket export in cursor mode, organizations matched to
// accounts by their external id, each ticket counted once by the date it was
// opened, with its priority and status.
//
// The client is our own, on net/http: the Go Zendesk clients
// (nukosuke/go-zendesk) have no method for the cursor-based incremental
// export, only a deprecated struct, and Conduit's Go connector wrote its own
// client for the same reason. It needs two endpoints:
//
//	GET /api/v2/incremental/tickets/cursor.json?start_time=<unix>  (first page)
//	GET /api/v2/incremental/tickets/cursor.json?cursor=<after_cursor>
//	GET /api/v2/organizations/show_many.json?ids=1,2,…  (≤ 100 ids)
//
// The export answers {"tickets": […], "after_cursor": "…", "after_url":
// "…", "end_of_stream": bool}; pages are followed with after_cursor until
// end_of_stream, and the last after_cursor is where the next run starts.
// Incremental endpoints allow 10 requests a minute: the client paces itself
// to that and, on 429, waits Retry-After (Zendesk's documented behaviour,
// developer.zendesk.com, "Incremental Exports", checked 2026-11).
package zendesk

import (
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
	"github.com/accountbot/accountbot/internal/retry"
)

// Clock tells the time and waits (internal/retry's); tests inject one that
// never sleeps.
type Clock = retry.Clock

// Client calls Zendesk's Support API with an API token.
type Client struct {
	base, email, token string
	http               *http.Client
	export             *rate.Limiter // the incremental endpoints' 10 a minute
	clock              Clock
	MaxRetries         int // retries of one request after 429 or 5xx
}

// NewClient returns a client for base (https://<subdomain>.zendesk.com)
// pacing export requests at perMinute (≤ 0: unpaced).
func NewClient(base, email, token string, perMinute int, hc *http.Client, clock Clock) *Client {
	if hc == nil {
		hc = &http.Client{Timeout: 60 * time.Second}
	}
	if clock == nil {
		clock = retry.Real
	}
	lim := rate.NewLimiter(rate.Inf, 1)
	if perMinute > 0 {
		lim = rate.NewLimiter(rate.Every(time.Minute/time.Duration(perMinute)), 1)
	}
	return &Client{base: strings.TrimRight(base, "/"), email: email, token: token, http: hc, export: lim, clock: clock, MaxRetries: 5}
}

// APIError is a non-2xx answer from Zendesk ({"error": …, "description": …}).
type APIError struct {
	Status      int
	Err         any    `json:"error"` // a string or an object, depending on the endpoint
	Description string `json:"description"`
	retryAfter  time.Duration
}

func (e *APIError) Error() string {
	switch e.Status {
	case http.StatusUnauthorized:
		return "Zendesk refused the credentials (401): check ZENDESK_EMAIL and ZENDESK_API_TOKEN (Admin Center → Apps and integrations → Zendesk API → token access)"
	case http.StatusForbidden:
		return "Zendesk denied access (403): the incremental export needs an admin's API token"
	case http.StatusTooManyRequests:
		return "Zendesk rate limit reached (429) and retries ran out; the next run continues from the cursor"
	}
	s := fmt.Sprintf("Zendesk answered %d", e.Status)
	if e.Description != "" {
		s += ": " + e.Description
	} else if m, ok := e.Err.(string); ok && m != "" {
		s += ": " + m
	}
	return s
}

// Ticket is the part of a Zendesk ticket AccountBot reads.
type Ticket struct {
	ID             int64     `json:"id"`
	Subject        string    `json:"subject"`
	Status         string    `json:"status"`
	Priority       *string   `json:"priority"`
	OrganizationID *int64    `json:"organization_id"`
	CreatedAt      time.Time `json:"created_at"`
	UpdatedAt      time.Time `json:"updated_at"`
}

// ExportPage is one page of the cursor-based incremental ticket export.
type ExportPage struct {
	Tickets     []Ticket `json:"tickets"`
	AfterCursor string   `json:"after_cursor"`
	AfterURL    string   `json:"after_url"`
	EndOfStream bool     `json:"end_of_stream"`
}

// Organization is the part of a Zendesk organization AccountBot reads.
type Organization struct {
	ID         int64          `json:"id"`
	Name       string         `json:"name"`
	ExternalID *string        `json:"external_id"`
	Fields     map[string]any `json:"organization_fields"`
}

// Export returns the export page at cursor, or the first page from start
// when cursor is empty.
func (c *Client) Export(ctx context.Context, cursor string, start time.Time) (ExportPage, error) {
	q := url.Values{}
	if cursor != "" {
		q.Set("cursor", cursor)
	} else {
		q.Set("start_time", strconv.FormatInt(start.Unix(), 10))
	}
	var p ExportPage
	if err := c.get(ctx, "/api/v2/incremental/tickets/cursor.json", q, c.export, &p); err != nil {
		return p, err
	}
	if !p.EndOfStream && p.AfterCursor == "" {
		return p, domain.Errorf(domain.EINVALID, "Zendesk sent an export page with no after_cursor and end_of_stream false; is ZENDESK_API_URL pointing at Zendesk?")
	}
	return p, nil
}

// Organizations returns the organizations of ids (up to 100 a request).
func (c *Client) Organizations(ctx context.Context, ids []int64) ([]Organization, error) {
	var out []Organization
	for len(ids) > 0 {
		n := min(100, len(ids))
		parts := make([]string, n)
		for i, id := range ids[:n] {
			parts[i] = strconv.FormatInt(id, 10)
		}
		ids = ids[n:]
		var r struct {
			Organizations []Organization `json:"organizations"`
		}
		if err := c.get(ctx, "/api/v2/organizations/show_many.json", url.Values{"ids": {strings.Join(parts, ",")}}, nil, &r); err != nil {
			return nil, err
		}
		out = append(out, r.Organizations...)
	}
	return out, nil
}

// get sends one GET and decodes the answer, pacing with lim (when set) and
// retrying 429 (after Retry-After) and 5xx through internal/retry.
func (c *Client) get(ctx context.Context, path string, q url.Values, lim *rate.Limiter, out any) error {
	u := c.base + path + "?" + q.Encode()
	p := retry.Policy{Attempts: c.MaxRetries + 1, Base: time.Second, Max: 32 * time.Second, MaxAfter: time.Hour,
		Classify: retryVerdict, Clock: c.clock}
	err := retry.Do(ctx, p, func(ctx context.Context) error {
		if lim != nil {
			now := c.clock.Now()
			if d := lim.ReserveN(now, 1).DelayFrom(now); d > 0 {
				if err := c.clock.Sleep(ctx, d); err != nil {
					return retry.Final(err)
				}
			}
		}
		return c.once(ctx, u, out)
	})
	if err != nil {
		return fmt.Errorf("GET %s: %w", path, err)
	}
	return nil
}

// retryVerdict is Zendesk's retry rule: 429 and 5xx (the export is a read,
// safe to repeat), after Retry-After when given.
func retryVerdict(err error) retry.Verdict {
	var ae *APIError
	if !errors.As(err, &ae) {
		return retry.Verdict{}
	}
	return retry.Verdict{Retry: ae.Status == http.StatusTooManyRequests || ae.Status >= 500, After: ae.retryAfter}
}

func (c *Client) once(ctx context.Context, u string, out any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return fmt.Errorf("building request: %w", err)
	}
	req.SetBasicAuth(c.email+"/token", c.token) // Zendesk's API-token form of basic auth
	req.Header.Set("Accept", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		ae := &APIError{Status: resp.StatusCode}
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		_ = json.Unmarshal(b, ae) // a non-JSON body still yields the status
		if d, ok := retry.ParseRetryAfter(resp.Header.Get("Retry-After"), c.clock.Now()); ok && d <= time.Hour {
			ae.retryAfter = d
		}
		return ae
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 64<<20)).Decode(out); err != nil {
		return domain.Errorf(domain.EINVALID, "Zendesk sent a response AccountBot cannot read (%v); is ZENDESK_API_URL pointing at Zendesk?", err)
	}
	return nil
}
