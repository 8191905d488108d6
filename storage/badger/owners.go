package badger

import (
	"context"
	"fmt"
	"strings"

	"github.com/dgraph-io/badger/v4"
)

// OwnsAccounts reports whether the e-mail owns at least one account: what
// makes someone a known CSM (domain.Principal.InBook). It reads one key
// of the owner index, so it is cheap enough for every request.
func (s *DB) OwnsAccounts(ctx context.Context, email string) (bool, error) {
	email = strings.ToLower(strings.TrimSpace(email))
	if email == "" || strings.ContainsRune(email, sep) {
		return false, nil
	}
	p := join(prefixOwnerIdx, []byte(email), []byte{sep})
	found := false
	err := s.db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: p})
		defer it.Close()
		it.Rewind()
		found = it.Valid()
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("looking up the accounts of %s: %w", email, err)
	}
	return found, nil
}
