package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/accountbot/accountbot/domain"
)

// SetClock sets the clock that dates field changes (tests and a faked
// clock; the default is the wall clock). Call it before any write.
func (s *DB) SetClock(now func() time.Time) { s.clock.Store(&now) }

// today is the date a change made now takes effect, in UTC.
func (s *DB) today() domain.Date {
	if c := s.clock.Load(); c != nil {
		return domain.DateOf((*c)().UTC())
	}
	return domain.DateOf(time.Now().UTC())
}

// FieldHistory returns an account's recorded field states, oldest first.
func (s *DB) FieldHistory(ctx context.Context, id string) ([]domain.FieldState, error) {
	out, err := collectJSON[domain.FieldState](ctx, s.pool, `SELECT state FROM field_history WHERE id = $1 ORDER BY day`, id)
	if err != nil {
		return nil, fmt.Errorf("reading field history of %s: %w", id, err)
	}
	return out, nil
}

// PutFieldHistory records past field states (a backfill, the demo book);
// a state for a date that already has one replaces it.
func (s *DB) PutFieldHistory(ctx context.Context, states map[string][]domain.FieldState) error {
	b := &pgx.Batch{}
	for id, list := range states {
		if !domain.ValidID(id) {
			return domain.Errorf(domain.EINVALID, "%q is not an account id", id)
		}
		for _, st := range list {
			if st.Date.IsZero() {
				return domain.Errorf(domain.EINVALID, "a field state of %s has no date", id)
			}
			b.Queue(`INSERT INTO field_history (id, day, state) VALUES ($1, $2, $3)
				ON CONFLICT (id, day) DO UPDATE SET state = EXCLUDED.state`, id, int32(st.Date), mustJSON(st))
		}
	}
	if err := s.pool.SendBatch(ctx, b).Close(); err != nil {
		return fmt.Errorf("writing field history: %w", err)
	}
	return nil
}

// PutOutcomes records past outcomes in one batch, each as AddOutcome would
// (without the account check, as the Badger store).
func (s *DB) PutOutcomes(ctx context.Context, outs []domain.Outcome) error {
	b := &pgx.Batch{}
	for _, o := range outs {
		if !domain.ValidID(o.AccountID) || o.Date.IsZero() {
			return domain.Errorf(domain.EINVALID, "an outcome needs an account id and a date")
		}
		b.Queue(`INSERT INTO outcomes (id, day, entry) VALUES ($1, $2, $3)`, o.AccountID, int32(o.Date), mustJSON(o))
	}
	if err := s.pool.SendBatch(ctx, b).Close(); err != nil {
		return fmt.Errorf("writing outcomes: %w", err)
	}
	return nil
}
