// Package stripetest is a fake Stripe API for tests and the demo, speaking
// the documented shapes of GET /v1/events (newest first; limit,
// starting_after, ending_before, created[gte]; has_more), GET
// /v1/subscriptions (status=all, expand[]=data.customer) and GET
// /v1/customers/{id}, with bearer-key auth and Stripe's error envelope. It
// also builds signed webhook deliveries with stripe-go's test helper.
package stripetest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	stripego "github.com/stripe/stripe-go/v85"
	"github.com/stripe/stripe-go/v85/webhook"

	"github.com/accountbot/accountbot/internal/fakeapi"
)

// Obj is a JSON object in Stripe's wire format.
type Obj = map[string]any

// Fake is the fake API's state; lock Mu to change it while serving.
type Fake struct {
	fakeapi.Base
	Key       string
	Events    []Obj // oldest first
	Subs      []Obj // oldest first
	Customers map[string]Obj
	Now       time.Time // the created time of the next event (advances 1 s per event)
}

// New starts a fake on loopback; Close it when done.
func New(key string, now time.Time) *Fake {
	f := &Fake{Key: key, Customers: map[string]Obj{}, Now: now}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/events", f.events)
	mux.HandleFunc("GET /v1/subscriptions", f.subscriptions)
	mux.HandleFunc("GET /v1/customers/{id}", f.customer)
	f.Start(mux, func(r *http.Request) bool { return r.Header.Get("Authorization") == "Bearer "+f.Key }, func(w http.ResponseWriter) {
		stripeError(w, http.StatusUnauthorized, "invalid_request_error", "Invalid API Key provided")
	})
	return f
}

// Customer adds a customer whose metadata names account (none when "").
func (f *Fake) Customer(id, name, account string) {
	f.Mu.Lock()
	defer f.Mu.Unlock()
	md := Obj{}
	if account != "" {
		md["accountbot_id"] = account
	}
	f.Customers[id] = Obj{"id": id, "object": "customer", "name": name, "email": nil, "metadata": md, "livemode": false}
}

// Item is one recurring price line of a subscription.
type Item struct {
	Price, Product string
	Amount, Qty    int64 // unit amount in minor units, quantity
	Currency       string
	Interval       string
}

// Subscription builds a subscription object as API version 2026 sends it
// (the period end on each item).
func Subscription(id, customer, status string, cancel bool, start, periodEnd time.Time, items ...Item) Obj {
	data := make([]any, len(items))
	for i, it := range items {
		data[i] = Obj{"id": fmt.Sprintf("si_%s_%d", id, i), "object": "subscription_item", "quantity": it.Qty,
			"current_period_start": start.Unix(), "current_period_end": periodEnd.Unix(),
			"price": Obj{"id": it.Price, "object": "price", "currency": strings.ToLower(it.Currency), "unit_amount": it.Amount,
				"product": it.Product, "billing_scheme": "per_unit", "type": "recurring",
				"recurring": Obj{"interval": it.Interval, "interval_count": 1, "usage_type": "licensed"}}}
	}
	return Obj{"id": id, "object": "subscription", "customer": customer, "status": status, "cancel_at_period_end": cancel,
		"start_date": start.Unix(), "created": start.Unix(), "metadata": Obj{},
		"items": Obj{"object": "list", "data": data, "has_more": false, "url": "/v1/subscription_items?subscription=" + id}}
}

// Invoice builds an invoice object.
func Invoice(id, customer, status string) Obj {
	return Obj{"id": id, "object": "invoice", "customer": customer, "status": status, "currency": "usd", "amount_due": 10000}
}

// SetSubscription stores the current state of a subscription (for the
// subscriptions list), replacing an earlier one.
func (f *Fake) SetSubscription(s Obj) {
	f.Mu.Lock()
	defer f.Mu.Unlock()
	for i, o := range f.Subs {
		if o["id"] == s["id"] {
			f.Subs[i] = s
			return
		}
	}
	f.Subs = append(f.Subs, s)
}

// Event records an event of type typ about obj and returns it as Stripe
// sends it (in the list and in webhooks).
func (f *Fake) Event(typ string, obj Obj) Obj {
	f.Mu.Lock()
	defer f.Mu.Unlock()
	f.Now = f.Now.Add(time.Second)
	ev := Obj{"id": "evt_" + strconv.Itoa(len(f.Events)+1), "object": "event", "api_version": stripego.APIVersion,
		"created": f.Now.Unix(), "type": typ, "livemode": false, "pending_webhooks": 1,
		"data": Obj{"object": obj}, "request": Obj{"id": nil, "idempotency_key": nil}}
	f.Events = append(f.Events, ev)
	return ev
}

// Signed returns ev's body and a Stripe-Signature header for it, signed
// with secret at ts by stripe-go's webhook.GenerateTestSignedPayload.
func Signed(ev Obj, secret string, ts time.Time) ([]byte, string) {
	body, _ := json.Marshal(ev)
	return SignedBytes(body, secret, ts)
}

// SignedBytes signs any body (a malformed one, for tests).
func SignedBytes(body []byte, secret string, ts time.Time) ([]byte, string) {
	p := webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: body, Secret: secret, Timestamp: ts})
	return p.Payload, p.Header
}

func stripeError(w http.ResponseWriter, code int, typ, msg string) {
	fakeapi.JSON(w, code, Obj{"error": Obj{"type": typ, "message": msg}})
}

// page lists items (oldest first) as Stripe does: newest first, limit,
// starting_after (older than), ending_before (the newer ones closest to it).
func page(w http.ResponseWriter, r *http.Request, items []Obj, url string) {
	q := r.URL.Query()
	limit := 10
	if l, err := strconv.Atoi(q.Get("limit")); err == nil && l >= 1 && l <= 100 {
		limit = l
	}
	if v := q.Get("created[gte]"); v != "" {
		gte, _ := strconv.ParseInt(v, 10, 64)
		var kept []Obj
		for _, it := range items {
			if toInt(it["created"]) >= gte {
				kept = append(kept, it)
			}
		}
		items = kept
	}
	idx := func(id string) int {
		for i, it := range items {
			if it["id"] == id {
				return i
			}
		}
		return -1
	}
	var data []Obj
	more := false
	switch {
	case q.Get("ending_before") != "":
		i := idx(q.Get("ending_before"))
		if i < 0 {
			stripeError(w, http.StatusBadRequest, "invalid_request_error", "No such object: '"+q.Get("ending_before")+"'")
			return
		}
		newer := items[i+1:]
		n := min(limit, len(newer))
		more = len(newer) > n
		for k := n - 1; k >= 0; k-- {
			data = append(data, newer[k])
		}
	default:
		end := len(items)
		if sa := q.Get("starting_after"); sa != "" {
			if end = idx(sa); end < 0 {
				stripeError(w, http.StatusBadRequest, "invalid_request_error", "No such object: '"+sa+"'")
				return
			}
		}
		for k := end - 1; k >= 0 && len(data) < limit; k-- {
			data = append(data, items[k])
		}
		more = end-len(data) > 0
	}
	if data == nil {
		data = []Obj{}
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(Obj{"object": "list", "url": url, "has_more": more, "data": data})
}

func toInt(v any) int64 {
	switch n := v.(type) {
	case int64:
		return n
	case float64:
		return int64(n)
	case int:
		return int64(n)
	}
	return 0
}

func (f *Fake) events(w http.ResponseWriter, r *http.Request) {
	f.Mu.Lock()
	defer f.Mu.Unlock()
	page(w, r, f.Events, "/v1/events")
}

func (f *Fake) subscriptions(w http.ResponseWriter, r *http.Request) {
	f.Mu.Lock()
	defer f.Mu.Unlock()
	items := f.Subs
	if r.URL.Query().Get("expand[]") == "data.customer" || r.URL.Query().Get("expand[0]") == "data.customer" {
		items = make([]Obj, len(f.Subs))
		for i, s := range f.Subs {
			c := Obj{}
			for k, v := range s {
				c[k] = v
			}
			if cus, ok := f.Customers[s["customer"].(string)]; ok {
				c["customer"] = cus
			}
			items[i] = c
		}
	}
	page(w, r, items, "/v1/subscriptions")
}

func (f *Fake) customer(w http.ResponseWriter, r *http.Request) {
	f.Mu.Lock()
	defer f.Mu.Unlock()
	c, ok := f.Customers[r.PathValue("id")]
	if !ok {
		stripeError(w, http.StatusNotFound, "invalid_request_error", "No such customer: '"+r.PathValue("id")+"'")
		return
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(c)
}
