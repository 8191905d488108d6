package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/accountbot/accountbot/domain"
	"github.com/accountbot/accountbot/internal/apijson"
	"github.com/accountbot/accountbot/storage"
)

// ledgerTTL keeps ledger entries far beyond any catch-up window (as Badger's).
const ledgerTTL = 120 * 24 * time.Hour

// LedgerGet returns the ledger entry for a dedupe key.
func (s *DB) LedgerGet(ctx context.Context, key string) (domain.LedgerEntry, bool, error) {
	var e domain.LedgerEntry
	found, err := getJSON(ctx, s.pool, &e, `SELECT entry FROM ledger WHERE key = $1`, key)
	if err != nil {
		return e, false, fmt.Errorf("reading ledger %s: %w", key, err)
	}
	return e, found, nil
}

// LedgerPut records a ledger entry (replacing the key's previous state).
//
// The entry a send records just before its POST ("sending", no message
// ids yet, Attempts one more than the entry it read) is a claim: it is
// written with INSERT … ON CONFLICT, and only if no entry of that key has
// reached that attempt, so of two replicas that read the same entry and
// are about to send the same nudge (two leaders for a moment during a
// failover) exactly one succeeds; the other gets ECONFLICT from the
// scheduler's Before hook and does not post.
func (s *DB) LedgerPut(ctx context.Context, e domain.LedgerEntry) error {
	if e.State == domain.LedgerSending && len(e.MessageIDs) == 0 {
		ct, err := s.pool.Exec(ctx, `INSERT INTO ledger (key, entry, updated_at) VALUES ($1, $2, $3)
			ON CONFLICT (key) DO UPDATE SET entry = EXCLUDED.entry, updated_at = EXCLUDED.updated_at
			WHERE coalesce((ledger.entry->>'attempts')::int, 0) < $4`,
			e.Key, mustJSON(e), e.UpdatedAt, e.Attempts)
		if err != nil {
			return fmt.Errorf("claiming ledger %s: %w", e.Key, err)
		}
		if ct.RowsAffected() == 0 {
			return domain.Errorf(domain.ECONFLICT, "nudge %s (attempt %d) is already being sent by another replica", e.Key, e.Attempts)
		}
		return nil
	}
	_, err := s.pool.Exec(ctx, `INSERT INTO ledger (key, entry, updated_at) VALUES ($1, $2, $3)
		ON CONFLICT (key) DO UPDATE SET entry = EXCLUDED.entry, updated_at = EXCLUDED.updated_at`,
		e.Key, mustJSON(e), e.UpdatedAt)
	if err != nil {
		return fmt.Errorf("writing ledger %s: %w", e.Key, err)
	}
	return nil
}

// LedgerSince returns the entries updated at or after since, newest first.
func (s *DB) LedgerSince(ctx context.Context, since time.Time) ([]domain.LedgerEntry, error) {
	out, err := collectJSON[domain.LedgerEntry](ctx, s.pool,
		`SELECT entry FROM ledger WHERE updated_at >= $1 ORDER BY updated_at DESC, key`, since)
	if err != nil {
		return nil, fmt.Errorf("reading the ledger: %w", err)
	}
	return out, nil
}

// Settings returns a user's nudge settings (zero value when none are set).
func (s *DB) Settings(ctx context.Context, user string) (domain.UserSettings, error) {
	var u domain.UserSettings
	if _, err := getJSON(ctx, s.pool, &u, `SELECT settings FROM settings WHERE user_id = $1`, user); err != nil {
		return u, fmt.Errorf("reading settings of %s: %w", user, err)
	}
	return u, nil
}

// SetSettings stores a user's nudge settings.
func (s *DB) SetSettings(ctx context.Context, user string, u domain.UserSettings) error {
	if err := checkPart("user", user); err != nil {
		return err
	}
	_, err := s.pool.Exec(ctx, `INSERT INTO settings (user_id, settings) VALUES ($1, $2)
		ON CONFLICT (user_id) DO UPDATE SET settings = EXCLUDED.settings`, user, mustJSON(u))
	if err != nil {
		return fmt.Errorf("saving settings of %s: %w", user, err)
	}
	return nil
}

// checkPart refuses what the Badger store refuses in a key part (a
// control or invisible character), so that both backends accept the same
// input; PostgreSQL text cannot hold NUL anyway.
func checkPart(what, v string) error {
	if r, _, bad := domain.HiddenRune(v); bad {
		return domain.Errorf(domain.EINVALID, "%s %q contains the control or invisible character U+%04X; remove it", what, v, r)
	}
	return nil
}

func containsNUL(v string) bool {
	for i := 0; i < len(v); i++ {
		if v[i] == 0 {
			return true
		}
	}
	return false
}

// SetSnooze silences an account for a user until the given date (inclusive).
func (s *DB) SetSnooze(ctx context.Context, user, id string, until domain.Date) error {
	if err := errors.Join(checkPart("user", user), checkPart("account id", id)); err != nil {
		return err
	}
	_, err := s.pool.Exec(ctx, `INSERT INTO snoozes (user_id, id, until) VALUES ($1, $2, $3)
		ON CONFLICT (user_id, id) DO UPDATE SET until = EXCLUDED.until`, user, id, int32(until))
	if err != nil {
		return fmt.Errorf("saving snooze: %w", err)
	}
	return nil
}

// Snoozes returns a user's snoozed accounts with their end dates.
func (s *DB) Snoozes(ctx context.Context, user string) (map[string]domain.Date, error) {
	rows, err := s.pool.Query(ctx, `SELECT id, until FROM snoozes WHERE user_id = $1`, user)
	if err != nil {
		return nil, fmt.Errorf("reading snoozes: %w", err)
	}
	defer rows.Close()
	out := map[string]domain.Date{}
	for rows.Next() {
		var id string
		var d int32
		if err := rows.Scan(&id, &d); err != nil {
			return nil, fmt.Errorf("reading snoozes: %w", err)
		}
		out[id] = domain.Date(d)
	}
	return out, rows.Err()
}

func addOutcome(ctx context.Context, q querier, o domain.Outcome) error {
	ct, err := q.Exec(ctx, `INSERT INTO outcomes (id, day, entry) SELECT $1, $2, $3 WHERE EXISTS (SELECT 1 FROM accounts WHERE id = $1)`,
		o.AccountID, int32(o.Date), mustJSON(o))
	if err != nil {
		return fmt.Errorf("recording outcome: %w", err)
	}
	if ct.RowsAffected() == 0 {
		return domain.Errorf(domain.ENOTFOUND, "no account with id %q", o.AccountID)
	}
	return nil
}

// AddOutcome records an outcome; two outcomes logged the same day are both kept.
func (s *DB) AddOutcome(ctx context.Context, o domain.Outcome) error {
	return addOutcome(ctx, s.pool, o)
}

// Outcomes returns every outcome dated in [from, to], by account and date.
func (s *DB) Outcomes(ctx context.Context, from, to domain.Date) ([]domain.Outcome, error) {
	out, err := collectJSON[domain.Outcome](ctx, s.pool,
		`SELECT entry FROM outcomes WHERE day BETWEEN $1 AND $2 ORDER BY id COLLATE "C", day, seq`, int32(from), int32(to))
	if err != nil {
		return nil, fmt.Errorf("reading outcomes: %w", err)
	}
	return out, nil
}

// FirstSeen records an inbound event id and reports whether this is its
// first delivery, across every replica: the insert is the test.
func (s *DB) FirstSeen(ctx context.Context, platform, id string, ttl time.Duration) (bool, error) {
	now := time.Now()
	ct, err := s.pool.Exec(ctx, `INSERT INTO events (platform, id, expires_at) VALUES ($1, $2, $3)
		ON CONFLICT (platform, id) DO UPDATE SET expires_at = EXCLUDED.expires_at WHERE events.expires_at <= $4`,
		platform, id, now.Add(ttl), now)
	if err != nil {
		return false, fmt.Errorf("recording event %s: %w", id, err)
	}
	return ct.RowsAffected() == 1, nil
}

// EventSeen reports whether FirstSeen recorded the event id, without recording it.
func (s *DB) EventSeen(ctx context.Context, platform, id string) (bool, error) {
	var ok bool
	err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM events WHERE platform = $1 AND id = $2 AND expires_at > $3)`,
		platform, id, time.Now()).Scan(&ok)
	if err != nil {
		return false, fmt.Errorf("looking up event %s: %w", id, err)
	}
	return ok, nil
}

// PutRef stores a platform's conversation reference under a legacy key.
func (s *DB) PutRef(ctx context.Context, platform, key string, v []byte) error {
	if err := errors.Join(checkPart("platform", platform), checkPart("conversation key", key)); err != nil {
		return err
	}
	_, err := s.pool.Exec(ctx, `INSERT INTO legacy_refs (platform, key, value) VALUES ($1, $2, $3)
		ON CONFLICT (platform, key) DO UPDATE SET value = EXCLUDED.value`, platform, key, v)
	if err != nil {
		return fmt.Errorf("saving conversation reference %s: %w", key, err)
	}
	return nil
}

// Ref returns a stored legacy conversation reference.
func (s *DB) Ref(ctx context.Context, platform, key string) ([]byte, bool, error) {
	var v []byte
	err := s.pool.QueryRow(ctx, `SELECT value FROM legacy_refs WHERE platform = $1 AND key = $2`, platform, key).Scan(&v)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, false, nil
	} else if err != nil {
		return nil, false, fmt.Errorf("reading conversation reference %s: %w", key, err)
	}
	return v, true, nil
}

// Installation returns the workspace or tenant a platform adapter learned.
func (s *DB) Installation(ctx context.Context, platform string) (domain.Installation, bool, error) {
	var in domain.Installation
	found, err := getJSON(ctx, s.pool, &in, `SELECT inst FROM installations WHERE platform = $1`, platform)
	if err != nil {
		return in, false, fmt.Errorf("reading the %s installation: %w", platform, err)
	}
	return in, found, nil
}

// LearnInstallation records in unless one is recorded already (the first
// writer wins, across replicas) and returns the recorded one.
func (s *DB) LearnInstallation(ctx context.Context, in domain.Installation) (domain.Installation, bool, error) {
	if in.Platform == "" || in.Workspace == "" {
		return in, false, errors.New("learning an installation needs a platform and a workspace")
	}
	ct, err := s.pool.Exec(ctx, `INSERT INTO installations (platform, inst) VALUES ($1, $2) ON CONFLICT DO NOTHING`,
		in.Platform, mustJSON(in))
	if err != nil {
		return in, false, fmt.Errorf("recording the %s installation: %w", in.Platform, err)
	}
	if ct.RowsAffected() == 1 {
		return in, true, nil
	}
	cur, _, err := s.Installation(ctx, in.Platform)
	return cur, false, err
}

// ForgetInstallation removes a learned installation.
func (s *DB) ForgetInstallation(ctx context.Context, platform string) error {
	if _, err := s.pool.Exec(ctx, `DELETE FROM installations WHERE platform = $1`, platform); err != nil {
		return fmt.Errorf("forgetting the %s installation: %w", platform, err)
	}
	return nil
}

// PutScores records score snapshots (one per account per day; a second
// write for the same day replaces the first).
func (s *DB) PutScores(ctx context.Context, scores []domain.Scored) error {
	scopeOf(ctx).forget()
	b := &pgx.Batch{}
	for _, sc := range scores {
		b.Queue(`INSERT INTO scores (id, day, snap) VALUES ($1, $2, $3) ON CONFLICT (id, day) DO UPDATE SET snap = EXCLUDED.snap`,
			sc.ID, int32(sc.Snapshot.Date), mustJSON(sc.Snapshot))
	}
	if err := s.pool.SendBatch(ctx, b).Close(); err != nil {
		return fmt.Errorf("writing scores: %w", err)
	}
	return nil
}

// ScoreHistory returns an account's score snapshots dated in [from, to], oldest first.
func (s *DB) ScoreHistory(ctx context.Context, id string, from, to domain.Date) ([]domain.ScoreSnapshot, error) {
	if sc := scopeOf(ctx); sc != nil {
		if out, ok, err := sc.history(id, from, to); ok {
			return out, err
		}
	}
	out, err := collectJSON[domain.ScoreSnapshot](ctx, s.pool,
		`SELECT snap FROM scores WHERE id = $1 AND day BETWEEN $2 AND $3 ORDER BY day`, id, int32(from), int32(to))
	if err != nil {
		return nil, fmt.Errorf("reading score history of %s: %w", id, err)
	}
	return out, nil
}

// writeIDTTL is storage.WriteIDTTL: how long a write id is remembered.
const writeIDTTL = storage.WriteIDTTL

// once runs write and records id in one transaction unless id is already
// recorded (then seen is true and nothing is written). Two replicas with
// the same id: the second waits on the first's row and then sees it.
func (s *DB) once(ctx context.Context, id string, write func(pgx.Tx) error) (seen bool, err error) {
	err = s.tx(ctx, func(tx pgx.Tx) error {
		seen = false
		if id != "" {
			now := time.Now()
			ct, err := tx.Exec(ctx, `INSERT INTO write_ids (id, expires_at) VALUES ($1, $2)
				ON CONFLICT (id) DO UPDATE SET expires_at = EXCLUDED.expires_at WHERE write_ids.expires_at <= $3`,
				id, now.Add(writeIDTTL), now)
			if err != nil {
				return fmt.Errorf("recording write %s: %w", id, err)
			}
			if ct.RowsAffected() == 0 {
				seen = true
				return nil
			}
		}
		return write(tx)
	})
	return seen, err
}

// ApplyOnce is Apply guarded by a write id: a second call with the same
// id changes nothing and reports seen.
func (s *DB) ApplyOnce(ctx context.Context, id string, patches []domain.Patch) (domain.ApplyStats, bool, error) {
	var st domain.ApplyStats
	seen, err := s.once(ctx, id, func(tx pgx.Tx) error {
		st = domain.ApplyStats{}
		return applyTx(ctx, tx, patches, &st, s.today())
	})
	if seen {
		return domain.ApplyStats{}, true, err
	}
	return st, false, err
}

// AddOutcomeOnce is AddOutcome guarded by a write id.
func (s *DB) AddOutcomeOnce(ctx context.Context, id string, o domain.Outcome) (bool, error) {
	return s.once(ctx, id, func(tx pgx.Tx) error { return addOutcome(ctx, tx, o) })
}

// WriteSeen reports whether a write id is recorded.
func (s *DB) WriteSeen(ctx context.Context, id string) (bool, error) {
	var ok bool
	err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM write_ids WHERE id = $1 AND expires_at > $2)`, id, time.Now()).Scan(&ok)
	if err != nil {
		return false, fmt.Errorf("reading write id %s: %w", id, err)
	}
	return ok, nil
}

// decodeJSON is apijson.Unmarshal (encoding/json's rules, less CPU) with what was being decoded in the error.
func decodeJSON(what string, b []byte, v any) error {
	if err := apijson.Unmarshal(b, v); err != nil {
		return fmt.Errorf("decoding %s: %w", what, err)
	}
	return nil
}
