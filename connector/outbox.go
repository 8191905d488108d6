package connector

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"strconv"
	"time"

	"github.com/accountbot/accountbot/domain"
	"github.com/accountbot/accountbot/internal/retry"
)

// Write kinds.
const (
	WriteNote       = "note"       // an outcome or note from chat, as a CRM note/task
	WriteProperties = "properties" // scores written to named CRM fields
)

// Write is one pending write-back. ID is stable across retries: it is
// what makes a delivery idempotent (a delivered ID is never sent again).
type Write struct {
	ID          string            `json:"id"`
	Source      string            `json:"source"`
	Kind        string            `json:"kind"`
	AccountID   string            `json:"account_id"`
	ExternalID  string            `json:"external_id"`
	Owner       string            `json:"owner,omitempty"` // the CSM's e-mail, for attribution
	Body        string            `json:"body,omitempty"`
	At          time.Time         `json:"at"`
	Properties  map[string]string `json:"properties,omitempty"`
	Attempts    int               `json:"attempts,omitempty"`
	NextAttempt time.Time         `json:"next_attempt,omitzero"`
	LastError   string            `json:"last_error,omitempty"`
	Failed      bool              `json:"failed,omitempty"` // gave up: kept for the admin, never retried
}

// OutboxStore keeps pending writes and what was delivered.
type OutboxStore interface {
	// Enqueue stores w unless its ID was already queued or delivered (a
	// note), or replaces the pending write of the same ID (properties:
	// the latest values win).
	Enqueue(ctx context.Context, w Write) error
	// Due returns up to limit pending writes of source whose NextAttempt
	// is not after now.
	Due(ctx context.Context, source string, now time.Time, limit int) ([]Write, error)
	// Delivered removes w from the queue and records its remote id (and,
	// for properties, the values now in the CRM) in one transaction.
	Delivered(ctx context.Context, w Write, remoteID string) error
	// Reschedule stores w's new attempt count, next attempt and error.
	Reschedule(ctx context.Context, w Write) error
	// Written returns the property values last delivered for an account.
	Written(ctx context.Context, source, accountID string) (map[string]string, error)
	// Pending counts source's queued writes, those given up, and the
	// latest error.
	Pending(ctx context.Context, source string) (pending, failed int, lastErr string, err error)
}

// Writer delivers writes to one source.
type Writer interface {
	// WriteNote creates the note and returns its id at the source. With
	// w.Attempts > 0 it must first look for a note an earlier, unconfirmed
	// attempt created (and return that id).
	WriteNote(ctx context.Context, w Write) (string, error)
	// WriteProperties updates the named fields of several records at once;
	// errs[i] is the result of ws[i].
	WriteProperties(ctx context.Context, ws []Write) (errs []error)
}

// ErrPermanent marks a delivery error that retrying cannot fix (a record
// gone at the source, a property that does not exist).
var ErrPermanent = errors.New("permanent")

// Backoff is the wait before attempt n+1 after n failed attempts: 30 s
// doubling to at most an hour; MaxAttempts failures give up.
// It is internal/retry's backoff without jitter: the wait is stored and
// shown in `sync status`, so it is the same on every run.
func Backoff(n int) time.Duration { return outboxPolicy.Backoff(n) }

var outboxPolicy = retry.Policy{Base: 30 * time.Second, Max: time.Hour, Jitter: func(d time.Duration) time.Duration { return d }}

// MaxAttempts is how many times a write is tried before it is given up.
const MaxAttempts = 12

// Deliver sends source's due writes (notes one by one, properties in
// batches of batch) and reschedules the failures. It returns how many were
// delivered; errors of single writes are recorded on them, not returned.
func Deliver(ctx context.Context, st OutboxStore, w Writer, source string, now time.Time, batch int) (int, error) {
	due, err := st.Due(ctx, source, now, 1000)
	if err != nil {
		return 0, fmt.Errorf("reading %s outbox: %w", source, err)
	}
	done := 0
	var props []Write
	settle := func(wr Write, remote string, err error) error {
		if err == nil {
			done++
			return st.Delivered(ctx, wr, remote)
		}
		wr.Attempts++
		wr.LastError = errorText(err)
		wr.NextAttempt = now.Add(Backoff(wr.Attempts))
		wr.Failed = errors.Is(err, ErrPermanent) || wr.Attempts >= MaxAttempts
		return st.Reschedule(ctx, wr)
	}
	for _, wr := range due {
		if wr.Kind != WriteNote {
			props = append(props, wr)
			continue
		}
		id, err := w.WriteNote(ctx, wr)
		if serr := settle(wr, id, err); serr != nil {
			return done, fmt.Errorf("recording %s write %s: %w", source, wr.ID, serr)
		}
	}
	for len(props) > 0 {
		n := min(batch, len(props))
		part := props[:n]
		props = props[n:]
		errs := w.WriteProperties(ctx, part)
		for i, wr := range part {
			var e error
			if i < len(errs) {
				e = errs[i]
			}
			if serr := settle(wr, "", e); serr != nil {
				return done, fmt.Errorf("recording %s write %s: %w", source, wr.ID, serr)
			}
		}
	}
	return done, nil
}

// NoteWrite is the write-back of an outcome or note logged in chat. Its ID
// comes from the outcome itself, so logging is idempotent end to end.
func NoteWrite(source, externalID string, o domain.Outcome, at time.Time) Write {
	body := o.Note
	if o.Result != "" {
		body = fmt.Sprintf("Outcome: %s", o.Result)
		if o.Motion != "" {
			body += " (" + string(o.Motion) + ")"
		}
		if o.ARR != 0 {
			body += ", " + domain.Money{Minor: o.ARR, Currency: o.Currency}.Format()
		}
		if o.Note != "" {
			body += "\n" + o.Note
		}
	}
	id := fmt.Sprintf("note:%s:%s:%d", o.AccountID, o.Date, at.UnixNano())
	return Write{ID: id, Source: source, Kind: WriteNote, AccountID: o.AccountID, ExternalID: externalID,
		Owner: o.By, Body: body, At: at.UTC().Truncate(time.Millisecond)}
}

// ScoreFields names the CRM fields scores are written to; an empty name
// is not written.
type ScoreFields struct {
	Health    string `yaml:"health"`
	Tier      string `yaml:"tier"`
	Priority  string `yaml:"priority"`
	Readiness string `yaml:"readiness"`
}

// ScoreValues returns the CRM field values for an evaluation.
func (f ScoreFields) ScoreValues(e domain.Evaluation) map[string]string {
	out := map[string]string{}
	set := func(name, v string) {
		if name != "" {
			out[name] = v
		}
	}
	set(f.Health, strconv.Itoa(e.Health.Combined))
	set(f.Tier, strconv.Itoa(e.Tier.Tier))
	set(f.Priority, string(e.Priority))
	set(f.Readiness, string(e.Renewal.Readiness))
	return out
}

// EnqueueScores queues a property write for an account when the values
// differ from those last delivered; it reports whether it queued one.
func EnqueueScores(ctx context.Context, st OutboxStore, source, accountID, externalID string, values map[string]string, now time.Time) (bool, error) {
	if len(values) == 0 || externalID == "" {
		return false, nil
	}
	last, err := st.Written(ctx, source, accountID)
	if err != nil {
		return false, fmt.Errorf("reading last written scores of %s: %w", accountID, err)
	}
	if maps.Equal(last, values) {
		return false, nil
	}
	w := Write{ID: "props:" + accountID, Source: source, Kind: WriteProperties, AccountID: accountID,
		ExternalID: externalID, Properties: values, At: now.UTC()}
	if err := st.Enqueue(ctx, w); err != nil {
		return false, fmt.Errorf("queueing score write for %s: %w", accountID, err)
	}
	return true, nil
}
