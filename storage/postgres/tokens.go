package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/accountbot/accountbot/domain"
	"github.com/accountbot/accountbot/storage"
)

// PutToken stores a new token; an existing id is a conflict.
func (s *DB) PutToken(ctx context.Context, t storage.Token) error {
	if !domain.ValidID(t.ID) {
		return domain.Errorf(domain.EINVALID, "token id %q is not valid", t.ID)
	}
	ct, err := s.pool.Exec(ctx, `INSERT INTO tokens (id, token) VALUES ($1, $2) ON CONFLICT DO NOTHING`, t.ID, mustJSON(t))
	if err != nil {
		return fmt.Errorf("storing token: %w", err)
	}
	if ct.RowsAffected() == 0 {
		return fmt.Errorf("storing token: %w", domain.Errorf(domain.ECONFLICT, "a token with id %s already exists", t.ID))
	}
	return nil
}

// Token returns the token with the id (ENOTFOUND when there is none).
func (s *DB) Token(ctx context.Context, id string) (storage.Token, error) {
	var t storage.Token
	found, err := getJSON(ctx, s.pool, &t, `SELECT token FROM tokens WHERE id = $1`, id)
	if err != nil {
		return t, fmt.Errorf("reading token %s: %w", id, err)
	}
	if !found {
		return t, domain.Errorf(domain.ENOTFOUND, "no token with id %q", id)
	}
	return t, nil
}

// Tokens lists the tokens by id.
func (s *DB) Tokens(ctx context.Context) ([]storage.Token, error) {
	out, err := collectJSON[storage.Token](ctx, s.pool, `SELECT token FROM tokens ORDER BY id COLLATE "C"`)
	if err != nil {
		return nil, fmt.Errorf("reading tokens: %w", err)
	}
	return out, nil
}

// RevokeToken deletes a token; it stops working at once.
func (s *DB) RevokeToken(ctx context.Context, id string) error {
	ct, err := s.pool.Exec(ctx, `DELETE FROM tokens WHERE id = $1`, id)
	if err != nil {
		return fmt.Errorf("revoking token %s: %w", id, err)
	}
	if ct.RowsAffected() == 0 {
		return domain.Errorf(domain.ENOTFOUND, "no token with id %q (see `accountbot token list`)", id)
	}
	return nil
}

// Idempotent returns the answer stored for a token's idempotency key.
func (s *DB) Idempotent(ctx context.Context, token, key string) ([]byte, bool, error) {
	var b []byte
	err := s.pool.QueryRow(ctx, `SELECT answer FROM idempotency WHERE token = $1 AND key = $2 AND expires_at > $3`,
		token, key, time.Now()).Scan(&b)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, false, nil
	} else if err != nil {
		return nil, false, fmt.Errorf("reading idempotency record: %w", err)
	}
	return b, true, nil
}

// PutIdempotent stores the answer to a token's idempotency key for ttl.
func (s *DB) PutIdempotent(ctx context.Context, token, key string, answer []byte, ttl time.Duration) error {
	if answer == nil {
		answer = []byte{}
	}
	_, err := s.pool.Exec(ctx, `INSERT INTO idempotency (token, key, answer, expires_at) VALUES ($1, $2, $3, $4)
		ON CONFLICT (token, key) DO UPDATE SET answer = EXCLUDED.answer, expires_at = EXCLUDED.expires_at`,
		token, key, answer, time.Now().Add(ttl))
	if err != nil {
		return fmt.Errorf("storing idempotency record: %w", err)
	}
	return nil
}
