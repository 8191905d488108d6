// Package salesforce syncs Salesforce accounts, their renewal opportunities,
// contacts and owners into AccountBot, and writes Tasks and scores back.
//
// It uses github.com/k-capehart/go-salesforce/v3 for the OAuth 2.0 JWT
// bearer login (an External Client App with a certificate; the library
// signs the assertion with golang-jwt, iss = client id, sub = username, aud
// = login.salesforce.com, or test.salesforce.com when the login URL is a
// sandbox's) and for DoRequest, which logs in again once when a call
// answers 401 INVALID_SESSION_ID. The library's Query collects every page
// in memory and its QueryBulkIterator polls on the wall clock with a fixed
// one-minute timeout and cannot resume a job, so pages, Bulk API 2.0 jobs
// and the `updated`/`deleted` resources are driven through DoRequest here
// (each page is then one transaction with its cursor, and a crashed run
// resumes inside a Bulk job's results). The calls, under
// /services/data/vXX.X:
//
//	GET   /query/?q=SELECT COUNT() FROM Account                  size of a first load (REST ≤ bulk_above < Bulk)
//	GET   /query/?q=SELECT … FROM Account ORDER BY Id            REST full load, nextRecordsUrl paging (batchSize 200)
//	POST  /jobs/query, GET /jobs/query/{id}, …/results?locator   Bulk API 2.0 full load (UploadComplete→InProgress→JobComplete)
//	GET   /sobjects/Account/updated/?start&end                   incremental: accounts changed (≤ 30 days back)
//	GET   /sobjects/Account/deleted/?start&end, /queryAll/       deleted and merged (MasterRecordId) accounts
//	GET   /query/?q=SELECT AccountId FROM Opportunity|Contact WHERE SystemModstamp > …   accounts whose children changed
//	GET   /query/?q=… FROM Opportunity|Contact WHERE AccountId IN (…)   a page's children
//	GET   /query/?q=SELECT Id, Email FROM User WHERE Id IN (…)   owner e-mails
//	POST  /sobjects/Task/                                        write-back: Task (WhatId = account, OwnerId = the CSM)
//	POST  /jobs/ingest, PUT …/batches, PATCH, GET …/failedResults/   write-back: score fields, Bulk API 2.0 ingest
//
// Every response's Sforce-Limit-Info header (api-usage=used/max) is read:
// above slow_above of the org's daily allowance calls are spaced out, above
// stop_above the run stops with the cursor kept, as it does on 403
// REQUEST_LIMIT_EXCEEDED.
package salesforce

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	gsf "github.com/k-capehart/go-salesforce/v3"

	"github.com/accountbot/accountbot/domain"
	"github.com/accountbot/accountbot/internal/apijson"
	"github.com/accountbot/accountbot/internal/retry"
)

// Clock tells the time and waits (internal/retry's); tests inject one that
// never sleeps.
type Clock = retry.Clock

// meter is the HTTP transport under the library: it reads the
// Sforce-Limit-Info header of every response and remembers the status of
// the last one (the library's errors carry only the body).
type meter struct {
	base       http.RoundTripper
	mu         sync.Mutex
	used, max  int
	lastStatus int
	calls      int
}

func (m *meter) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := m.base.RoundTrip(req)
	if err != nil {
		return resp, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.calls++
	m.lastStatus = resp.StatusCode
	// "api-usage=25/15000" (other comma-separated entries may follow).
	for part := range strings.SplitSeq(resp.Header.Get("Sforce-Limit-Info"), ",") {
		v, ok := strings.CutPrefix(strings.TrimSpace(part), "api-usage=")
		if !ok {
			continue
		}
		u, mx, _ := strings.Cut(v, "/")
		if a, err := strconv.Atoi(u); err == nil {
			if b, err := strconv.Atoi(mx); err == nil && b > 0 {
				m.used, m.max = a, b
			}
		}
	}
	return resp, nil
}

func (m *meter) usage() (used, max, status int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.used, m.max, m.lastStatus
}

// Options tune a Client.
type Options struct {
	APIVersion   string            // default v63.0
	Transport    http.RoundTripper // default http.DefaultTransport
	Clock        Clock
	SlowAbove    float64       // share of the daily allowance above which calls are spaced out
	StopAbove    float64       // share above which calls stop
	SlowInterval time.Duration // the spacing
}

// Client is a Salesforce API client. It logs in on its first call, so a
// login failure is reported by the run (and shown in `sync status`).
type Client struct {
	sf      *gsf.Salesforce
	cr      Creds
	m       *meter
	clock   Clock
	opt     Options
	version string
}

// NewClient returns a client for cr; nothing is sent until the first call.
func NewClient(cr Creds, opt Options) *Client {
	if opt.APIVersion == "" {
		opt.APIVersion = "v63.0"
	}
	if opt.Transport == nil {
		opt.Transport = http.DefaultTransport
	}
	if opt.Clock == nil {
		opt.Clock = retry.Real
	}
	if opt.SlowAbove == 0 {
		opt.SlowAbove = 0.8
	}
	if opt.StopAbove == 0 {
		opt.StopAbove = 0.95
	}
	if opt.SlowInterval == 0 {
		opt.SlowInterval = 2 * time.Second
	}
	return &Client{cr: cr, m: &meter{base: opt.Transport}, clock: opt.Clock, opt: opt, version: opt.APIVersion}
}

// loginTimeout bounds the JWT bearer login.
const loginTimeout = time.Minute

// login runs the JWT bearer flow once; the library repeats it when a
// session expires. The library posts the assertion with
// http.DefaultClient, without a context or timeout, so the wait is bounded
// here: a token endpoint that never answers fails the run instead of
// hanging it (the abandoned request ends with its connection).
func (c *Client) login(ctx context.Context) error {
	if c.sf != nil {
		return nil
	}
	type result struct {
		sf  *gsf.Salesforce
		err error
	}
	done := make(chan result, 1)
	go func() {
		sf, err := gsf.Init(gsf.Creds{Domain: c.cr.LoginURL, Username: c.cr.Username, ConsumerKey: c.cr.ClientID, ConsumerRSAPem: c.cr.KeyPEM},
			gsf.WithAPIVersion(c.opt.APIVersion), gsf.WithRoundTripper(c.m), gsf.WithHTTPTimeout(5*time.Minute))
		done <- result{sf, err}
	}()
	t := time.NewTimer(loginTimeout)
	defer t.Stop()
	select {
	case r := <-done:
		if r.err != nil {
			return loginError(c.cr, r.err)
		}
		c.sf = r.sf
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return domain.Errorf(domain.EINVALID, "Salesforce did not answer the JWT bearer login at %s within %s; check SALESFORCE_LOGIN_URL and the network", c.cr.LoginURL, loginTimeout)
	}
}

// loginError explains a failed JWT bearer login. The library reports only
// the HTTP status, so the message lists what Salesforce checks.
func loginError(cr Creds, err error) error {
	msg := err.Error()
	if strings.Contains(msg, "PrivateKey") || strings.Contains(msg, "key") && !strings.Contains(msg, "failed authentication") {
		return domain.Errorf(domain.EINVALID, "the Salesforce private key (SALESFORCE_PRIVATE_KEY_FILE) is not a usable RSA key: %v", err)
	}
	return domain.Errorf(domain.EINVALID, "Salesforce refused the JWT bearer login of %s at %s (%s). Check that SALESFORCE_CLIENT_ID is the External Client App's consumer key, that the app holds the certificate of SALESFORCE_PRIVATE_KEY_FILE, that the user's profile or permission set is pre-authorised on the app (Admin approved users are pre-authorized), and that SALESFORCE_LOGIN_URL is https://login.salesforce.com for production or https://test.salesforce.com for a sandbox",
		cr.Username, cr.LoginURL, strings.TrimSpace(msg))
}

// APIError is an error answered by Salesforce.
type APIError struct {
	Status  int
	Code    string // errorCode, e.g. INVALID_FIELD
	Message string
}

func (e *APIError) Error() string {
	if e.Code == "" {
		return fmt.Sprintf("Salesforce answered %d: %s", e.Status, e.Message)
	}
	return fmt.Sprintf("Salesforce answered %d %s: %s", e.Status, e.Code, e.Message)
}

// Calls returns how many HTTP calls the client made (for tests and bench).
func (c *Client) Calls() int {
	c.m.mu.Lock()
	defer c.m.mu.Unlock()
	return c.m.calls
}

// ErrLimit is wrapped by the errors that stop a run because the org's
// daily API allowance is (nearly) spent.
var ErrLimit = errors.New("salesforce API allowance")

// pace keeps AccountBot inside the org's daily allowance: it spaces calls
// out above SlowAbove and refuses them above StopAbove.
func (c *Client) pace(ctx context.Context) error {
	used, mx, _ := c.m.usage()
	if mx == 0 {
		return nil
	}
	share := float64(used) / float64(mx)
	if share >= c.opt.StopAbove {
		return fmt.Errorf("%w: %w", ErrLimit, domain.Errorf(domain.EINVALID, "paused: the Salesforce org has used %d of its %d daily API requests (Sforce-Limit-Info), above the %.0f%% AccountBot leaves to other integrations; the cursor is kept and the next run resumes once the rolling 24-hour allowance recovers (sync.salesforce.stop_above)", used, mx, c.opt.StopAbove*100))
	}
	if share >= c.opt.SlowAbove {
		return c.clock.Sleep(ctx, c.opt.SlowInterval)
	}
	return nil
}

// withContext makes the library's request carry ctx (it builds requests
// without one); the option is re-applied when the library retries.
func withContext(ctx context.Context) gsf.RequestOption {
	return func(r *http.Request) { *r = *r.WithContext(ctx) }
}

// do sends one request (uri below /services/data/vXX.X) and returns the
// response; the caller closes its body.
func (c *Client) do(ctx context.Context, method, uri string, body []byte, opts ...gsf.RequestOption) (*http.Response, error) {
	if err := c.login(ctx); err != nil {
		return nil, err
	}
	if err := c.pace(ctx); err != nil {
		return nil, err
	}
	opts = append(opts, withContext(ctx))
	resp, err := c.sf.DoRequest(method, uri, body, opts...)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, c.apiError(err)
	}
	return resp, nil
}

// send is do for a call whose answer is not needed: the body is read and
// closed, which frees the connection for the next call.
func (c *Client) send(ctx context.Context, method, uri string, body []byte, opts ...gsf.RequestOption) error {
	resp, err := c.do(ctx, method, uri, body, opts...)
	if err != nil {
		return err
	}
	_, err = readAll(resp)
	return err
}

// getJSON GETs uri and decodes its JSON body into out.
func (c *Client) getJSON(ctx context.Context, uri string, out any, opts ...gsf.RequestOption) error {
	resp, err := c.do(ctx, http.MethodGet, uri, nil, opts...)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	// apijson reads to the end of the body (a newline follows the JSON):
	// a body closed before its end closes the connection, and a full load
	// would open a new one for each of its requests.
	if err := apijson.Decode(io.LimitReader(resp.Body, maxBody), out); err != nil {
		return fmt.Errorf("reading the Salesforce answer to GET %s: %w", shortURI(uri), err)
	}
	return nil
}

// apiError turns the library's error (the response body as text) into an
// APIError with a message that says what to fix.
func (c *Client) apiError(err error) error {
	_, _, status := c.m.usage()
	text := err.Error()
	var msgs []gsf.SalesforceErrorMessage
	ae := &APIError{Status: status, Message: text}
	if json.Unmarshal([]byte(text), &msgs) == nil && len(msgs) > 0 {
		ae.Code, ae.Message = msgs[0].ErrorCode, strings.TrimSpace(msgs[0].Message)
	} else if strings.Contains(text, "failed authentication") {
		ae.Code = "INVALID_SESSION_ID"
	} else if strings.HasPrefix(text, "invalid character") {
		// The library could not read the body as JSON: a proxy's or
		// gateway's page, not an answer from Salesforce's API.
		ae.Message = "an answer that is not Salesforce's JSON (a proxy or gateway error page?)"
	}
	if len(ae.Message) > 500 {
		ae.Message = ae.Message[:500] + "…"
	}
	switch {
	case ae.Code == "REQUEST_LIMIT_EXCEEDED":
		return fmt.Errorf("%w: %w", ErrLimit, domain.Errorf(domain.EINVALID, "stopped: Salesforce answered REQUEST_LIMIT_EXCEEDED (%s): the org's daily API allowance is spent. The cursor is kept; the next run resumes once the rolling 24-hour allowance recovers", ae.Message))
	case ae.Code == "INVALID_SESSION_ID":
		return domain.Errorf(domain.EINVALID, "Salesforce rejected the session and the JWT bearer login again (%s); check the External Client App, its certificate and that the user is still pre-authorised and active", ae.Message)
	case strings.HasPrefix(ae.Code, "INSUFFICIENT_ACCESS") || ae.Code == "INVALID_TYPE" || ae.Code == "API_DISABLED_FOR_ORG" || ae.Code == "API_CURRENTLY_DISABLED" || ae.Code == "FUNCTIONALITY_NOT_ENABLED":
		return fmt.Errorf("%w: %w", ae, domain.Errorf(domain.EINVALID, "the Salesforce integration user lacks a permission (%s: %s); give its permission set API Enabled, Read on Account, Opportunity, Contact and User (and, for write-back, Create on Task and Edit on the score fields)", ae.Code, ae.Message))
	case ae.Code == "INVALID_FIELD" || ae.Code == "INVALID_FIELD_FOR_INSERT_UPDATE" || ae.Code == "NO_SUCH_COLUMN":
		return fmt.Errorf("%w: %w", ae, domain.Errorf(domain.EINVALID, "a mapped Salesforce field does not exist or is hidden from the integration user (%s); fix sync.salesforce.mapping or the field-level security", firstLine(ae.Message)))
	}
	return ae
}

func firstLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.TrimSpace(lines[len(lines)-1])
}

func shortURI(u string) string {
	if len(u) > 120 {
		return u[:120] + "…"
	}
	return u
}

// maxBody bounds what is read of one answer: a Bulk results chunk of
// 10,000 rows is a few MB; more is an error, not a reason to run out of
// memory.
const maxBody = 256 << 20

// readAll reads and closes a response body.
func readAll(resp *http.Response) ([]byte, error) {
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	if err == nil && len(b) > maxBody {
		return nil, fmt.Errorf("the answer is larger than %d MB", maxBody>>20)
	}
	return b, err
}
