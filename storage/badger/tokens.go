package badger

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/accountbot/accountbot/storage"
	"time"

	"github.com/dgraph-io/badger/v4"

	"github.com/accountbot/accountbot/domain"
)

// API tokens and idempotency records (see the key layout in keys.go):
//
//	t/<token id>                       → JSON of Token; only the SHA-256 of the secret is kept
//	k/<token id> 00 <idempotency key>  → the stored answer to a request (opaque JSON), with a Badger TTL

func tokenKey(id string) []byte { return join(prefixToken, []byte(id)) }

// PutToken stores a new token; an existing id is a conflict.
func (s *DB) PutToken(ctx context.Context, t storage.Token) error {
	if !domain.ValidID(t.ID) {
		return domain.Errorf(domain.EINVALID, "token id %q is not valid", t.ID)
	}
	err := s.db.Update(func(txn *badger.Txn) error {
		if _, err := txn.Get(tokenKey(t.ID)); err == nil {
			return domain.Errorf(domain.ECONFLICT, "a token with id %s already exists", t.ID)
		}
		return txn.Set(tokenKey(t.ID), mustJSON(t))
	})
	if err != nil {
		return fmt.Errorf("storing token: %w", err)
	}
	return s.Sync()
}

// Token returns the token with the id (ENOTFOUND when there is none).
func (s *DB) Token(ctx context.Context, id string) (storage.Token, error) {
	var t storage.Token
	err := s.db.View(func(txn *badger.Txn) error {
		b, err := getValue(txn, tokenKey(id))
		if errors.Is(err, badger.ErrKeyNotFound) {
			return domain.Errorf(domain.ENOTFOUND, "no token with id %q", id)
		} else if err != nil {
			return fmt.Errorf("reading token %s: %w", id, err)
		}
		return json.Unmarshal(b, &t)
	})
	return t, err
}

// Tokens lists the tokens by id.
func (s *DB) Tokens(ctx context.Context) ([]storage.Token, error) {
	var out []storage.Token
	err := s.db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: prefixToken, PrefetchValues: true})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			var t storage.Token
			if err := it.Item().Value(func(b []byte) error { return json.Unmarshal(b, &t) }); err != nil {
				return fmt.Errorf("decoding token: %w", err)
			}
			out = append(out, t)
		}
		return nil
	})
	return out, err
}

// RevokeToken deletes a token; it stops working at once.
func (s *DB) RevokeToken(ctx context.Context, id string) error {
	err := s.db.Update(func(txn *badger.Txn) error {
		if _, err := txn.Get(tokenKey(id)); errors.Is(err, badger.ErrKeyNotFound) {
			return domain.Errorf(domain.ENOTFOUND, "no token with id %q (see `accountbot token list`)", id)
		}
		return txn.Delete(tokenKey(id))
	})
	if err != nil {
		return err
	}
	return s.Sync()
}

func idemKey(token, key string) []byte {
	return join(prefixIdem, []byte(token), []byte{sep}, []byte(key))
}

// Idempotent returns the answer stored for a token's idempotency key.
func (s *DB) Idempotent(ctx context.Context, token, key string) ([]byte, bool, error) {
	var out []byte
	err := s.db.View(func(txn *badger.Txn) error {
		b, err := getValue(txn, idemKey(token, key))
		if errors.Is(err, badger.ErrKeyNotFound) {
			return nil
		}
		out = b
		return err
	})
	if err != nil {
		return nil, false, fmt.Errorf("reading idempotency record: %w", err)
	}
	return out, out != nil, nil
}

// PutIdempotent stores the answer to a token's idempotency key for ttl,
// durably (a retry after a crash must still find it).
func (s *DB) PutIdempotent(ctx context.Context, token, key string, answer []byte, ttl time.Duration) error {
	err := s.db.Update(func(txn *badger.Txn) error {
		return txn.SetEntry(badger.NewEntry(idemKey(token, key), answer).WithTTL(ttl))
	})
	if err != nil {
		return fmt.Errorf("storing idempotency record: %w", err)
	}
	return s.Sync()
}
