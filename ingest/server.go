// Package ingest is AccountBot's HTTP ingest API, served by `serve` on the
// same listener as Slack and Teams: typed JSON endpoints for accounts,
// usage, signals, stakeholders and ARR (the records `import` reads), and a
// Segment Webhooks (Actions) receiver. The OpenAPI 3.1 document is
// openapi.json, served at /api/v1/openapi.json.
package ingest

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"math"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/accountbot/accountbot/domain"
	"github.com/accountbot/accountbot/storage"
)

// Store is what the API needs from the store.
type Store interface {
	Apply(ctx context.Context, patches []domain.Patch) (domain.ApplyStats, error)
	Account(ctx context.Context, id string) (*domain.Account, error)
	HasAccount(ctx context.Context, id string) (bool, error)
	Token(ctx context.Context, id string) (storage.Token, error)
	Idempotent(ctx context.Context, token, key string) ([]byte, bool, error)
	PutIdempotent(ctx context.Context, token, key string, answer []byte, ttl time.Duration) error
	Unmatched(ctx context.Context) ([]domain.UnmatchedRecord, error)
	SegmentStore
}

// Server serves the API. Create it with New.
type Server struct {
	store   Store
	cfg     Config
	seg     SegmentConfig
	log     *slog.Logger
	now     func() time.Time
	changed func(ctx context.Context, ids []string) // after accounts changed

	mu       sync.Mutex
	limiters map[string]*rate.Limiter
	inflight map[string]bool // idempotency keys being answered
	wake     chan struct{}   // tells the Segment worker its inbox grew
}

// Options wires a Server.
type Options struct {
	Config  Config
	Segment SegmentConfig
	Log     *slog.Logger
	Now     func() time.Time
	// Changed is called with the ids of accounts the API or the Segment
	// worker wrote (for score snapshots); may be nil.
	Changed func(ctx context.Context, ids []string)
}

// New returns a Server over the store.
func New(store Store, opt Options) *Server {
	if opt.Log == nil {
		opt.Log = slog.New(slog.DiscardHandler)
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.Changed == nil {
		opt.Changed = func(context.Context, []string) {}
	}
	return &Server{store: store, cfg: opt.Config, seg: opt.Segment, log: opt.Log, now: opt.Now, changed: opt.Changed,
		limiters: map[string]*rate.Limiter{}, inflight: map[string]bool{}, wake: make(chan struct{}, 1)}
}

// route is one endpoint: the OpenAPI test checks this table against the document.
type route struct {
	method, path, scope string // scope "": no token (signed or public)
	h                   http.HandlerFunc
}

func (s *Server) routes() []route {
	return []route{
		{"POST", "/api/v1/accounts", ScopeIngest, s.records("accounts")},
		{"POST", "/api/v1/usage", ScopeIngest, s.records("usage")},
		{"POST", "/api/v1/signals", ScopeIngest, s.records("signals")},
		{"POST", "/api/v1/stakeholders", ScopeIngest, s.records("stakeholders")},
		{"POST", "/api/v1/arr", ScopeIngest, s.records("arr")},
		{"GET", "/api/v1/unmatched", ScopeRead, s.serveUnmatched},
		{"POST", "/api/v1/segment", "", s.serveSegment},
		{"GET", "/api/v1/openapi.json", "", serveOpenAPI},
	}
}

// Routes mounts every endpoint on mux.
func (s *Server) Routes(mux *http.ServeMux) {
	for _, r := range s.routes() {
		h := r.h
		if r.scope != "" {
			h = s.authorize(r.scope, h)
		}
		mux.Handle(r.method+" "+r.path, h)
	}
	// Anything else under /api/v1/ gets a typed answer too, not the mux's
	// plain-text 404 or 405.
	mux.HandleFunc("/api/v1/", func(w http.ResponseWriter, r *http.Request) {
		var allow []string
		for _, rt := range s.routes() {
			if rt.path == r.URL.Path {
				allow = append(allow, rt.method)
			}
		}
		if len(allow) > 0 {
			w.Header().Set("Allow", strings.Join(allow, ", "))
			writeError(w, http.StatusMethodNotAllowed, "method_not_allowed", r.URL.Path+" answers "+strings.Join(allow, ", ")+"; see /api/v1/openapi.json")
			return
		}
		writeError(w, http.StatusNotFound, "not_found", "no endpoint "+r.URL.Path+"; see /api/v1/openapi.json")
	})
}

// ErrorBody is every error answer.
type ErrorBody struct {
	Error ErrorDetail `json:"error"`
}

// ErrorDetail says what went wrong and how to fix it.
type ErrorDetail struct {
	Code    string        `json:"code"`
	Message string        `json:"message"`
	Errors  []RecordError `json:"errors,omitempty"`
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, ErrorBody{Error: ErrorDetail{Code: code, Message: msg}})
}

// internalError logs the cause and answers without it.
func (s *Server) internalError(w http.ResponseWriter, what string, err error) {
	s.log.Error("ingest: "+what, "err", err)
	if c := domain.ErrorCode(err); c == domain.EINVALID || c == domain.ECONFLICT {
		writeError(w, http.StatusUnprocessableEntity, "invalid", domain.ErrorMessage(err))
		return
	}
	writeError(w, http.StatusInternalServerError, "internal", "the request could not be stored; nothing was changed, retry later")
}

// readBody reads at most limit bytes, answering 413 above it.
func readBody(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, bool) {
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		writeError(w, http.StatusRequestEntityTooLarge, "too_large", "the request body is larger than the "+limitText(limit)+" limit; split it into smaller requests")
		return nil, false
	case err != nil:
		writeError(w, http.StatusBadRequest, "malformed", "the request body could not be read")
		return nil, false
	}
	return b, true
}

// limiter returns the token's rate limiter.
func (s *Server) limiter(token string) *rate.Limiter {
	s.mu.Lock()
	defer s.mu.Unlock()
	l, ok := s.limiters[token]
	if !ok {
		l = rate.NewLimiter(rate.Limit(s.cfg.RatePerSecond), s.cfg.Burst)
		s.limiters[token] = l
	}
	return l
}

// allow takes one request from the token's budget, or answers 429 with
// the seconds until one is available.
func (s *Server) allow(w http.ResponseWriter, token string) bool {
	l := s.limiter(token)
	res := l.ReserveN(s.now(), 1)
	d := res.DelayFrom(s.now())
	if d == 0 {
		return true
	}
	res.CancelAt(s.now())
	secs := int(math.Ceil(d.Seconds()))
	w.Header().Set("Retry-After", strconv.Itoa(max(secs, 1)))
	writeError(w, http.StatusTooManyRequests, "rate_limited", "too many requests for this token (limit "+strconv.FormatFloat(s.cfg.RatePerSecond, 'g', -1, 64)+"/s); retry after the Retry-After header's seconds")
	return false
}

func (s *Server) serveUnmatched(w http.ResponseWriter, r *http.Request) {
	recs, err := s.store.Unmatched(r.Context())
	if err != nil {
		s.internalError(w, "reading the review list", err)
		return
	}
	if recs == nil {
		recs = []domain.UnmatchedRecord{}
	}
	writeJSON(w, http.StatusOK, UnmatchedAnswer{Unmatched: recs})
}

// UnmatchedAnswer is the review list.
type UnmatchedAnswer struct {
	Unmatched []domain.UnmatchedRecord `json:"unmatched"`
}
