package badger

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/dgraph-io/badger/v4"

	"github.com/accountbot/accountbot/domain"
)

// Rules versions (see the layout in keys.go):
//
//	v/<version:4>  → JSON of domain.RulesVersion (access left out: it is not versioned)
//	m/rulesversion → uint32 BE: the version in force (the highest)
//	m/rulesfile    → JSON of the config file's rules as last seen (domain.Config without access)
var (
	prefixRules  = []byte("v/")
	keyRulesFile = []byte("m/rulesfile")
	keyRulesHead = []byte("m/rulesversion")
)

func rulesKey(v int) []byte {
	var b [4]byte
	binary.BigEndian.PutUint32(b[:], uint32(v))
	return join(prefixRules, b[:])
}

// RulesVersions returns every rules version, oldest first (a handful: one
// per applied change).
func (s *DB) RulesVersions(ctx context.Context) ([]domain.RulesVersion, error) {
	var out []domain.RulesVersion
	err := s.db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: prefixRules, PrefetchValues: true})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			v := domain.RulesVersion{Rules: domain.DefaultConfig()}
			if err := it.Item().Value(func(b []byte) error { return json.Unmarshal(b, &v) }); err != nil {
				return fmt.Errorf("decoding rules version %x: %w", it.Item().Key(), err)
			}
			out = append(out, v)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("reading rules versions: %w", err)
	}
	return out, nil
}

// LatestRules returns the rules version in force, if any was recorded.
func (s *DB) LatestRules(ctx context.Context) (domain.RulesVersion, bool, error) {
	var v domain.RulesVersion
	found := false
	err := s.db.View(func(txn *badger.Txn) error {
		var err error
		v, found, err = latestRules(txn)
		return err
	})
	if err != nil {
		return v, false, fmt.Errorf("reading the current rules version: %w", err)
	}
	return v, found, nil
}

// RulesVersion returns version n.
func (s *DB) RulesVersion(ctx context.Context, n int) (domain.RulesVersion, error) {
	v := domain.RulesVersion{Rules: domain.DefaultConfig()}
	found, err := s.getJSON(rulesKey(n), &v)
	if err != nil {
		return v, fmt.Errorf("reading rules v%d: %w", n, err)
	}
	if !found || n < 1 {
		return v, domain.Errorf(domain.ENOTFOUND, "there is no rules version v%d: `accountbot rules history` lists them", n)
	}
	return v, nil
}

// latestRules reads the version in force through m/rulesversion, so two
// transactions adding a version conflict (Badger tracks keys read by Get).
func latestRules(txn *badger.Txn) (domain.RulesVersion, bool, error) {
	v := domain.RulesVersion{Rules: domain.DefaultConfig()}
	item, err := txn.Get(keyRulesHead)
	if errors.Is(err, badger.ErrKeyNotFound) {
		return v, false, nil
	} else if err != nil {
		return v, false, err
	}
	b, err := item.ValueCopy(nil)
	if err != nil || len(b) != 4 {
		return v, false, fmt.Errorf("reading m/rulesversion: %v (%d bytes)", err, len(b))
	}
	if item, err = txn.Get(rulesKey(int(binary.BigEndian.Uint32(b)))); err != nil {
		return v, false, err
	}
	err = item.Value(func(b []byte) error { return json.Unmarshal(b, &v) })
	return v, err == nil, err
}

// AddRulesVersion records v as the next version: it numbers it and works
// out its changes against the version in force, in one transaction, and
// syncs it to disk. With file set, it is remembered as the config file's
// rules as last seen (RulesFile) in the same transaction.
func (s *DB) AddRulesVersion(ctx context.Context, v domain.RulesVersion, file *domain.Config) (domain.RulesVersion, error) {
	v.Rules.Access = domain.AccessConfig{}
	for range 5 {
		err := s.db.Update(func(txn *badger.Txn) error {
			prev, found, err := latestRules(txn)
			if err != nil {
				return err
			}
			v.Version, v.Changes = 1, nil
			if found {
				v.Version, v.Changes = prev.Version+1, domain.DiffRules(prev.Rules, v.Rules)
			}
			if err := txn.Set(rulesKey(v.Version), mustJSON(v)); err != nil {
				return err
			}
			if err := txn.Set(keyRulesHead, rulesKey(v.Version)[len(prefixRules):]); err != nil {
				return err
			}
			if file != nil {
				return txn.Set(keyRulesFile, rulesFileJSON(*file))
			}
			return nil
		})
		if errors.Is(err, badger.ErrConflict) {
			continue // another apply numbered the same version: number again
		}
		if err != nil {
			return v, fmt.Errorf("recording rules version: %w", err)
		}
		return v, s.Sync()
	}
	return v, fmt.Errorf("recording rules version: too many concurrent attempts")
}

func rulesFileJSON(c domain.Config) []byte {
	c.Access = domain.AccessConfig{}
	return mustJSON(c)
}

// RulesFile returns the config file's rules as last seen, read over the
// defaults (a key added since keeps its default), if any were recorded.
func (s *DB) RulesFile(ctx context.Context) (domain.Config, bool, error) {
	c := domain.DefaultConfig()
	found, err := s.getJSON(keyRulesFile, &c)
	if err != nil {
		return c, false, fmt.Errorf("reading the config file's rules as last seen: %w", err)
	}
	return c, found, nil
}

// SetRulesFile remembers the config file's rules as seen, without
// recording a version.
func (s *DB) SetRulesFile(ctx context.Context, c domain.Config) error {
	if err := s.db.Update(func(txn *badger.Txn) error { return txn.Set(keyRulesFile, rulesFileJSON(c)) }); err != nil {
		return fmt.Errorf("recording the config file's rules: %w", err)
	}
	return nil
}
