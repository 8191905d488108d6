package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/accountbot/accountbot/connector"
	"github.com/accountbot/accountbot/domain"
)

// unmatchedKindSync is the review-list kind of a CRM record no account matched.
const unmatchedKindSync = connector.UnmatchedKind

// SyncState implements connector.Store.
func (s *DB) SyncState(ctx context.Context, source string) (connector.Cursor, connector.Status, error) {
	var cur string
	var raw []byte
	var st connector.Status
	err := s.pool.QueryRow(ctx, `SELECT cursor, status FROM sync_state WHERE source = $1`, source).Scan(&cur, &raw)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", st, nil
	} else if err != nil {
		return "", st, fmt.Errorf("reading %s sync state: %w", source, err)
	}
	if raw != nil {
		if err := decodeJSON("sync status", raw, &st); err != nil {
			return "", st, err
		}
	}
	return connector.Cursor(cur), st, nil
}

// SaveStatus implements connector.Store.
func (s *DB) SaveStatus(ctx context.Context, source string, st connector.Status) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO sync_state (source, status) VALUES ($1, $2)
		ON CONFLICT (source) DO UPDATE SET status = EXCLUDED.status`, source, mustJSON(st))
	if err != nil {
		return fmt.Errorf("saving %s sync status: %w", source, err)
	}
	return nil
}

// Match implements connector.Store: the account ingest would resolve the
// external id to, else the account a sync created ("<source>-<external id>").
func (s *DB) Match(ctx context.Context, source string, ext []string) (map[string]*domain.Account, error) {
	out := make(map[string]*domain.Account, len(ext))
	for _, e := range ext {
		id, err := resolveAccount(ctx, s.pool, source, e)
		if domain.ErrorCode(err) == domain.ENOTFOUND {
			id = source + "-" + e
		} else if err != nil {
			return nil, err
		}
		if !domain.ValidID(id) {
			continue
		}
		var a domain.Account
		found, err := getJSON(ctx, s.pool, &a, `SELECT record FROM accounts WHERE id = $1`, id)
		if err != nil {
			return nil, fmt.Errorf("reading account %s: %w", id, err)
		}
		if found {
			out[e] = &a
		}
	}
	return out, nil
}

// LinkExternal matches an existing account to a source's external id by
// setting it in the account's ExternalIDs (the account write keeps the index).
func (s *DB) LinkExternal(ctx context.Context, source, ext, id string) error {
	return s.tx(ctx, func(tx pgx.Tx) error {
		cur, err := lockRecords(ctx, tx, []string{id})
		if err != nil {
			return err
		}
		a, ok := cur[id]
		if !ok {
			return domain.Errorf(domain.ENOTFOUND, "no account with id %q", id)
		}
		a.ExternalIDs = withExternalID(a.ExternalIDs, source, ext)
		var st domain.ApplyStats
		return applyTx(ctx, tx, []domain.Patch{{ID: id, Core: a}}, &st, s.today())
	})
}

func withExternalID(x domain.ExternalIDs, source, ext string) domain.ExternalIDs {
	out := domain.ExternalIDs{}
	for k, v := range x {
		out[k] = v
	}
	out[source] = ext
	return out
}

// ExternalID returns the source's external id of an account ("" if none).
func (s *DB) ExternalID(ctx context.Context, source, id string) (string, error) {
	var ext string
	err := s.pool.QueryRow(ctx, `SELECT ext FROM external_ids WHERE source = $1 AND id = $2`, source, id).Scan(&ext)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", nil
	} else if err != nil {
		return "", fmt.Errorf("reading %s external id of %s: %w", source, id, err)
	}
	return ext, nil
}

// CommitPage implements connector.Store: a page's accounts, marks, review
// entries and the cursor after it are one transaction.
func (s *DB) CommitPage(ctx context.Context, source string, c connector.Commit) error {
	return s.tx(ctx, func(tx pgx.Tx) error {
		patches := make([]domain.Patch, len(c.Accounts))
		for i, l := range c.Accounts {
			acct := *l.Account
			acct.ExternalIDs = withExternalID(acct.ExternalIDs, source, l.ExternalID)
			patches[i] = domain.Patch{ID: acct.ID, Core: &acct, ReplaceStakeholders: true, Stakeholders: acct.Stakeholders, Source: source}
		}
		var st domain.ApplyStats
		if err := applyTx(ctx, tx, patches, &st, s.today()); err != nil {
			return err
		}
		b := &pgx.Batch{}
		for _, l := range c.Accounts {
			// Seen alive again (restored in the CRM): no longer marked, no longer unmatched.
			b.Queue(`DELETE FROM unmatched WHERE source = $1 AND ext = $2`, source, l.ExternalID)
			b.Queue(`DELETE FROM sync_marks WHERE id = $1`, l.Account.ID)
		}
		for _, id := range c.Alive {
			b.Queue(`DELETE FROM sync_marks WHERE id = $1`, id)
		}
		for _, m := range c.Marks {
			b.Queue(`INSERT INTO sync_marks (id, mark) VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET mark = EXCLUDED.mark`,
				m.AccountID, mustJSON(m))
		}
		b.Queue(`INSERT INTO sync_state (source, cursor) VALUES ($1, $2) ON CONFLICT (source) DO UPDATE SET cursor = EXCLUDED.cursor`,
			source, string(c.Cursor))
		if err := tx.SendBatch(ctx, b).Close(); err != nil {
			return fmt.Errorf("committing a %s page: %w", source, err)
		}
		now := time.Now()
		for _, u := range c.Unmatched {
			rec := domain.UnmatchedRecord{Source: source, ExternalID: u.ExternalID, Kind: unmatchedKindSync, Sample: u.Sample}
			if err := addUnmatched(ctx, tx, rec, now); err != nil {
				return fmt.Errorf("recording unmatched %s record %q: %w", source, u.ExternalID, err)
			}
		}
		return nil
	})
}

// SyncMarks returns the accounts whose source record was deleted or merged.
func (s *DB) SyncMarks(ctx context.Context) ([]connector.Mark, error) {
	out, err := collectJSON[connector.Mark](ctx, s.pool, `SELECT mark FROM sync_marks ORDER BY id COLLATE "C"`)
	if err != nil {
		return nil, fmt.Errorf("reading sync marks: %w", err)
	}
	return out, nil
}

// SyncUnmatched returns the CRM records on the review list.
func (s *DB) SyncUnmatched(ctx context.Context) ([]connector.Unmatched, error) {
	all, err := s.Unmatched(ctx)
	if err != nil {
		return nil, err
	}
	return connector.SyncUnmatched(all), nil
}

// AddUnmatched puts a record on the review list (or counts it again there).
func (s *DB) AddUnmatched(ctx context.Context, rec domain.UnmatchedRecord, at time.Time) error {
	if err := s.tx(ctx, func(tx pgx.Tx) error { return addUnmatched(ctx, tx, rec, at) }); err != nil {
		return fmt.Errorf("recording unmatched %s record %q: %w", rec.Source, rec.ExternalID, err)
	}
	return nil
}

func addUnmatched(ctx context.Context, tx pgx.Tx, rec domain.UnmatchedRecord, at time.Time) error {
	if !domain.ValidSource(rec.Source) || rec.ExternalID == "" || containsNUL(rec.Source+rec.ExternalID) {
		return domain.Errorf(domain.EINVALID, "an unmatched record needs a valid source and an external id without NUL bytes")
	}
	if len(rec.ExternalID) > 256 {
		rec.ExternalID = rec.ExternalID[:256]
	}
	if len(rec.Sample) > 1024 {
		rec.Sample = rec.Sample[:1024]
	}
	cur := rec
	cur.Count, cur.FirstSeen = 0, at.UTC()
	found, err := getJSON(ctx, tx, &cur, `SELECT record FROM unmatched WHERE source = $1 AND ext = $2 FOR UPDATE`, rec.Source, rec.ExternalID)
	if err != nil {
		return fmt.Errorf("reading review entry: %w", err)
	}
	if found {
		cur.Kind, cur.Sample = rec.Kind, rec.Sample
	}
	cur.Count++
	cur.LastSeen = at.UTC()
	_, err = tx.Exec(ctx, `INSERT INTO unmatched (source, ext, record) VALUES ($1, $2, $3)
		ON CONFLICT (source, ext) DO UPDATE SET record = EXCLUDED.record`, rec.Source, rec.ExternalID, mustJSON(cur))
	return err
}

// Unmatched returns the review list, by source and external id.
func (s *DB) Unmatched(ctx context.Context) ([]domain.UnmatchedRecord, error) {
	out, err := collectJSON[domain.UnmatchedRecord](ctx, s.pool,
		`SELECT record FROM unmatched ORDER BY source COLLATE "C", ext COLLATE "C"`)
	if err != nil {
		return nil, fmt.Errorf("reading the review list: %w", err)
	}
	return out, nil
}

// Enqueue implements connector.OutboxStore: a note already queued or
// delivered is not queued again; properties replace the pending write.
func (s *DB) Enqueue(ctx context.Context, w connector.Write) error {
	var err error
	if w.Kind == connector.WriteNote {
		_, err = s.pool.Exec(ctx, `INSERT INTO outbox (source, id, write) SELECT $1, $2, $3
			WHERE NOT EXISTS (SELECT 1 FROM delivered_notes WHERE id = $2) ON CONFLICT DO NOTHING`, w.Source, w.ID, mustJSON(w))
	} else {
		_, err = s.pool.Exec(ctx, `INSERT INTO outbox (source, id, write) VALUES ($1, $2, $3)
			ON CONFLICT (source, id) DO UPDATE SET write = EXCLUDED.write`, w.Source, w.ID, mustJSON(w))
	}
	if err != nil {
		return fmt.Errorf("queueing write %s: %w", w.ID, err)
	}
	return nil
}

// Due implements connector.OutboxStore.
func (s *DB) Due(ctx context.Context, source string, now time.Time, limit int) ([]connector.Write, error) {
	all, err := collectJSON[connector.Write](ctx, s.pool, `SELECT write FROM outbox WHERE source = $1 ORDER BY id COLLATE "C"`, source)
	if err != nil {
		return nil, fmt.Errorf("reading the %s outbox: %w", source, err)
	}
	var out []connector.Write
	for _, w := range all {
		if !w.Failed && !w.NextAttempt.After(now) && len(out) < limit {
			out = append(out, w)
		}
	}
	return out, nil
}

// Delivered implements connector.OutboxStore.
func (s *DB) Delivered(ctx context.Context, w connector.Write, remote string) error {
	return s.tx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM outbox WHERE source = $1 AND id = $2`, w.Source, w.ID); err != nil {
			return err
		}
		var err error
		if w.Kind == connector.WriteNote {
			_, err = tx.Exec(ctx, `INSERT INTO delivered_notes (id, remote) VALUES ($1, $2)
				ON CONFLICT (id) DO UPDATE SET remote = EXCLUDED.remote`, w.ID, remote)
		} else {
			_, err = tx.Exec(ctx, `INSERT INTO written (source, id, props) VALUES ($1, $2, $3)
				ON CONFLICT (source, id) DO UPDATE SET props = EXCLUDED.props`, w.Source, w.AccountID, mustJSON(w.Properties))
		}
		return err
	})
}

// Reschedule implements connector.OutboxStore.
func (s *DB) Reschedule(ctx context.Context, w connector.Write) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO outbox (source, id, write) VALUES ($1, $2, $3)
		ON CONFLICT (source, id) DO UPDATE SET write = EXCLUDED.write`, w.Source, w.ID, mustJSON(w))
	return err
}

// Written implements connector.OutboxStore.
func (s *DB) Written(ctx context.Context, source, id string) (map[string]string, error) {
	var out map[string]string
	if _, err := getJSON(ctx, s.pool, &out, `SELECT props FROM written WHERE source = $1 AND id = $2`, source, id); err != nil {
		return nil, fmt.Errorf("reading what was written to %s for %s: %w", source, id, err)
	}
	return out, nil
}

// Pending implements connector.OutboxStore.
func (s *DB) Pending(ctx context.Context, source string) (pending, failed int, lastErr string, err error) {
	all, err := collectJSON[connector.Write](ctx, s.pool, `SELECT write FROM outbox WHERE source = $1 ORDER BY id COLLATE "C"`, source)
	if err != nil {
		return 0, 0, "", fmt.Errorf("reading the %s outbox: %w", source, err)
	}
	var lastAt time.Time
	for _, w := range all {
		if w.Failed {
			failed++
		} else {
			pending++
		}
		if w.LastError != "" && !w.NextAttempt.Before(lastAt) {
			lastErr, lastAt = w.LastError, w.NextAttempt
		}
	}
	return pending, failed, lastErr, nil
}
