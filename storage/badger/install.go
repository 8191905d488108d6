package badger

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/dgraph-io/badger/v4"

	"github.com/accountbot/accountbot/domain"
)

func installKey(platform string) []byte { return join([]byte("i/"), []byte(platform)) }

// Installation returns the workspace or tenant a platform adapter learned
// it is installed in, if any.
func (s *DB) Installation(ctx context.Context, platform string) (domain.Installation, bool, error) {
	var in domain.Installation
	found, err := s.getJSON(installKey(platform), &in)
	if err != nil {
		return in, false, fmt.Errorf("reading the %s installation: %w", platform, err)
	}
	return in, found, nil
}

// LearnInstallation records in as its platform's installation unless one
// is recorded already, and returns the recorded one with whether it was
// recorded now. The first writer wins atomically: two first requests from
// different workspaces cannot both be learned. Synced, because forgetting
// it after a power loss would let the next workspace be learned instead.
func (s *DB) LearnInstallation(ctx context.Context, in domain.Installation) (domain.Installation, bool, error) {
	if in.Platform == "" || in.Workspace == "" {
		return in, false, errors.New("learning an installation needs a platform and a workspace")
	}
	key := installKey(in.Platform)
	for range 5 {
		var cur domain.Installation
		learned := false
		err := s.db.Update(func(txn *badger.Txn) error {
			item, err := txn.Get(key)
			if err == nil {
				return item.Value(func(b []byte) error { return json.Unmarshal(b, &cur) })
			}
			if !errors.Is(err, badger.ErrKeyNotFound) {
				return err
			}
			cur, learned = in, true
			return txn.Set(key, mustJSON(in))
		})
		if errors.Is(err, badger.ErrConflict) {
			continue // another request learned one at the same moment: read it
		}
		if err != nil {
			return cur, false, fmt.Errorf("recording the %s installation: %w", in.Platform, err)
		}
		if learned {
			return cur, true, s.Sync()
		}
		return cur, false, nil
	}
	return in, false, fmt.Errorf("recording the %s installation: too many concurrent attempts", in.Platform)
}

// ForgetInstallation removes a learned installation, so that the next
// request's workspace is learned again (after moving the app).
func (s *DB) ForgetInstallation(ctx context.Context, platform string) error {
	if err := s.db.Update(func(txn *badger.Txn) error { return txn.Delete(installKey(platform)) }); err != nil {
		return fmt.Errorf("forgetting the %s installation: %w", platform, err)
	}
	return s.Sync()
}
