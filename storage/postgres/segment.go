package postgres

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/accountbot/accountbot/domain"
	"github.com/accountbot/accountbot/storage"
)

// AcceptSegment stores events whose messageId was not seen before in the
// inbox, in one transaction, and returns how many were new and how many
// duplicates. The messageId's primary key decides between replicas.
func (s *DB) AcceptSegment(ctx context.Context, events []storage.SegmentIn) (accepted, duplicates int, err error) {
	err = s.tx(ctx, func(tx pgx.Tx) error {
		accepted, duplicates = 0, 0
		now := time.Now()
		b := &pgx.Batch{}
		for _, e := range events {
			b.Queue(`WITH m AS (INSERT INTO segment_msgs (message_id, expires_at) VALUES ($1, $2)
				ON CONFLICT (message_id) DO UPDATE SET expires_at = EXCLUDED.expires_at WHERE segment_msgs.expires_at <= $3
				RETURNING 1)
				INSERT INTO segment_inbox (raw) SELECT $4 FROM m`, e.MessageID, now.Add(storage.SegmentDedupeTTL), now, e.Raw).
				Exec(func(ct pgconn.CommandTag) error {
					if ct.RowsAffected() == 1 {
						accepted++
					} else {
						duplicates++
					}
					return nil
				})
		}
		return tx.SendBatch(ctx, b).Close()
	})
	if err != nil {
		return 0, 0, fmt.Errorf("storing Segment events: %w", err)
	}
	return accepted, duplicates, nil
}

// SegmentInbox returns up to limit accepted events, oldest first.
func (s *DB) SegmentInbox(ctx context.Context, limit int) ([]storage.InboxItem, error) {
	rows, err := s.pool.Query(ctx, `SELECT seq, raw FROM segment_inbox ORDER BY seq LIMIT $1`, limit)
	if err != nil {
		return nil, fmt.Errorf("reading the Segment inbox: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (storage.InboxItem, error) {
		var it storage.InboxItem
		var seq int64
		err := r.Scan(&seq, &it.Raw)
		it.Seq = uint64(seq)
		return it, err
	})
	if err != nil {
		return nil, fmt.Errorf("reading the Segment inbox: %w", err)
	}
	return out, nil
}

// SegmentUserAccount returns the account a group call put the user in.
func (s *DB) SegmentUserAccount(ctx context.Context, userID string) (string, bool, error) {
	var id string
	err := s.pool.QueryRow(ctx, `SELECT id FROM segment_users WHERE user_id = $1`, userID).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", false, nil
	} else if err != nil {
		return "", false, fmt.Errorf("reading the account of Segment user %s: %w", userID, err)
	}
	return id, true, nil
}

// ApplySegment applies effects and removes their events from the inbox,
// in one transaction: an event counts once even if a replica dies midway,
// and two replicas applying the same event cannot both count it (the
// second's inbox delete finds nothing and rolls its transaction back).
func (s *DB) ApplySegment(ctx context.Context, effects []storage.SegmentEffect, now time.Time) error {
	err := s.tx(ctx, func(tx pgx.Tx) error {
		var changed []string
		for _, e := range effects {
			ct, err := tx.Exec(ctx, `DELETE FROM segment_inbox WHERE seq = $1`, int64(e.Seq))
			if err != nil {
				return err
			}
			if ct.RowsAffected() == 0 {
				continue // applied already (by another replica)
			}
			if err := applyEffect(ctx, tx, e, now); err != nil {
				return err
			}
			if e.Track != nil && !slices.Contains(changed, e.Track.AccountID) {
				changed = append(changed, e.Track.AccountID)
			}
		}
		if err := stampAccounts(ctx, tx, changed, domain.SourceSegment, now); err != nil {
			return err
		}
		b := &pgx.Batch{}
		notifyChanged(b, changed)
		return tx.SendBatch(ctx, b).Close()
	})
	if err != nil {
		return fmt.Errorf("applying Segment events: %w", err)
	}
	return nil
}

func applyEffect(ctx context.Context, tx pgx.Tx, e storage.SegmentEffect, now time.Time) error {
	if e.Member[0] != "" && domain.ValidID(e.Member[1]) {
		if _, err := tx.Exec(ctx, `INSERT INTO segment_users (user_id, id) VALUES ($1, $2)
			ON CONFLICT (user_id) DO UPDATE SET id = EXCLUDED.id`, e.Member[0], e.Member[1]); err != nil {
			return err
		}
	}
	if e.Unmatched != nil {
		if err := addUnmatched(ctx, tx, *e.Unmatched, now); err != nil {
			return err
		}
	}
	t := e.Track
	if t == nil {
		return nil
	}
	if !domain.ValidID(t.AccountID) || t.Date.IsZero() {
		return domain.Errorf(domain.EINVALID, "a Segment usage update needs an account id and a date")
	}
	active := 0
	if t.UserID != "" {
		ct, err := tx.Exec(ctx, `INSERT INTO segment_active (id, day, user_id, expires_at) VALUES ($1, $2, $3, $4)
			ON CONFLICT (id, day, user_id) DO UPDATE SET expires_at = EXCLUDED.expires_at WHERE segment_active.expires_at <= $5`,
			t.AccountID, int32(t.Date), t.UserID, time.Now().Add(storage.SegmentActiveTTL), time.Now())
		if err != nil {
			return err
		}
		active = int(ct.RowsAffected())
	}
	// An account deleted since the event was resolved: the usage has no
	// account to belong to, and must not block the inbox behind it.
	_, err := tx.Exec(ctx, `INSERT INTO usage (id, day, active_users, usage, tickets)
		SELECT $1, $2, $3, $4, $5 WHERE EXISTS (SELECT 1 FROM accounts WHERE id = $1)
		ON CONFLICT (id, day) DO UPDATE SET active_users = usage.active_users + EXCLUDED.active_users,
			usage = usage.usage + EXCLUDED.usage, tickets = usage.tickets + EXCLUDED.tickets`,
		t.AccountID, int32(t.Date), active, t.Usage, t.Tickets)
	return err
}

// stampAccounts records on the accounts in ids that their data changed at
// `at` from source, for writes that go around domain.MergePatch (Segment
// usage), as the Badger store does.
func stampAccounts(ctx context.Context, tx pgx.Tx, ids []string, source string, at time.Time) error {
	if len(ids) == 0 {
		return nil
	}
	recs, err := lockRecords(ctx, tx, ids)
	if err != nil {
		return err
	}
	for id, a := range recs {
		a.DataChangedAt, a.DataSource = stampTime(at), source
		if _, err := tx.Exec(ctx, `UPDATE accounts SET record = $2 WHERE id = $1`, id, mustJSON(a)); err != nil {
			return fmt.Errorf("stamping account %s: %w", id, err)
		}
	}
	return nil
}
