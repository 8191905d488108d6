package badger

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/accountbot/accountbot/storage"
	"strings"

	"github.com/dgraph-io/badger/v4"

	"github.com/accountbot/accountbot/domain"
)

// Conversation references keyed by platform ids. The older c/ table keyed
// channels by display name (last writer wins, so any tenant's "Renewals"
// took over our reminders) and people by an e-mail from any tenant's
// member lookup. Here a channel is its tenant, team and channel ids; a
// person is their tenant and user id; and an e-mail leads to a person only
// when that person is in the home tenant.

var prefixRef = []byte("r/")

func refPrefix(platform, kind string, parts ...string) []byte {
	b := join(prefixRef, []byte(platform), []byte{sep}, []byte(kind))
	for _, p := range parts {
		b = join(b, []byte{sep}, []byte(p))
	}
	return b
}

func channelRefKey(platform string, k storage.ChannelKey) []byte {
	return refPrefix(platform, "ch", k.Tenant, k.Team, k.Channel)
}
func channelNameKey(platform, tenant, name string, k storage.ChannelKey) []byte {
	return refPrefix(platform, "cn", tenant, name, k.Team, k.Channel)
}
func personRefKey(platform string, k storage.PersonKey) []byte {
	return refPrefix(platform, "pu", k.Tenant, k.User)
}
func personEmailKey(platform, email string) []byte { return refPrefix(platform, "pe", email) }

type channelRecord struct {
	Name string          `json:"name,omitempty"`
	Ref  json.RawMessage `json:"ref"`
}

type personRecord struct {
	Email string          `json:"email,omitempty"`
	Ref   json.RawMessage `json:"ref"`
}

func checkParts(what string, parts ...string) error {
	for _, p := range parts {
		if p == "" || strings.ContainsRune(p, sep) {
			return fmt.Errorf("%s: every id must be non-empty and free of NUL bytes", what)
		}
	}
	return nil
}

// PutChannelRef stores a channel's conversation reference (opaque JSON)
// under its ids, with its display name indexed within its tenant. A
// renamed channel's old name is removed from the index.
func (s *DB) PutChannelRef(ctx context.Context, platform string, k storage.ChannelKey, name string, ref []byte) error {
	if err := checkParts("channel reference", platform, k.Tenant, k.Channel); err != nil {
		return err
	}
	name = storage.NormalizeChannelName(name)
	if strings.ContainsRune(name+k.Team, sep) {
		return errors.New("channel reference: NUL byte in the name or team")
	}
	err := s.db.Update(func(txn *badger.Txn) error {
		old := readChannel(txn, platform, k)
		if k.Team != "" {
			// A migrated record knew no team: the first write by ids
			// absorbs it (and its name), so one channel is one record.
			teamless := storage.ChannelKey{Tenant: k.Tenant, Channel: k.Channel}
			if legacy := readChannel(txn, platform, teamless); legacy.Ref != nil {
				if err := deleteChannel(txn, platform, teamless, legacy.Name); err != nil {
					return err
				}
				if old.Name == "" {
					old.Name = legacy.Name
				}
			}
		}
		if name == "" { // most activities carry no channel name: keep the one known
			name = old.Name
		}
		if old.Name != "" && old.Name != name {
			if err := txn.Delete(channelNameKey(platform, k.Tenant, old.Name, k)); err != nil {
				return err
			}
		}
		if name != "" {
			if err := txn.Set(channelNameKey(platform, k.Tenant, name, k), nil); err != nil {
				return err
			}
		}
		return txn.Set(channelRefKey(platform, k), mustJSON(channelRecord{Name: name, Ref: ref}))
	})
	if err != nil {
		return fmt.Errorf("saving the reference of channel %s: %w", k.Channel, err)
	}
	return s.Sync()
}

func readChannel(txn *badger.Txn, platform string, k storage.ChannelKey) channelRecord {
	var rec channelRecord
	if v, err := getValue(txn, channelRefKey(platform, k)); err == nil {
		_ = json.Unmarshal(v, &rec)
	}
	return rec
}

func deleteChannel(txn *badger.Txn, platform string, k storage.ChannelKey, name string) error {
	if name != "" {
		if err := txn.Delete(channelNameKey(platform, k.Tenant, name, k)); err != nil {
			return err
		}
	}
	return txn.Delete(channelRefKey(platform, k))
}

// ChannelRefByID finds a channel by its id within one tenant (nudge
// channel rules may name a channel by id without its team's id).
func (s *DB) ChannelRefByID(ctx context.Context, platform, tenant, channel string) (storage.ChannelKey, []byte, bool, error) {
	if tenant == "" || channel == "" || strings.ContainsRune(tenant+channel, sep) {
		return storage.ChannelKey{}, nil, false, nil
	}
	p := join(refPrefix(platform, "ch", tenant), []byte{sep})
	var k storage.ChannelKey
	var rec channelRecord
	found := false
	err := s.db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: p})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			team, ch, ok := bytes.Cut(it.Item().Key()[len(p):], []byte{sep})
			if !ok || string(ch) != channel {
				continue
			}
			k, found = storage.ChannelKey{Tenant: tenant, Team: string(team), Channel: channel}, true
			return it.Item().Value(func(v []byte) error { return json.Unmarshal(v, &rec) })
		}
		return nil
	})
	if err != nil {
		return storage.ChannelKey{}, nil, false, fmt.Errorf("finding channel %s: %w", channel, err)
	}
	return k, rec.Ref, found, nil
}

// ChannelRef returns a channel's reference by its ids.
func (s *DB) ChannelRef(ctx context.Context, platform string, k storage.ChannelKey) ([]byte, bool, error) {
	var rec channelRecord
	found, err := s.getJSON(channelRefKey(platform, k), &rec)
	if err != nil {
		return nil, false, fmt.Errorf("reading the reference of channel %s: %w", k.Channel, err)
	}
	return rec.Ref, found, nil
}

// ChannelRefByName finds a channel by display name within one tenant (the
// home tenant: channel routing by name never looks anywhere else). A name
// used by channels of two teams is an error that asks for the id.
func (s *DB) ChannelRefByName(ctx context.Context, platform, tenant, name string) (storage.ChannelKey, []byte, bool, error) {
	name = storage.NormalizeChannelName(name)
	if tenant == "" || name == "" {
		return storage.ChannelKey{}, nil, false, nil
	}
	p := join(refPrefix(platform, "cn", tenant, name), []byte{sep})
	var found []storage.ChannelKey
	err := s.db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: p})
		defer it.Close()
		for it.Rewind(); it.Valid() && len(found) < 2; it.Next() {
			team, channel, ok := bytes.Cut(it.Item().Key()[len(p):], []byte{sep})
			if ok {
				found = append(found, storage.ChannelKey{Tenant: tenant, Team: string(team), Channel: string(channel)})
			}
		}
		return nil
	})
	if err != nil {
		return storage.ChannelKey{}, nil, false, fmt.Errorf("finding channel %q: %w", name, err)
	}
	switch len(found) {
	case 0:
		return storage.ChannelKey{}, nil, false, nil
	case 1:
		ref, ok, err := s.ChannelRef(ctx, platform, found[0])
		return found[0], ref, ok, err
	}
	return storage.ChannelKey{}, nil, false, domain.Errorf(domain.EINVALID, "more than one channel is called %q; name the channel by its id in nudges.channels", name)
}

// PutPersonRef stores a person's conversation reference under their
// tenant and user id. The e-mail is bound to them (so that e-mail nudges
// reach them) only when their tenant is homeTenant: an e-mail from any
// other tenant's directory means nothing. It reports whether it bound it.
func (s *DB) PutPersonRef(ctx context.Context, platform string, k storage.PersonKey, email, homeTenant string, ref []byte) (bool, error) {
	if err := checkParts("person reference", platform, k.Tenant, k.User); err != nil {
		return false, err
	}
	email = strings.ToLower(strings.TrimSpace(email))
	bind := email != "" && homeTenant != "" && k.Tenant == homeTenant && !strings.ContainsRune(email, sep)
	rec := personRecord{Ref: ref}
	if bind {
		rec.Email = email
	}
	err := s.db.Update(func(txn *badger.Txn) error {
		if err := txn.Set(personRefKey(platform, k), mustJSON(rec)); err != nil {
			return err
		}
		if !bind {
			return nil
		}
		return txn.Set(personEmailKey(platform, email), mustJSON(k))
	})
	if err != nil {
		return false, fmt.Errorf("saving the reference of user %s: %w", k.User, err)
	}
	return bind, s.Sync()
}

// PersonRef returns a person's reference by tenant and user id.
func (s *DB) PersonRef(ctx context.Context, platform string, k storage.PersonKey) ([]byte, bool, error) {
	var rec personRecord
	found, err := s.getJSON(personRefKey(platform, k), &rec)
	if err != nil {
		return nil, false, fmt.Errorf("reading the reference of user %s: %w", k.User, err)
	}
	return rec.Ref, found, nil
}

// PersonRefByEmail follows a home-tenant e-mail to the person's reference.
func (s *DB) PersonRefByEmail(ctx context.Context, platform, email string) (storage.PersonKey, []byte, bool, error) {
	var k storage.PersonKey
	found, err := s.getJSON(personEmailKey(platform, strings.ToLower(strings.TrimSpace(email))), &k)
	if err != nil || !found {
		if err != nil {
			err = fmt.Errorf("reading the reference of %s: %w", email, err)
		}
		return k, nil, false, err
	}
	ref, ok, err := s.PersonRef(ctx, platform, k)
	return k, ref, ok, err
}

// MigrateLegacyRefs moves the platform's old c/ references to the id-keyed
// table and deletes every old key, including the name- and e-mail-keyed
// ones that could be hijacked. decode reads an old record (its key, such
// as "user:29:1abc", and value); records it cannot read, and records from
// any tenant but homeTenant, are dropped: those people and channels are
// recorded again the next time they write to the bot. Run it once, after
// the home tenant(s) are known, before serving.
func (s *DB) MigrateLegacyRefs(ctx context.Context, platform string, homeTenants []string, decode func(key string, v []byte) (storage.LegacyRef, bool)) (moved, dropped int, err error) {
	p := join([]byte("c/"), []byte(platform), []byte{sep})
	type old struct {
		key []byte
		val []byte
	}
	var olds []old
	err = s.db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: p, PrefetchValues: true})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			v, err := it.Item().ValueCopy(nil)
			if err != nil {
				return err
			}
			olds = append(olds, old{it.Item().KeyCopy(nil), v})
		}
		return nil
	})
	if err != nil {
		return 0, 0, fmt.Errorf("reading old conversation references: %w", err)
	}
	for _, o := range olds {
		lr, ok := decode(string(o.key[len(p):]), o.val)
		switch m, err := storage.MoveLegacyRef(ctx, s, platform, homeTenants, lr, ok); {
		case err != nil:
			return moved, dropped, err
		case m:
			moved++
		default:
			dropped++
		}
		if err := s.db.Update(func(txn *badger.Txn) error { return txn.Delete(o.key) }); err != nil {
			return moved, dropped, fmt.Errorf("deleting an old conversation reference: %w", err)
		}
	}
	return moved, dropped, s.Sync()
}
