package stripe

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/stripe/stripe-go/v85/webhook"

	"github.com/accountbot/accountbot/connector"
)

// Tolerance is how old a signed delivery may be (Stripe's default): an
// older one is refused, so a captured request cannot be replayed later.
const Tolerance = 300 * time.Second

// ReplayTTL is how long an applied event id is remembered: beyond Stripe's
// three days of redeliveries and its 30 days of events.
const ReplayTTL = 45 * 24 * time.Hour

// Replays remembers applied event ids (storage.DB's inbound-event table).
type Replays interface {
	EventSeen(ctx context.Context, platform, id string) (bool, error)
	FirstSeen(ctx context.Context, platform, id string, ttl time.Duration) (bool, error)
}

// Handler receives Stripe's signed webhooks (POST /api/v1/stripe). A
// delivery is verified with Stripe-Signature (HMAC-SHA256 of
// "timestamp.body" with the endpoint's secret, 300 s tolerance), applied
// like one polled page (status under "stripe-webhook" in `sync status`),
// and its event id remembered only after it applied, so a failure is
// retried by Stripe and a replay changes nothing.
type Handler struct {
	Secret  string            // STRIPE_WEBHOOK_SECRET (whsec_…)
	Source  *Source           // reads customers' metadata
	Runner  *connector.Runner // its Store matches account ids (connector.AccountIDs)
	Replays Replays
	Log     *slog.Logger
	mu      sync.Mutex // one event at a time: each rewrites an account record
}

// maxBody bounds a delivery; Stripe's events are a few KB.
const maxBody = 1 << 20

type reply struct {
	Status  string `json:"status"` // applied, duplicate, ignored, error
	Event   string `json:"event,omitempty"`
	Changed int    `json:"changed,omitempty"`
	Review  int    `json:"unmatched,omitempty"`
	Error   string `json:"error,omitempty"`
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		write(w, http.StatusMethodNotAllowed, reply{Status: "error", Error: "POST only"})
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil || len(body) > maxBody {
		write(w, http.StatusRequestEntityTooLarge, reply{Status: "error", Error: "body unreadable or over 1 MB"})
		return
	}
	// stripe-go's ConstructEvent with the API-version check off: the event
	// objects are read field by field, and an endpoint pinned to another
	// API version must not be refused for that alone.
	ev, err := webhook.ConstructEventWithOptions(body, r.Header.Get("Stripe-Signature"), h.Secret,
		webhook.ConstructEventOptions{Tolerance: Tolerance, IgnoreAPIVersionMismatch: true})
	if err != nil {
		msg := "malformed event"
		switch {
		case errors.Is(err, webhook.ErrNotSigned):
			msg = "no Stripe-Signature header"
		case errors.Is(err, webhook.ErrInvalidHeader), errors.Is(err, webhook.ErrNoValidSignature):
			msg = "signature does not verify: check STRIPE_WEBHOOK_SECRET is this endpoint's signing secret"
		case errors.Is(err, webhook.ErrTooOld):
			msg = "timestamp outside the 300-second tolerance (replayed, or the clock is off)"
		}
		h.logf("stripe webhook refused", "reason", msg)
		write(w, http.StatusBadRequest, reply{Status: "error", Error: msg})
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	ctx := r.Context()
	if seen, err := h.Replays.EventSeen(ctx, Name, ev.ID); err != nil {
		write(w, http.StatusInternalServerError, reply{Status: "error", Event: ev.ID, Error: "could not check the event id"})
		return
	} else if seen {
		write(w, http.StatusOK, reply{Status: "duplicate", Event: ev.ID})
		return
	}
	ch, ok, err := parseEvent(&ev)
	if err != nil {
		write(w, http.StatusBadRequest, reply{Status: "error", Event: ev.ID, Error: err.Error()})
		return
	}
	if !ok {
		write(w, http.StatusOK, reply{Status: "ignored", Event: ev.ID})
		return
	}
	recs, err := h.Source.records(ctx, []change{ch})
	if err != nil {
		h.logf("stripe webhook", "event", ev.ID, "err", err)
		write(w, http.StatusBadGateway, reply{Status: "error", Event: ev.ID, Error: "could not read the customer; Stripe will retry"})
		return
	}
	rep, err := h.Runner.Run(ctx, onePage{recs}, connector.Options{})
	if err != nil {
		h.logf("stripe webhook", "event", ev.ID, "err", err)
		write(w, http.StatusInternalServerError, reply{Status: "error", Event: ev.ID, Error: "not applied; Stripe will retry"})
		return
	}
	if _, err := h.Replays.FirstSeen(context.WithoutCancel(ctx), Name, ev.ID, ReplayTTL); err != nil {
		h.logf("stripe webhook: remembering the event id", "event", ev.ID, "err", err)
	}
	write(w, http.StatusOK, reply{Status: "applied", Event: ev.ID, Changed: rep.Status.Changed, Review: rep.Status.Unmatched})
}

func (h *Handler) logf(msg string, args ...any) {
	if h.Log != nil {
		h.Log.Warn(msg, args...)
	}
}

func write(w http.ResponseWriter, code int, r reply) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(r)
}

// onePage is a webhook's event as a one-page source; it keeps whatever
// cursor the webhook source has (none).
type onePage struct{ recs []connector.Record }

func (onePage) Name() string { return WebhookName }
func (onePage) Begin(prev connector.Cursor, _ bool, _ time.Time) connector.Cursor {
	return prev
}
func (p onePage) Fetch(_ context.Context, cur connector.Cursor) (connector.Page, error) {
	return connector.Page{Records: p.recs, Next: cur, Done: true}, nil
}
