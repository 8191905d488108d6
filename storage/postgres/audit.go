package postgres

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/accountbot/accountbot/domain"
	"github.com/accountbot/accountbot/storage"
)

// AppendAudit adds a record (cleaned: e-mail lower-cased, free text cut to
// domain.AuditTextMax). The audit log is append-only: records are only
// removed by PruneAudit once older than the retention.
func (s *DB) AppendAudit(ctx context.Context, e domain.AuditEntry) error {
	e = e.Clean()
	if e.At.IsZero() || e.At.Before(time.Unix(0, 0)) {
		return fmt.Errorf("audit record without a time")
	}
	_, err := s.pool.Exec(ctx, `INSERT INTO audit (at, email, user_id, account, entry) VALUES ($1, $2, $3, $4, $5)`,
		e.At, e.Email, e.UserID, e.Account, mustJSON(e))
	if err != nil {
		return fmt.Errorf("appending to the audit log: %w", err)
	}
	return nil
}

// Audit returns the matching records, oldest first; with a Limit, the
// most recent Limit of them.
func (s *DB) Audit(ctx context.Context, q storage.AuditQuery) ([]domain.AuditEntry, error) {
	who := strings.ToLower(strings.TrimSpace(q.Who))
	sql := `SELECT entry FROM (SELECT entry, at, seq FROM audit WHERE at >= $1`
	args := []any{q.Since}
	if !q.Until.IsZero() {
		args = append(args, q.Until)
		sql += fmt.Sprintf(` AND at < $%d`, len(args))
	}
	if who != "" {
		args = append(args, who)
		sql += fmt.Sprintf(` AND (email = $%d OR lower(user_id) = $%[1]d)`, len(args))
	}
	if q.Account != "" {
		args = append(args, q.Account)
		sql += fmt.Sprintf(` AND account = $%d`, len(args))
	}
	sql += ` ORDER BY at DESC, seq DESC`
	if q.Limit > 0 {
		args = append(args, q.Limit)
		sql += fmt.Sprintf(` LIMIT $%d`, len(args))
	}
	sql += `) r ORDER BY at, seq`
	out, err := collectJSON[domain.AuditEntry](ctx, s.pool, sql, args...)
	if err != nil {
		return nil, fmt.Errorf("reading the audit log: %w", err)
	}
	return out, nil
}

// PruneAudit deletes the records older than before, in batches, and
// returns how many it deleted.
func (s *DB) PruneAudit(ctx context.Context, before time.Time) (int, error) {
	total := 0
	for {
		ct, err := s.pool.Exec(ctx, `DELETE FROM audit WHERE seq IN (SELECT seq FROM audit WHERE at < $1 LIMIT 1000)`, before)
		if err != nil {
			return total, fmt.Errorf("pruning the audit log: %w", err)
		}
		total += int(ct.RowsAffected())
		if ct.RowsAffected() == 0 {
			return total, nil
		}
	}
}

// RunAuditPruning prunes records older than retention now and then every
// interval until ctx ends. On several replicas each prunes; the deletes
// are idempotent.
func (s *DB) RunAuditPruning(ctx context.Context, interval, retention time.Duration, now func() time.Time) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if n, err := s.PruneAudit(ctx, now().Add(-retention)); err != nil {
			if ctx.Err() == nil {
				s.log.Warn("pruning the audit log", "err", err)
			}
		} else if n > 0 {
			s.log.Info("pruned the audit log", "records", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
