package ingest

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/accountbot/accountbot/domain"
	"github.com/accountbot/accountbot/storage"
)

// SegmentStore is what the Segment receiver and its worker need.
type SegmentStore interface {
	AcceptSegment(ctx context.Context, events []storage.SegmentIn) (accepted, duplicates int, err error)
	SegmentInbox(ctx context.Context, limit int) ([]storage.InboxItem, error)
	SegmentUserAccount(ctx context.Context, userID string) (string, bool, error)
	ApplySegment(ctx context.Context, effects []storage.SegmentEffect, now time.Time) error
	ResolveAccount(ctx context.Context, source, ref string) (string, error)
}

// segmentEvent is the part of a Segment Spec event (track, identify,
// group) AccountBot reads; the rest stays in the raw event.
type segmentEvent struct {
	Type       string         `json:"type"`
	MessageID  string         `json:"messageId"`
	UserID     string         `json:"userId"`
	GroupID    string         `json:"groupId"`
	Event      string         `json:"event"`
	Timestamp  string         `json:"timestamp"`
	Traits     map[string]any `json:"traits"`
	Properties map[string]any `json:"properties"`
	Context    map[string]any `json:"context"`
}

// SegmentAnswer acknowledges a delivery.
type SegmentAnswer struct {
	Accepted   int `json:"accepted"`   // new events stored, to be applied shortly
	Duplicates int `json:"duplicates"` // messageIds seen before: ignored
	Ignored    int `json:"ignored"`    // types AccountBot does not use (page, screen, alias)
}

// segmentTypes are the event types AccountBot stores and applies.
var segmentTypes = []string{"track", "identify", "group"}

// serveSegment receives Segment's Webhooks (Actions) destination. It only
// checks, de-duplicates and stores the raw events (durably) before
// answering, to stay well inside Segment's ~5 s timeout; the worker
// applies them.
func (s *Server) serveSegment(w http.ResponseWriter, r *http.Request) {
	// The body is capped before it is hashed: an unsigned client cannot
	// make the server hash gigabytes.
	body, ok := readBody(w, r, s.seg.MaxBodyBytes)
	if !ok {
		return
	}
	if !s.segmentSigned(body, r.Header.Get("X-Signature")) {
		writeError(w, http.StatusUnauthorized, "unauthorized", "signature check failed")
		return
	}
	events, ignored, msg := parseSegment(body)
	if msg != "" {
		writeError(w, http.StatusBadRequest, "malformed", msg)
		return
	}
	acc, dup := 0, 0
	if len(events) > 0 {
		var err error
		if acc, dup, err = s.store.AcceptSegment(r.Context(), events); err != nil {
			s.internalError(w, "storing Segment events", err) // 500: Segment retries
			return
		}
		select {
		case s.wake <- struct{}{}:
		default:
		}
	}
	writeJSON(w, http.StatusOK, SegmentAnswer{Accepted: acc, Duplicates: dup, Ignored: ignored})
}

// segmentSigned checks X-Signature: the hex HMAC-SHA1 of the raw body with
// the shared secret, compared in constant time. No secret refuses all.
func (s *Server) segmentSigned(body []byte, sig string) bool {
	if s.seg.SharedSecret == "" {
		s.log.Warn("ingest: a Segment request arrived but no shared secret is configured (ACCOUNTBOT_SEGMENT_SECRET or segment.shared_secret)")
		return false
	}
	got, err := hex.DecodeString(strings.TrimSpace(sig))
	if err != nil {
		return false
	}
	mac := hmac.New(sha1.New, []byte(s.seg.SharedSecret))
	mac.Write(body)
	return hmac.Equal(mac.Sum(nil), got)
}

// parseSegment reads one event or an array of events. Every stored event
// needs a type and a messageId; any broken event refuses the whole body so
// that Segment's retry (after the sender is fixed) is not half-applied.
func parseSegment(body []byte) (events []storage.SegmentIn, ignored int, msg string) {
	t := bytes.TrimSpace(body)
	var raws []json.RawMessage
	switch {
	case len(t) > 0 && t[0] == '[':
		if err := json.Unmarshal(t, &raws); err != nil {
			return nil, 0, "the body is not a JSON event or array of events"
		}
	case len(t) > 0 && t[0] == '{':
		raws = []json.RawMessage{t}
	default:
		return nil, 0, "the body is not a JSON event or array of events"
	}
	for i, raw := range raws {
		var e segmentEvent
		if err := json.Unmarshal(raw, &e); err != nil {
			return nil, 0, "event " + itoa(i) + " is not a Segment event: " + strings.TrimPrefix(err.Error(), "json: ")
		}
		if e.Type == "" || e.MessageID == "" || len(e.MessageID) > 256 {
			return nil, 0, "event " + itoa(i) + " needs a type and a messageId (at most 256 characters); send Segment's whole event as the webhook's data"
		}
		if !slices.Contains(segmentTypes, e.Type) {
			ignored++
			continue
		}
		events = append(events, storage.SegmentIn{MessageID: e.MessageID, Raw: raw})
	}
	return events, ignored, ""
}

func itoa(i int) string {
	b, _ := json.Marshal(i)
	return string(b)
}

// path returns the string (or number) at a dotted path in an event.
func path(ev map[string]any, p string) string {
	var cur any = ev
	for part := range strings.SplitSeq(p, ".") {
		m, ok := cur.(map[string]any)
		if !ok {
			return ""
		}
		cur = m[part]
	}
	switch v := cur.(type) {
	case string:
		return strings.TrimSpace(v)
	case float64:
		b, _ := json.Marshal(v)
		return string(b)
	}
	return ""
}

// eventDate is the UTC day of the event's timestamp (or of now).
func eventDate(ts string, now time.Time) domain.Date {
	if t, err := time.Parse(time.RFC3339Nano, ts); err == nil {
		return domain.DateOf(t.UTC())
	}
	return domain.DateOf(now.UTC())
}
