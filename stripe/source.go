// Package stripe feeds billing from Stripe into AccountBot: subscriptions
// give ARR by currency (recurring prices × quantity, annualised, in minor
// units), seats and the renewal date of annual plans; invoice.payment_failed
// is a risk signal; cancel_at_period_end a strong churn signal; upgrades and
// downgrades become ARR-history entries with their motion. The rules for
// all of that are in domain (billing.go); this package reads Stripe.
//
// Two ways in, on github.com/stripe/stripe-go (v85, the newest major the Go
// module proxy serves as of 2026-11):
//
//   - polling (Source, `accountbot sync stripe`): a first load lists
//     subscriptions (GET /v1/subscriptions?status=all, starting_after and
//     has_more), then GET /v1/events pages forward from the stored event id
//     (ending_before: Stripe returns the events just newer than it), so no
//     inbound port is needed. Stripe keeps events 30 days: a poller stopped
//     longer needs `sync stripe --full`.
//   - signed webhooks (Handler, POST /api/v1/stripe).
//
// Use one or the other: both at once apply each event twice, which the
// subscription rules absorb (older states are ignored) but a replayed
// payment failure would not.
//
// Customers are matched to accounts by an AccountBot account id in their
// metadata (key accountbot_id unless configured); customers without it, or
// naming no account, go to the review list.
package stripe

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"time"

	stripego "github.com/stripe/stripe-go/v85"

	"github.com/accountbot/accountbot/connector"
	"github.com/accountbot/accountbot/domain"
)

// Name is the polling source's name in `sync`; webhooks report as
// WebhookName.
const (
	Name        = "stripe"
	WebhookName = "stripe-webhook"
)

// Config is the `sync.stripe` section of the configuration file.
type Config struct {
	MetadataKey string `yaml:"metadata_key,omitempty"` // customer metadata holding the account id, default accountbot_id
}

func (c Config) key() string {
	if c.MetadataKey == "" {
		return "accountbot_id"
	}
	return c.MetadataKey
}

// Env is the connection read from the environment.
type Env struct {
	Key, BaseURL, WebhookSecret string
}

// EnvFrom reads STRIPE_API_KEY (a restricted read-only key is enough),
// STRIPE_API_URL (for proxies and tests) and STRIPE_WEBHOOK_SECRET.
func EnvFrom(getenv func(string) string) (Env, error) {
	e := Env{Key: strings.TrimSpace(getenv("STRIPE_API_KEY")), BaseURL: strings.TrimSpace(getenv("STRIPE_API_URL")),
		WebhookSecret: strings.TrimSpace(getenv("STRIPE_WEBHOOK_SECRET"))}
	if e.Key == "" {
		return e, domain.Errorf(domain.EINVALID, "Stripe is not configured: set STRIPE_API_KEY to a restricted key with read access to Customers, Subscriptions, Invoices and Events")
	}
	return e, nil
}

// NewAPI returns a stripe-go client on base ("" for api.stripe.com).
// Retries are stripe-go's own (it honours 429 and Stripe-Should-Retry).
func NewAPI(key, base string, hc *http.Client) *stripego.Client {
	cfg := &stripego.BackendConfig{HTTPClient: hc, LeveledLogger: &stripego.LeveledLogger{Level: stripego.LevelNull}}
	if base != "" {
		cfg.URL = stripego.String(strings.TrimRight(base, "/"))
	}
	return stripego.NewClient(key, stripego.WithBackends(stripego.NewBackendsWithConfig(cfg)))
}

// Source polls Stripe.
type Source struct {
	api       *stripego.Client
	cfg       Config
	now       func() time.Time
	customers map[string]*stripego.Customer // cache for one process
	PageSize  int64                         // list page size, default (and Stripe's maximum) 100
}

// NewSource returns the polling source.
func NewSource(api *stripego.Client, cfg Config, now func() time.Time) *Source {
	if now == nil {
		now = time.Now
	}
	return &Source{api: api, cfg: cfg, now: now, customers: map[string]*stripego.Customer{}}
}

// Name implements connector.Source.
func (s *Source) Name() string { return Name }

// cursor: a first load pages subscriptions (After), having noted the
// newest event (Last) to poll from afterwards; then events from Last.
type cursor struct {
	Phase string `json:"phase"` // "subscriptions" or "events"
	After string `json:"after,omitempty"`
	Last  string `json:"last_event,omitempty"`
	Noted bool   `json:"noted,omitempty"` // Last was read (it may be empty: no events yet)
	// NotedAt is Last's created time: listed states count as of then.
	NotedAt int64 `json:"noted_at,omitempty"`
	Since   int64 `json:"since,omitempty"` // the first load's start, for events when Last is empty
}

func (s *Source) limit() *int64 {
	if s.PageSize > 0 {
		return stripego.Int64(s.PageSize)
	}
	return stripego.Int64(100)
}

// Begin implements connector.Source.
func (s *Source) Begin(prev connector.Cursor, full bool, now time.Time) connector.Cursor {
	if prev != "" && !full {
		return prev
	}
	// Since leaves 5 minutes for clock skew between this host and Stripe.
	b, _ := json.Marshal(cursor{Phase: "subscriptions", Since: now.Add(-5 * time.Minute).Unix()})
	return connector.Cursor(b)
}

// Fetch implements connector.Source.
func (s *Source) Fetch(ctx context.Context, cur connector.Cursor) (connector.Page, error) {
	var c cursor
	if err := json.Unmarshal([]byte(cur), &c); err != nil || (c.Phase != "subscriptions" && c.Phase != "events") {
		return connector.Page{}, domain.Errorf(domain.EINVALID, "the stored Stripe cursor %q is unreadable; run `accountbot sync stripe --full`", string(cur))
	}
	if c.Phase == "subscriptions" {
		return s.fetchSubscriptions(ctx, c)
	}
	return s.fetchEvents(ctx, c)
}

func (s *Source) fetchSubscriptions(ctx context.Context, c cursor) (connector.Page, error) {
	if !c.Noted {
		p := &stripego.EventListParams{ListParams: stripego.ListParams{Limit: stripego.Int64(1), Single: true}}
		l := s.api.V1Events.List(ctx, p)
		if err := l.Err(); err != nil {
			return connector.Page{}, apiError("listing Stripe events", err)
		}
		if d := l.Data(); len(d) > 0 {
			c.Last, c.NotedAt = d[0].ID, d[0].Created
		}
		c.Noted = true
	}
	p := &stripego.SubscriptionListParams{Status: stripego.String("all"),
		ListParams: stripego.ListParams{Limit: s.limit(), Single: true}}
	p.AddExpand("data.customer")
	if c.After != "" {
		p.StartingAfter = stripego.String(c.After)
	}
	l := s.api.V1Subscriptions.List(ctx, p)
	if err := l.Err(); err != nil {
		return connector.Page{}, apiError("listing Stripe subscriptions", err)
	}
	var evs []change
	for _, sub := range l.Data() {
		c.After = sub.ID
		if sub.Customer == nil || sub.Customer.ID == "" {
			continue // Stripe always sets it; an object without one names no account
		}
		if sub.Customer.Metadata != nil {
			s.customers[sub.Customer.ID] = sub.Customer
		}
		// As of the newest event before the listing, on Stripe's clock:
		// events after it (even in the same second) still apply.
		evs = append(evs, change{customer: sub.Customer.ID, sub: sub, at: c.NotedAt, on: s.now().Unix()})
	}
	if !l.Meta().HasMore {
		c = cursor{Phase: "events", Last: c.Last, Since: c.Since}
	}
	recs, err := s.records(ctx, evs)
	if err != nil {
		return connector.Page{}, err
	}
	return connector.Page{Records: recs, Next: marshal(c), Done: false}, nil
}

func (s *Source) fetchEvents(ctx context.Context, c cursor) (connector.Page, error) {
	p := &stripego.EventListParams{ListParams: stripego.ListParams{Limit: s.limit(), Single: true}}
	if c.Last != "" {
		p.EndingBefore = stripego.String(c.Last) // the events just after Last, returned oldest first by stripe-go
	} else {
		p.CreatedRange = &stripego.RangeQueryParams{GreaterThanOrEqual: c.Since}
	}
	l := s.api.V1Events.List(ctx, p)
	if err := l.Err(); err != nil {
		return connector.Page{}, apiError("listing Stripe events", err)
	}
	evs := l.Data()
	if c.Last == "" { // newest first without a cursor: apply oldest first
		sort.SliceStable(evs, func(i, j int) bool { return evs[i].Created < evs[j].Created })
	}
	var changes []change
	var refused []connector.Record
	for _, ev := range evs {
		ch, ok, err := parseEvent(ev)
		if err != nil { // refused and reported; the events after it still apply
			refused = append(refused, connector.Record{ExternalID: "event:" + ev.ID, Err: err})
			continue
		}
		if ok {
			changes = append(changes, ch)
		}
	}
	if len(evs) > 0 {
		c.Last = evs[len(evs)-1].ID
	}
	recs, err := s.records(ctx, changes)
	if err != nil {
		return connector.Page{}, err
	}
	recs = append(recs, refused...)
	return connector.Page{Records: recs, Next: marshal(c), Done: !l.Meta().HasMore || c.Last == "" && len(evs) == 0}, nil
}

func marshal(c cursor) connector.Cursor {
	b, _ := json.Marshal(c)
	return connector.Cursor(b)
}

// apiError words a Stripe error for `sync status`.
func apiError(doing string, err error) error {
	if se, ok := err.(*stripego.Error); ok {
		switch se.HTTPStatusCode {
		case http.StatusUnauthorized:
			return domain.Errorf(domain.EINVALID, "%s: Stripe refused STRIPE_API_KEY (401): it is wrong or revoked", doing)
		case http.StatusForbidden:
			return domain.Errorf(domain.EINVALID, "%s: the Stripe key lacks a permission (403): give it read access to Customers, Subscriptions, Invoices and Events", doing)
		}
		return fmt.Errorf("%s: Stripe answered %d: %s", doing, se.HTTPStatusCode, se.Msg)
	}
	return fmt.Errorf("%s: %w", doing, err)
}
