package teams

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/infracloudio/msbotbuilder-go/core/activity"
	"github.com/infracloudio/msbotbuilder-go/schema"

	"github.com/accountbot/accountbot/bot"
	"github.com/accountbot/accountbot/domain"
	"github.com/accountbot/accountbot/storage"
)

// RefStore keeps conversation references across restarts, keyed by ids:
// a person by tenant and user id, a channel by tenant, team and channel
// id. Display names and e-mails are only indexes, and an e-mail is bound
// to a person only in the home tenant (badger.DB implements it).
type RefStore interface {
	PutPersonRef(ctx context.Context, platform string, k storage.PersonKey, email, homeTenant string, ref []byte) (bool, error)
	PersonRefByEmail(ctx context.Context, platform, email string) (storage.PersonKey, []byte, bool, error)
	PutChannelRef(ctx context.Context, platform string, k storage.ChannelKey, name string, ref []byte) error
	ChannelRefByID(ctx context.Context, platform, tenant, channel string) (storage.ChannelKey, []byte, bool, error)
	ChannelRefByName(ctx context.Context, platform, tenant, name string) (storage.ChannelKey, []byte, bool, error)
}

// saveRefs records the conversation of an allowed activity under its
// ids. email is the sender's trusted e-mail ("" unless a full member of
// the home tenant), so only such a person can be reached by e-mail.
func (a *App) saveRefs(ctx context.Context, act schema.Activity, v Verdict, email string) {
	ids := IDsOf(act)
	if ids.Tenant == "" {
		return // the binder refuses these; nothing to key them by
	}
	ref := activity.GetCoversationReference(act)
	ref.ActivityID = "" // proactive messages start a new thread, not a reply
	if ids.Personal && ids.User != "" {
		home := ""
		if v.Home && email != "" {
			home = v.Tenant
		}
		b, _ := json.Marshal(Ref{Reference: ref, Email: email, UpdatedAt: a.Now()})
		if _, err := a.Refs.PutPersonRef(ctx, "teams", storage.PersonKey{Tenant: ids.Tenant, User: ids.User}, email, home, b); err != nil {
			a.Log.Error("saving a Teams conversation reference", "user", ids.User, "err", err)
		}
	}
	if ids.Channel != "" {
		ref.Conversation.ID = ids.Channel // the channel itself, not the thread the message was in
		b, _ := json.Marshal(Ref{Reference: ref, UpdatedAt: a.Now()})
		k := storage.ChannelKey{Tenant: ids.Tenant, Team: ids.Team, Channel: ids.Channel}
		if err := a.Refs.PutChannelRef(ctx, "teams", k, ids.ChannelName, b); err != nil {
			a.Log.Error("saving a Teams conversation reference", "channel", ids.Channel, "err", err)
		}
	}
}

// refTarget is a stored reference found for a recipient, and how to
// write it back (marked inactive).
type refTarget struct {
	raw  []byte
	save func(ctx context.Context, b []byte) error
}

// lookup finds the recipient's reference: a person by a home-tenant
// e-mail, a channel by id ("19:…") or by display name, in the home
// tenant(s) only.
func (a *App) lookup(ctx context.Context, to bot.Recipient) (refTarget, error) {
	homes, err := a.homeTenants(ctx)
	if err != nil {
		return refTarget{}, err
	}
	unknown := fmt.Errorf("%w: no Teams conversation with %s yet (install the app for them, or add it to the channel)", bot.ErrUnknownRecipient, to)
	if to.Email != "" {
		k, raw, ok, err := a.Refs.PersonRefByEmail(ctx, "teams", to.Email)
		switch {
		case err != nil:
			return refTarget{}, err
		case !ok || !contains(homes, k.Tenant): // bound while another tenant was home
			return refTarget{}, unknown
		}
		return refTarget{raw: raw, save: func(ctx context.Context, b []byte) error {
			_, err := a.Refs.PutPersonRef(ctx, "teams", k, "", "", b)
			return err
		}}, nil
	}
	var found []storage.ChannelKey
	var raw []byte
	for _, t := range homes {
		k, r, ok, err := a.channelIn(ctx, t, to.Channel)
		if err != nil {
			return refTarget{}, err
		}
		if ok {
			found, raw = append(found, k), r
		}
	}
	switch len(found) {
	case 0:
		return refTarget{}, unknown
	case 1:
		k := found[0]
		return refTarget{raw: raw, save: func(ctx context.Context, b []byte) error {
			return a.Refs.PutChannelRef(ctx, "teams", k, "", b)
		}}, nil
	}
	return refTarget{}, domain.Errorf(domain.EINVALID, "more than one home tenant has a channel called %q; name the channel by its id (19:…) in nudges.channels", to.Channel)
}

// channelIn finds a channel of tenant by id or by name.
func (a *App) channelIn(ctx context.Context, tenant, channel string) (storage.ChannelKey, []byte, bool, error) {
	if IsChannelID(channel) {
		return a.Refs.ChannelRefByID(ctx, "teams", tenant, strings.TrimSpace(channel))
	}
	return a.Refs.ChannelRefByName(ctx, "teams", tenant, channel)
}

// IsChannelID tells a Teams channel id (19:…@thread.tacv2, or the older
// @thread.skype) from a channel's display name.
func IsChannelID(s string) bool {
	s = strings.TrimSpace(s)
	return strings.HasPrefix(s, "19:") && strings.Contains(s, "@thread.")
}

// homeTenants are the tenants proactive messages may go to; none without
// a binder (tests that never send proactively).
func (a *App) homeTenants(ctx context.Context) ([]string, error) {
	if a.Binder == nil {
		return nil, nil
	}
	homes, err := a.Binder.HomeTenants(ctx)
	if err != nil {
		return nil, fmt.Errorf("reading the home tenant: %w", err)
	}
	return homes, nil
}

func contains(list []string, s string) bool {
	for _, e := range list {
		if strings.EqualFold(e, s) {
			return true
		}
	}
	return false
}

// DecodeLegacyRef reads an old name- and e-mail-keyed record (c/ table:
// "user:29:…", "email:…", "channel:<name or id>", "conv:…") for
// the store's MigrateLegacyRefs. Its tenant is the stored reference's
// conversation tenant; records without one, and "conv:" records (only a
// duplicate of the others), are dropped. A channel's team was never
// stored: the channel's next activity fills it in.
func DecodeLegacyRef(key string, v []byte) (storage.LegacyRef, bool) {
	var r Ref
	if json.Unmarshal(v, &r) != nil {
		return storage.LegacyRef{}, false
	}
	tenant := strings.ToLower(r.Reference.Conversation.TenantID)
	kind, rest, _ := strings.Cut(key, ":")
	if tenant == "" || rest == "" {
		return storage.LegacyRef{}, false
	}
	switch kind {
	case "user":
		return storage.LegacyRef{Person: &storage.PersonKey{Tenant: tenant, User: rest}, Email: r.Email, Ref: v}, true
	case "email":
		if r.Reference.User.ID == "" {
			return storage.LegacyRef{}, false
		}
		return storage.LegacyRef{Person: &storage.PersonKey{Tenant: tenant, User: r.Reference.User.ID}, Email: rest, Ref: v}, true
	case "channel":
		id, _, _ := strings.Cut(r.Reference.Conversation.ID, ";") // "19:…@thread.tacv2;messageid=…"
		if id == "" {
			return storage.LegacyRef{}, false
		}
		name := rest
		if strings.EqualFold(rest, id) {
			name = ""
		}
		r.Reference.Conversation.ID = id
		b, _ := json.Marshal(r)
		return storage.LegacyRef{Channel: &storage.ChannelKey{Tenant: tenant, Channel: id}, Name: name, Ref: b}, true
	}
	return storage.LegacyRef{}, false
}
