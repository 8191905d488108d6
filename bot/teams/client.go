package teams

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/golang-lru/v2/expirable"
	"github.com/infracloudio/msbotbuilder-go/schema"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
	"golang.org/x/time/rate"

	"github.com/accountbot/accountbot/internal/retry"
)

// Bot Framework outbound defaults.
const (
	DefaultTokenURL = "https://login.microsoftonline.com/botframework.com/oauth2/v2.0/token"
	TokenScope      = "https://api.botframework.com/.default"
)

// ErrGone means the user or conversation is no longer reachable (403/404):
// callers mark it inactive instead of retrying.
var ErrGone = errors.New("recipient no longer reachable")

// ErrTooLarge is a 413: the activity must be shrunk or split.
var ErrTooLarge = errors.New("activity too large")

// Client sends activities to the Bot Connector. Every call is bounded by
// its caller's context.
type Client struct {
	http   *http.Client
	tokens *tokenSource
	policy retry.Policy
	now    func() time.Time

	mu       sync.Mutex
	limiters *expirable.LRU[string, *rate.Limiter]
}

// ClientConfig configures the connector client.
type ClientConfig struct {
	AppID, AppPassword string
	TokenURL           string // default the public cloud's; a tenant's for single-tenant bots
	Timeout            time.Duration
	Retries            int
	Backoff            time.Duration
	Base               *http.Client // transport for token and API calls (tests)
	Clock              retry.Clock  // waits between retries; nil = the wall clock
}

// NewClient builds a client whose tokens come from the client-credentials
// flow and are cached until shortly before they expire; concurrent sends
// share one token request (oauth2.ReuseTokenSource).
func NewClient(c ClientConfig) *Client {
	if c.TokenURL == "" {
		c.TokenURL = DefaultTokenURL
	}
	if c.Timeout == 0 {
		c.Timeout = 15 * time.Second
	}
	if c.Retries == 0 {
		c.Retries = 3
	}
	if c.Backoff == 0 {
		c.Backoff = 500 * time.Millisecond
	}
	if c.Clock == nil {
		c.Clock = retry.Real
	}
	base := c.Base
	if base == nil {
		base = &http.Client{Timeout: c.Timeout}
	}
	cc := clientcredentials.Config{ClientID: c.AppID, ClientSecret: c.AppPassword, TokenURL: c.TokenURL, Scopes: []string{TokenScope},
		AuthStyle: oauth2.AuthStyleInParams} // as Microsoft documents it; no second guess
	return &Client{http: base, tokens: &tokenSource{cfg: cc, http: base, turn: make(chan struct{}, 1)}, now: c.Clock.Now,
		policy: retry.Policy{Attempts: c.Retries + 1, Base: c.Backoff, Max: 30 * time.Second, MaxAfter: time.Minute,
			Classify: retry.Teams, Clock: c.Clock},
		limiters: expirable.NewLRU[string, *rate.Limiter](limiterCacheSize, nil, limiterTTL)}
}

// Limiters are kept per conversation for an hour after its last send and
// for at most limiterCacheSize conversations: a forgotten limiter only
// means a fresh burst allowance.
const (
	limiterCacheSize = 10_000
	limiterTTL       = time.Hour
)

// ObserveRetries counts the connector's failed tries (metrics).
func (c *Client) ObserveRetries(o retry.Observer) {
	c.policy.Observer, c.policy.Service = o, "teams"
}

// limiter paces one conversation within Teams' limits (7/s, 8 per 2 s,
// 60 per 30 s): 2 a second sustained with bursts of 7.
func (c *Client) limiter(conv string) *rate.Limiter {
	c.mu.Lock()
	defer c.mu.Unlock()
	l, ok := c.limiters.Get(conv)
	if !ok {
		l = rate.NewLimiter(2, 7)
	}
	c.limiters.Add(conv, l) // (re)starts its hour
	return l
}

// SendActivity posts an activity to its conversation (to
// /activities/{replyToId} when it is a reply) and returns the id the
// connector gave it.
func (c *Client) SendActivity(ctx context.Context, act schema.Activity) (string, error) {
	return c.PostActivity(ctx, act, nil)
}

// PostActivity is SendActivity calling before (when not nil) after every
// rate-limit wait and immediately before each POST; an error from before
// aborts with nothing posted. The nudge scheduler records "sending" there.
func (c *Client) PostActivity(ctx context.Context, act schema.Activity, before func() error) (string, error) {
	parts := []string{"activities"}
	if act.ReplyToID != "" {
		parts = append(parts, act.ReplyToID)
	}
	u, err := conversationURL(act.ServiceURL, act.Conversation.ID, parts...)
	if err != nil {
		return "", err
	}
	body, err := c.send(ctx, http.MethodPost, u, act, before)
	if err != nil {
		return "", err
	}
	var res struct {
		ID string `json:"id"`
	}
	_ = json.Unmarshal(body, &res) // the id is informative; some channels send none
	return res.ID, nil
}

// conversationURL is {serviceUrl}/v3/conversations/{id}/{parts…}.
func conversationURL(serviceURL, conv string, parts ...string) (url.URL, error) {
	u, err := url.Parse(serviceURL)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return url.URL{}, fmt.Errorf("bad serviceUrl %q", serviceURL)
	}
	u.Path = path.Join(append([]string{u.Path, "v3", "conversations", conv}, parts...)...)
	return *u, nil
}

// Send makes one connector call with rate limiting and retries (see
// retry.Teams: 429, 412 and 5xx back off exponentially with jitter,
// honouring Retry-After; 400, 401, 403, 404 and 413 are final).
func (c *Client) Send(ctx context.Context, method string, u url.URL, body any) ([]byte, error) {
	return c.send(ctx, method, u, body, nil)
}

func (c *Client) send(ctx context.Context, method string, u url.URL, body any, before func() error) ([]byte, error) {
	var payload []byte
	if body != nil {
		var err error
		if payload, err = json.Marshal(body); err != nil {
			return nil, fmt.Errorf("encoding activity: %w", err)
		}
	}
	conv := conversationOf(u.Path)
	var out []byte
	err := retry.Do(ctx, c.policy, func(ctx context.Context) error {
		if conv != "" {
			if err := c.limiter(conv).Wait(ctx); err != nil {
				return retry.Final(fmt.Errorf("waiting for the conversation's rate limit: %w", err))
			}
		}
		if before != nil {
			if err := before(); err != nil {
				return retry.Final(err)
			}
		}
		var err error
		out, err = c.do(ctx, method, u, payload)
		return err
	})
	return out, err
}

// do makes one HTTP request.
func (c *Client) do(ctx context.Context, method string, u url.URL, payload []byte) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, method, u.String(), bytes.NewReader(payload))
	if err != nil {
		return nil, retry.Final(fmt.Errorf("building a Bot Connector request: %w", err))
	}
	if payload != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	tok, err := c.tokens.token(ctx)
	if err != nil {
		err = fmt.Errorf("getting a Bot Framework token: %w", err)
		var re *oauth2.RetrieveError
		if errors.As(err, &re) && re.Response != nil && re.Response.StatusCode < 500 {
			err = retry.Final(err) // refused credentials: asking again will not help
		}
		return nil, err
	}
	tok.SetAuthHeader(req)
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("calling the Bot Connector: %w", err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode < 300 {
		return out, nil
	}
	se := retry.FromResponse("the Bot Connector", resp, c.now())
	switch resp.StatusCode {
	case http.StatusForbidden, http.StatusNotFound:
		return nil, fmt.Errorf("%w: %w", ErrGone, se)
	case http.StatusRequestEntityTooLarge:
		return nil, fmt.Errorf("%w: %w", ErrTooLarge, se)
	}
	return nil, se
}

// tokenSource caches the client-credentials token until shortly before it
// expires. One request serves many concurrent sends, and each waits only
// as long as its own context allows (oauth2.ReuseTokenSource would fetch
// under a context of its own).
type tokenSource struct {
	cfg  clientcredentials.Config
	http *http.Client
	turn chan struct{} // a lock that a waiter can give up on
	tok  *oauth2.Token
}

func (t *tokenSource) token(ctx context.Context) (*oauth2.Token, error) {
	select {
	case t.turn <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	defer func() { <-t.turn }()
	if t.tok.Valid() { // valid until 10 s before expiry
		return t.tok, nil
	}
	tok, err := t.cfg.Token(context.WithValue(ctx, oauth2.HTTPClient, t.http))
	if err != nil {
		return nil, err
	}
	t.tok = tok
	return tok, nil
}

// conversationOf extracts the conversation id from /v3/conversations/{id}/….
func conversationOf(path string) string {
	_, rest, ok := strings.Cut(path, "/conversations/")
	if !ok {
		return ""
	}
	id, _, _ := strings.Cut(rest, "/")
	return id
}

// ObserveRetries counts the Bot Connector's failed tries (metrics).
func (a *App) ObserveRetries(o retry.Observer) { a.client.ObserveRetries(o) }

// Ready reports whether the Bot Framework token can be had (serve's
// /readyz): without it nothing reaches Teams.
func (a *App) Ready(ctx context.Context) error {
	if _, err := a.client.tokens.token(ctx); err != nil {
		return fmt.Errorf("getting a Bot Framework token: %w", err)
	}
	return nil
}
