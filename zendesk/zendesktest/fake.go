// Package zendesktest is a fake Zendesk for tests and the demo: the
// cursor-based incremental ticket export and organizations/show_many, in
// Zendesk's documented JSON shapes, with API-token basic auth, a page size,
// and injectable 429s.
package zendesktest

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/accountbot/accountbot/internal/fakeapi"
)

// Ticket is a ticket as the export returns it.
type Ticket struct {
	ID             int64     `json:"id"`
	Subject        string    `json:"subject"`
	Status         string    `json:"status"`
	Priority       *string   `json:"priority"`
	OrganizationID *int64    `json:"organization_id"`
	CreatedAt      time.Time `json:"created_at"`
	UpdatedAt      time.Time `json:"updated_at"`
}

// Org is an organization as show_many returns it.
type Org struct {
	ID         int64          `json:"id"`
	Name       string         `json:"name"`
	ExternalID *string        `json:"external_id"`
	Fields     map[string]any `json:"organization_fields"`
}

// Fake is the fake server's state; lock Mu to change it while serving.
type Fake struct {
	fakeapi.Base
	Email    string
	Token    string
	PageSize int
	Tickets  []Ticket // the change log in updated_at order: every update appends the ticket again
	Orgs     map[int64]Org
	// Throttle answers the next N export requests with 429 and
	// Retry-After: RetryAfter seconds.
	Throttle   int
	RetryAfter int
}

// New starts a fake on loopback; Close it when done.
func New(email, token string) *Fake {
	f := &Fake{Email: email, Token: token, PageSize: 100, Orgs: map[int64]Org{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v2/incremental/tickets/cursor.json", f.export)
	mux.HandleFunc("GET /api/v2/organizations/show_many.json", f.showMany)
	f.Start(mux, func(r *http.Request) bool {
		u, p, ok := r.BasicAuth()
		return ok && u == f.Email+"/token" && p == f.Token
	}, func(w http.ResponseWriter) {
		fakeapi.JSON(w, http.StatusUnauthorized, map[string]string{"error": "Couldn't authenticate you"})
	})
	return f
}

// Add appends a ticket (a new one or a new state of an existing one).
func (f *Fake) Add(t Ticket) {
	f.Mu.Lock()
	defer f.Mu.Unlock()
	f.Tickets = append(f.Tickets, t)
}

// export serves the cursor export. The cursor encodes the position in the
// change log; start_time starts at the first change at or after it.
// Like Zendesk, the last page still carries an after_cursor to poll from.
func (f *Fake) export(w http.ResponseWriter, r *http.Request) {
	f.Mu.Lock()
	defer f.Mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	if f.Throttle > 0 {
		f.Throttle--
		w.Header().Set("Retry-After", strconv.Itoa(f.RetryAfter))
		w.WriteHeader(http.StatusTooManyRequests)
		w.Write([]byte(`{"error":"APIRateLimitExceeded","description":"Number of allowed incremental export API requests per minute exceeded"}`))
		return
	}
	pos := 0
	if c := r.URL.Query().Get("cursor"); c != "" {
		b, err := base64.RawURLEncoding.DecodeString(c)
		n, err2 := strconv.Atoi(strings.TrimPrefix(string(b), "pos:"))
		if err != nil || err2 != nil || n < 0 || n > len(f.Tickets) {
			w.WriteHeader(http.StatusBadRequest)
			w.Write([]byte(`{"error":"InvalidPaginationParameter","description":"cursor is invalid"}`))
			return
		}
		pos = n
	} else {
		st, err := strconv.ParseInt(r.URL.Query().Get("start_time"), 10, 64)
		if err != nil {
			w.WriteHeader(http.StatusBadRequest)
			w.Write([]byte(`{"error":"InvalidValue","description":"start_time is required"}`))
			return
		}
		for pos < len(f.Tickets) && f.Tickets[pos].UpdatedAt.Unix() < st {
			pos++
		}
	}
	end := min(pos+f.PageSize, len(f.Tickets))
	page := f.Tickets[pos:end]
	if page == nil {
		page = []Ticket{}
	}
	after := base64.RawURLEncoding.EncodeToString([]byte("pos:" + strconv.Itoa(end)))
	json.NewEncoder(w).Encode(map[string]any{
		"tickets":       page,
		"after_cursor":  after,
		"after_url":     f.Server.URL + "/api/v2/incremental/tickets/cursor.json?cursor=" + after,
		"before_cursor": nil,
		"before_url":    nil,
		"end_of_stream": end == len(f.Tickets),
	})
}

func (f *Fake) showMany(w http.ResponseWriter, r *http.Request) {
	f.Mu.Lock()
	defer f.Mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	out := []Org{}
	for _, s := range strings.Split(r.URL.Query().Get("ids"), ",") {
		id, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			w.WriteHeader(http.StatusBadRequest)
			w.Write([]byte(`{"error":"InvalidValue","description":"ids must be numbers"}`))
			return
		}
		if o, ok := f.Orgs[id]; ok {
			out = append(out, o)
		}
	}
	json.NewEncoder(w).Encode(map[string]any{"organizations": out, "next_page": nil, "previous_page": nil, "count": len(out)})
}

// Str and ID are helpers for the optional fields.
func Str(s string) *string { return &s }

// ID returns a pointer to id.
func ID(id int64) *int64 { return &id }
