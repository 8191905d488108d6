package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/accountbot/accountbot/domain"
	"github.com/accountbot/accountbot/storage"
)

// Conversation references keyed by platform ids (see storage/badger/refs.go for
// why: a channel is its tenant, team and channel ids; a person their
// tenant and user id; an e-mail leads to a person only in the home tenant).

func checkParts(what string, parts ...string) error {
	for _, p := range parts {
		if p == "" || containsNUL(p) {
			return fmt.Errorf("%s: every id must be non-empty and free of NUL bytes", what)
		}
	}
	return nil
}

// PutChannelRef stores a channel's conversation reference under its ids,
// with its display name (normalised) for lookups within its tenant.
func (s *DB) PutChannelRef(ctx context.Context, platform string, k storage.ChannelKey, name string, ref []byte) error {
	if err := checkParts("channel reference", platform, k.Tenant, k.Channel); err != nil {
		return err
	}
	name = storage.NormalizeChannelName(name)
	if containsNUL(name + k.Team) {
		return errors.New("channel reference: NUL byte in the name or team")
	}
	err := s.tx(ctx, func(tx pgx.Tx) error {
		var oldName string
		err := tx.QueryRow(ctx, `SELECT name FROM channel_refs WHERE platform = $1 AND tenant = $2 AND team = $3 AND channel = $4 FOR UPDATE`,
			platform, k.Tenant, k.Team, k.Channel).Scan(&oldName)
		if err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return err
		}
		if k.Team != "" {
			// A migrated record knew no team: the first write by ids
			// absorbs it (and its name), so one channel is one record.
			var legacy string
			err := tx.QueryRow(ctx, `DELETE FROM channel_refs WHERE platform = $1 AND tenant = $2 AND team = '' AND channel = $3 RETURNING name`,
				platform, k.Tenant, k.Channel).Scan(&legacy)
			if err != nil && !errors.Is(err, pgx.ErrNoRows) {
				return err
			}
			if oldName == "" {
				oldName = legacy
			}
		}
		if name == "" { // most activities carry no channel name: keep the one known
			name = oldName
		}
		_, err = tx.Exec(ctx, `INSERT INTO channel_refs (platform, tenant, team, channel, name, ref) VALUES ($1, $2, $3, $4, $5, $6)
			ON CONFLICT (platform, tenant, team, channel) DO UPDATE SET name = EXCLUDED.name, ref = EXCLUDED.ref`,
			platform, k.Tenant, k.Team, k.Channel, name, ref)
		return err
	})
	if err != nil {
		return fmt.Errorf("saving the reference of channel %s: %w", k.Channel, err)
	}
	return nil
}

// ChannelRef returns a channel's reference by its ids.
func (s *DB) ChannelRef(ctx context.Context, platform string, k storage.ChannelKey) ([]byte, bool, error) {
	var ref []byte
	err := s.pool.QueryRow(ctx, `SELECT ref FROM channel_refs WHERE platform = $1 AND tenant = $2 AND team = $3 AND channel = $4`,
		platform, k.Tenant, k.Team, k.Channel).Scan(&ref)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, false, nil
	} else if err != nil {
		return nil, false, fmt.Errorf("reading the reference of channel %s: %w", k.Channel, err)
	}
	return ref, true, nil
}

// ChannelRefByName finds a channel by display name within one tenant. A
// name used by channels of two teams is an error that asks for the id.
func (s *DB) ChannelRefByName(ctx context.Context, platform, tenant, name string) (storage.ChannelKey, []byte, bool, error) {
	name = storage.NormalizeChannelName(name)
	if tenant == "" || name == "" {
		return storage.ChannelKey{}, nil, false, nil
	}
	rows, err := s.pool.Query(ctx, `SELECT team, channel, ref FROM channel_refs WHERE platform = $1 AND tenant = $2 AND name = $3
		ORDER BY team COLLATE "C", channel COLLATE "C" LIMIT 2`, platform, tenant, name)
	if err != nil {
		return storage.ChannelKey{}, nil, false, fmt.Errorf("finding channel %q: %w", name, err)
	}
	type hit struct {
		k   storage.ChannelKey
		ref []byte
	}
	hits, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (hit, error) {
		h := hit{k: storage.ChannelKey{Tenant: tenant}}
		return h, r.Scan(&h.k.Team, &h.k.Channel, &h.ref)
	})
	if err != nil {
		return storage.ChannelKey{}, nil, false, fmt.Errorf("finding channel %q: %w", name, err)
	}
	switch len(hits) {
	case 0:
		return storage.ChannelKey{}, nil, false, nil
	case 1:
		return hits[0].k, hits[0].ref, true, nil
	}
	return storage.ChannelKey{}, nil, false, domain.Errorf(domain.EINVALID, "more than one channel is called %q; name the channel by its id in nudges.channels", name)
}

// PutPersonRef stores a person's reference under their tenant and user id;
// the e-mail is bound to them only when their tenant is homeTenant. It
// reports whether it bound it.
func (s *DB) PutPersonRef(ctx context.Context, platform string, k storage.PersonKey, email, homeTenant string, ref []byte) (bool, error) {
	if err := checkParts("person reference", platform, k.Tenant, k.User); err != nil {
		return false, err
	}
	email = strings.ToLower(strings.TrimSpace(email))
	bind := email != "" && homeTenant != "" && k.Tenant == homeTenant && !containsNUL(email)
	stored := ""
	if bind {
		stored = email
	}
	err := s.tx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO person_refs (platform, tenant, user_id, email, ref) VALUES ($1, $2, $3, $4, $5)
			ON CONFLICT (platform, tenant, user_id) DO UPDATE SET email = EXCLUDED.email, ref = EXCLUDED.ref`,
			platform, k.Tenant, k.User, stored, ref); err != nil {
			return err
		}
		if !bind {
			return nil
		}
		_, err := tx.Exec(ctx, `INSERT INTO person_emails (platform, email, tenant, user_id) VALUES ($1, $2, $3, $4)
			ON CONFLICT (platform, email) DO UPDATE SET tenant = EXCLUDED.tenant, user_id = EXCLUDED.user_id`,
			platform, email, k.Tenant, k.User)
		return err
	})
	if err != nil {
		return false, fmt.Errorf("saving the reference of user %s: %w", k.User, err)
	}
	return bind, nil
}

// PersonRef returns a person's reference by tenant and user id.
func (s *DB) PersonRef(ctx context.Context, platform string, k storage.PersonKey) ([]byte, bool, error) {
	var ref []byte
	err := s.pool.QueryRow(ctx, `SELECT ref FROM person_refs WHERE platform = $1 AND tenant = $2 AND user_id = $3`,
		platform, k.Tenant, k.User).Scan(&ref)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, false, nil
	} else if err != nil {
		return nil, false, fmt.Errorf("reading the reference of user %s: %w", k.User, err)
	}
	return ref, true, nil
}

// PersonRefByEmail follows a home-tenant e-mail to the person's reference.
func (s *DB) PersonRefByEmail(ctx context.Context, platform, email string) (storage.PersonKey, []byte, bool, error) {
	var k storage.PersonKey
	err := s.pool.QueryRow(ctx, `SELECT tenant, user_id FROM person_emails WHERE platform = $1 AND email = $2`,
		platform, strings.ToLower(strings.TrimSpace(email))).Scan(&k.Tenant, &k.User)
	if errors.Is(err, pgx.ErrNoRows) {
		return k, nil, false, nil
	} else if err != nil {
		return k, nil, false, fmt.Errorf("reading the reference of %s: %w", email, err)
	}
	ref, ok, err := s.PersonRef(ctx, platform, k)
	return k, ref, ok, err
}

// MigrateLegacyRefs moves the platform's legacy references (PutRef) to the
// id-keyed tables, as the Badger store's does; see badger.DB.MigrateLegacyRefs.
func (s *DB) MigrateLegacyRefs(ctx context.Context, platform string, homeTenants []string, decode func(key string, v []byte) (storage.LegacyRef, bool)) (moved, dropped int, err error) {
	rows, err := s.pool.Query(ctx, `SELECT key, value FROM legacy_refs WHERE platform = $1 ORDER BY key`, platform)
	if err != nil {
		return 0, 0, fmt.Errorf("reading old conversation references: %w", err)
	}
	type old struct {
		key string
		val []byte
	}
	olds, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (old, error) {
		var o old
		return o, r.Scan(&o.key, &o.val)
	})
	if err != nil {
		return 0, 0, fmt.Errorf("reading old conversation references: %w", err)
	}
	for _, o := range olds {
		lr, ok := decode(o.key, o.val)
		switch m, err := storage.MoveLegacyRef(ctx, s, platform, homeTenants, lr, ok); {
		case err != nil:
			return moved, dropped, err
		case m:
			moved++
		default:
			dropped++
		}
		if _, err := s.pool.Exec(ctx, `DELETE FROM legacy_refs WHERE platform = $1 AND key = $2`, platform, o.key); err != nil {
			return moved, dropped, fmt.Errorf("deleting an old conversation reference: %w", err)
		}
	}
	return moved, dropped, nil
}

// ChannelRefByID finds a channel by its id within one tenant (nudge
// channel rules may name a channel by id without its team's id).
func (s *DB) ChannelRefByID(ctx context.Context, platform, tenant, channel string) (storage.ChannelKey, []byte, bool, error) {
	if tenant == "" || channel == "" || containsNUL(tenant+channel) {
		return storage.ChannelKey{}, nil, false, nil
	}
	k := storage.ChannelKey{Tenant: tenant, Channel: channel}
	var ref []byte
	err := s.pool.QueryRow(ctx, `SELECT team, ref FROM channel_refs WHERE platform = $1 AND tenant = $2 AND channel = $3
		ORDER BY team COLLATE "C" LIMIT 1`, platform, tenant, channel).Scan(&k.Team, &ref)
	if errors.Is(err, pgx.ErrNoRows) {
		return storage.ChannelKey{}, nil, false, nil
	} else if err != nil {
		return storage.ChannelKey{}, nil, false, fmt.Errorf("finding channel %s: %w", channel, err)
	}
	return k, ref, true, nil
}
