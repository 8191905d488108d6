package teams

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/infracloudio/msbotbuilder-go/schema"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
	"golang.org/x/time/rate"
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

// Client sends activities to the Bot Connector (client.Client).
type Client struct {
	http    *http.Client // carries the bearer token
	retries int
	backoff time.Duration

	mu       sync.Mutex
	limiters map[string]*rate.Limiter
}

// ClientConfig configures the connector client.
type ClientConfig struct {
	AppID, AppPassword string
	TokenURL           string // default the public cloud's; a tenant's for single-tenant bots
	Timeout            time.Duration
	Retries            int
	Backoff            time.Duration
	Base               *http.Client // transport for token and API calls (tests)
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
	base := c.Base
	if base == nil {
		base = &http.Client{Timeout: c.Timeout}
	}
	cc := clientcredentials.Config{ClientID: c.AppID, ClientSecret: c.AppPassword, TokenURL: c.TokenURL, Scopes: []string{TokenScope}}
	ctx := context.WithValue(context.Background(), oauth2.HTTPClient, base)
	hc := oauth2.NewClient(ctx, cc.TokenSource(ctx))
	hc.Timeout = c.Timeout
	return &Client{http: hc, retries: c.Retries, backoff: c.Backoff, limiters: map[string]*rate.Limiter{}}
}

// Post implements client.Client. The library builds reply URLs without the
// reply-to id; replies are sent to /activities/{replyToId} as the
// connector expects.
func (c *Client) Post(u url.URL, act schema.Activity) error {
	if act.ReplyToID != "" && strings.HasSuffix(u.Path, "/activities") {
		u.Path += "/" + url.PathEscape(act.ReplyToID)
	}
	_, err := c.Send(context.Background(), http.MethodPost, u, act)
	return err
}

// Put implements client.Client.
func (c *Client) Put(u url.URL, act schema.Activity) error {
	_, err := c.Send(context.Background(), http.MethodPut, u, act)
	return err
}

// Delete implements client.Client.
func (c *Client) Delete(u url.URL, act schema.Activity) error {
	_, err := c.Send(context.Background(), http.MethodDelete, u, nil)
	return err
}

// limiter paces one conversation within Teams' limits (7/s, 8 per 2 s,
// 60 per 30 s): 2 a second sustained with bursts of 7.
func (c *Client) limiter(conv string) *rate.Limiter {
	c.mu.Lock()
	defer c.mu.Unlock()
	l, ok := c.limiters[conv]
	if !ok {
		l = rate.NewLimiter(2, 7)
		c.limiters[conv] = l
	}
	return l
}

// Send makes one connector call with rate limiting and retries: 429, 412,
// 502, 503 and 504 back off exponentially with jitter (honouring
// Retry-After); 400, 401, 403, 404 and 413 are final.
func (c *Client) Send(ctx context.Context, method string, u url.URL, body any) ([]byte, error) {
	var payload []byte
	if body != nil {
		var err error
		if payload, err = json.Marshal(body); err != nil {
			return nil, fmt.Errorf("encoding activity: %w", err)
		}
	}
	if conv := conversationOf(u.Path); conv != "" {
		if err := c.limiter(conv).Wait(ctx); err != nil {
			return nil, err
		}
	}
	wait := c.backoff
	for attempt := 0; ; attempt++ {
		req, err := http.NewRequestWithContext(ctx, method, u.String(), bytes.NewReader(payload))
		if err != nil {
			return nil, err
		}
		if payload != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		resp, err := c.http.Do(req)
		if err != nil {
			if attempt >= c.retries || ctx.Err() != nil {
				return nil, fmt.Errorf("calling the Bot Connector: %w", err)
			}
		} else {
			out, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
			resp.Body.Close()
			switch s := resp.StatusCode; {
			case s < 300:
				return out, nil
			case s == 403 || s == 404:
				return nil, fmt.Errorf("%w (%s)", ErrGone, resp.Status)
			case s == 413:
				return nil, ErrTooLarge
			case s == 429 || s == 412 || s == 502 || s == 503 || s == 504 || s == 500:
				if attempt >= c.retries {
					return nil, fmt.Errorf("the Bot Connector answered %s", resp.Status)
				}
				if ra := retryAfter(resp.Header.Get("Retry-After")); ra > wait {
					wait = ra
				}
			default:
				return nil, fmt.Errorf("the Bot Connector answered %s", resp.Status)
			}
		}
		jitter := time.Duration(rand.Int64N(int64(wait)/2 + 1))
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(wait + jitter):
		}
		wait = min(wait*2, 30*time.Second)
	}
}

func retryAfter(h string) time.Duration {
	var s int
	if _, err := fmt.Sscanf(h, "%d", &s); err != nil || s < 0 {
		return 0
	}
	return min(time.Duration(s)*time.Second, time.Minute)
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
