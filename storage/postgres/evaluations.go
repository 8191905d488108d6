package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/accountbot/accountbot/domain"
)

// Evaluation returns an account's stored evaluation, if any.
func (s *DB) Evaluation(ctx context.Context, id string) (domain.EvalRecord, bool, error) {
	var r domain.EvalRecord
	found, err := getJSON(ctx, s.pool, &r, `SELECT record FROM evaluations WHERE id = $1`, id)
	if err != nil {
		return r, false, fmt.Errorf("reading the evaluation of %s: %w", id, err)
	}
	return r, found, nil
}

// PutEvaluations stores records, replacing each account's previous one
// (its rank columns move with it), in one transaction.
func (s *DB) PutEvaluations(ctx context.Context, recs []domain.EvalRecord) error {
	for _, r := range recs {
		if err := checkPart("owner", r.Owner); err != nil && r.Owner != "" {
			return err
		}
	}
	b := &pgx.Batch{}
	for _, r := range recs {
		b.Queue(`INSERT INTO evaluations (id, owner, rank_key, record) VALUES ($1, $2, $3, $4)
			ON CONFLICT (id) DO UPDATE SET owner = EXCLUDED.owner, rank_key = EXCLUDED.rank_key, record = EXCLUDED.record`,
			r.ID, r.Owner, r.RankKey(), mustJSON(r))
	}
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error { return tx.SendBatch(ctx, b).Close() })
	if err != nil {
		return fmt.Errorf("storing evaluations: %w", err)
	}
	return nil
}

// DeleteEvaluation removes an account's stored evaluation (a deleted account).
func (s *DB) DeleteEvaluation(ctx context.Context, id string) error {
	if _, err := s.pool.Exec(ctx, `DELETE FROM evaluations WHERE id = $1`, id); err != nil {
		return fmt.Errorf("deleting the evaluation of %s: %w", id, err)
	}
	return nil
}

// ForEachEvaluation calls fn with every stored evaluation, in id order.
func (s *DB) ForEachEvaluation(ctx context.Context, fn func(domain.EvalRecord) error) error {
	rows, err := s.pool.Query(ctx, `SELECT record FROM evaluations ORDER BY id COLLATE "C"`)
	if err != nil {
		return fmt.Errorf("reading evaluations: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var b []byte
		if err := rows.Scan(&b); err != nil {
			return fmt.Errorf("reading evaluations: %w", err)
		}
		var r domain.EvalRecord
		if err := decodeJSON("an evaluation", b, &r); err != nil {
			return err
		}
		if err := fn(r); err != nil {
			return err
		}
	}
	return rows.Err()
}

// Ranked calls fn with account ids in rank order (most in need first), of
// one owner's accounts or, when book is true, of the whole book, until fn
// returns false.
func (s *DB) Ranked(ctx context.Context, owner string, book bool, fn func(id string) bool) error {
	q, args := `SELECT id FROM evaluations WHERE owner = $1 ORDER BY rank_key, id COLLATE "C"`, []any{owner}
	if book {
		q, args = `SELECT id FROM evaluations ORDER BY rank_key, id COLLATE "C"`, nil
	}
	rows, err := s.pool.Query(ctx, q, args...)
	if err != nil {
		return fmt.Errorf("reading ranks: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return fmt.Errorf("reading ranks: %w", err)
		}
		if !fn(id) {
			return nil
		}
	}
	return rows.Err()
}

// EvaluationOwners counts stored evaluations per owner ("" for unowned), in owner order.
func (s *DB) EvaluationOwners(ctx context.Context) ([]domain.OwnerCount, error) {
	rows, err := s.pool.Query(ctx, `SELECT owner, count(*) FROM evaluations GROUP BY owner ORDER BY owner COLLATE "C"`)
	if err != nil {
		return nil, fmt.Errorf("counting evaluations: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (domain.OwnerCount, error) {
		var o domain.OwnerCount
		var n int64
		err := r.Scan(&o.Owner, &n)
		o.Accounts = int(n)
		return o, err
	})
	if err != nil {
		return nil, fmt.Errorf("counting evaluations: %w", err)
	}
	return out, nil
}
