package storage

import (
	"context"
	"slices"
	"strings"
)

// ChannelKey names a channel: Teams tenant id, team id, channel id (the
// conversation id of the channel).
type ChannelKey struct{ Tenant, Team, Channel string }

// PersonKey names a person's conversation: tenant id and platform user id.
type PersonKey struct{ Tenant, User string }

// NormalizeChannelName is how channel names are compared: "#Renewals " → "renewals".
func NormalizeChannelName(name string) string {
	return strings.ToLower(strings.TrimPrefix(strings.TrimSpace(name), "#"))
}

// LegacyRef is what a platform adapter reads out of an old c/ record for
// MigrateLegacyRefs: a person or a channel, by ids.
type LegacyRef struct {
	Person  *PersonKey
	Email   string
	Channel *ChannelKey
	Name    string // the channel's display name
	Ref     []byte // the value to store under the new key
}

// refWriter is what moving a legacy reference needs from a store.
type refWriter interface {
	PutPersonRef(ctx context.Context, platform string, k PersonKey, email, homeTenant string, ref []byte) (bool, error)
	PutChannelRef(ctx context.Context, platform string, k ChannelKey, name string, ref []byte) error
}

// MoveLegacyRef settles one old reference for every backend's
// MigrateLegacyRefs: a record that was read (ok) and belongs to a home
// tenant is written under its ids (moved); any other is dropped.
func MoveLegacyRef(ctx context.Context, w refWriter, platform string, homeTenants []string, lr LegacyRef, ok bool) (moved bool, err error) {
	home := func(t string) bool { return t != "" && slices.Contains(homeTenants, t) }
	switch {
	case !ok:
		return false, nil
	case lr.Person != nil && home(lr.Person.Tenant):
		_, err := w.PutPersonRef(ctx, platform, *lr.Person, lr.Email, lr.Person.Tenant, lr.Ref)
		return err == nil, err
	case lr.Channel != nil && home(lr.Channel.Tenant):
		err := w.PutChannelRef(ctx, platform, *lr.Channel, lr.Name, lr.Ref)
		return err == nil, err
	}
	return false, nil
}
