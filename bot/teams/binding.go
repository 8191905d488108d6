package teams

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/infracloudio/msbotbuilder-go/schema"

	"github.com/accountbot/accountbot/domain"
	"github.com/accountbot/accountbot/internal/logonce"
)

// NotInstalledText is the whole answer to an activity from a tenant the
// bot is not bound to.
const NotInstalledText = "This app is not installed here."

// BindingConfig is the home tenant(s). Empty: the first tenant that
// reaches the bot is learned and recorded, and others refused from then on.
type BindingConfig struct {
	TenantIDs []string
}

// InstallStore records the learned tenant (storage.DB does).
type InstallStore interface {
	LearnInstallation(ctx context.Context, in domain.Installation) (domain.Installation, bool, error)
	Installation(ctx context.Context, platform string) (domain.Installation, bool, error)
}

// Verdict is the binding's answer for one activity.
type Verdict struct {
	Allowed bool
	// Home: the activity comes from the home tenant, so the member lookup's
	// e-mail may be trusted (after PrincipalFor's own checks).
	Home   bool
	Tenant string // the activity's tenant, for the audit log
	Reason string
	// Audit is the record of a refusal; append it to the audit log.
	Audit *domain.AuditEntry
}

// Binder decides whether an (authenticated) activity comes from the home
// tenant. Call it after the JWT check and before anything else.
type Binder struct {
	cfg   BindingConfig
	store InstallStore
	log   *slog.Logger

	mu     sync.Mutex
	home   string
	logged *logonce.Set // refused sources already logged
}

// NewBinder returns a binder for cfg; store records a learned tenant.
func NewBinder(cfg BindingConfig, store InstallStore, log *slog.Logger) *Binder {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	ids := make([]string, len(cfg.TenantIDs))
	for i, t := range cfg.TenantIDs {
		ids[i] = strings.ToLower(strings.TrimSpace(t))
	}
	cfg.TenantIDs = ids
	return &Binder{cfg: cfg, store: store, log: log, logged: logonce.New(1024)}
}

// ActivityTenant is the activity's tenant id: conversation.tenantId and
// channelData.tenant.id, which must agree when both are present.
func ActivityTenant(act schema.Activity) (string, error) {
	conv := act.Conversation.TenantID
	var data string
	if t, ok := act.ChannelData["tenant"].(map[string]any); ok {
		data, _ = t["id"].(string)
	}
	switch {
	case conv != "" && data != "" && !strings.EqualFold(conv, data):
		return "", fmt.Errorf("conversation tenant %s and channelData tenant %s differ", conv, data)
	case conv == "" && data == "":
		return "", fmt.Errorf("no tenant in the activity")
	case conv != "":
		return strings.ToLower(conv), nil
	}
	return strings.ToLower(data), nil
}

// Check decides. It fails closed when a tenant cannot be learned.
func (b *Binder) Check(ctx context.Context, act schema.Activity, now time.Time) Verdict {
	tenant, err := ActivityTenant(act)
	if err != nil {
		return b.refuse(act, Verdict{}, err.Error(), now)
	}
	v := Verdict{Tenant: tenant}
	home := b.cfg.TenantIDs
	if len(home) == 0 {
		learned, err := b.learned(ctx, tenant, now)
		if err != nil {
			b.log.Error("teams: cannot record the tenant; refusing", "err", err)
			return b.refuse(act, v, "installation not recorded", now)
		}
		home = []string{learned}
	}
	if !slices.ContainsFunc(home, func(h string) bool { return strings.EqualFold(h, tenant) }) {
		return b.refuse(act, v, "foreign tenant", now)
	}
	v.Allowed, v.Home = true, true
	return v
}

// HomeTenants are the configured tenants or, with none configured, the
// learned one (none before the first activity). Only in these are e-mails
// bound to people and channel names looked up.
func (b *Binder) HomeTenants(ctx context.Context) ([]string, error) {
	if len(b.cfg.TenantIDs) > 0 {
		return b.cfg.TenantIDs, nil
	}
	b.mu.Lock()
	home := b.home
	b.mu.Unlock()
	if home != "" {
		return []string{home}, nil
	}
	in, ok, err := b.store.Installation(ctx, "teams")
	if err != nil || !ok {
		return nil, err
	}
	return []string{strings.ToLower(in.Workspace)}, nil
}

func (b *Binder) learned(ctx context.Context, tenant string, now time.Time) (string, error) {
	b.mu.Lock()
	home := b.home
	b.mu.Unlock()
	if home != "" {
		return home, nil
	}
	got, learnedNow, err := b.store.LearnInstallation(ctx, domain.Installation{Platform: "teams", Workspace: tenant, LearnedAt: now.UTC()})
	if err != nil {
		return "", err
	}
	if learnedNow {
		b.log.Warn("teams: no tenant configured; bound to the first one seen, activities from any other tenant will be refused", "tenant", got.Workspace)
	}
	b.mu.Lock()
	b.home = got.Workspace
	b.mu.Unlock()
	return got.Workspace, nil
}

func (b *Binder) refuse(act schema.Activity, v Verdict, reason string, now time.Time) Verdict {
	key := v.Tenant + "|" + reason
	if b.logged.First(key) {
		b.log.Warn("teams activity refused: "+reason+" (logged once per source)", "tenant", v.Tenant, "type", act.Type, "service_url", act.ServiceURL)
	}
	v.Allowed, v.Home, v.Reason = false, false, reason
	v.Audit = &domain.AuditEntry{At: now, Platform: "teams", Workspace: v.Tenant, UserID: act.From.ID,
		Kind: domain.AuditSource, Verb: string(act.Type), Result: domain.AuditRefused, Reason: reason}
	return v
}

// Member is the Bot Framework member lookup's answer
// (GET /v3/conversations/{id}/members/{userId}): a TeamsChannelAccount.
type Member struct {
	ID                string `json:"id"`
	Email             string `json:"email"`
	UserPrincipalName string `json:"userPrincipalName"`
	TenantID          string `json:"tenantId"`
	UserRole          string `json:"userRole"` // "user", "guest", "anonymous"
}

// ParseMember decodes a member lookup body.
func ParseMember(body []byte) (Member, error) {
	var m Member
	if err := json.Unmarshal(body, &m); err != nil {
		return m, fmt.Errorf("decoding a Teams member: %w", err)
	}
	return m, nil
}

// PrincipalFor turns the asker's member record into who asks: the e-mail
// counts only for a member of the home tenant who is not a guest (B2B
// guests carry "#EXT#" in their principal name), in an activity that
// came from the home tenant. inBook says whether the e-mail owns accounts.
func PrincipalFor(m Member, v Verdict, inBook bool) domain.Principal {
	email := strings.ToLower(strings.TrimSpace(m.Email))
	if email == "" && !strings.Contains(m.UserPrincipalName, "#EXT#") {
		email = strings.ToLower(strings.TrimSpace(m.UserPrincipalName))
	}
	p := domain.Principal{Email: email, InBook: inBook}
	p.Guest = m.UserRole == "guest" || m.UserRole == "anonymous" || strings.Contains(strings.ToUpper(m.UserPrincipalName), "#EXT#")
	p.Home = v.Allowed && v.Home && (m.TenantID == "" || strings.EqualFold(m.TenantID, v.Tenant))
	return p
}

// ConversationIDs are the ids a conversation reference is keyed by
// (storage.PersonKey and storage.ChannelKey), never display names.
type ConversationIDs struct {
	Tenant      string
	Personal    bool   // a one-to-one chat: keyed by User
	User        string // the sender's Teams user id (29:…)
	Team        string // channelData.team.id, for a channel
	Channel     string // channelData.channel.id, for a channel
	ChannelName string // display name, kept only as an index within the tenant
}

// IDsOf reads the ids of act's conversation.
func IDsOf(act schema.Activity) ConversationIDs {
	ids := ConversationIDs{User: act.From.ID}
	ids.Tenant, _ = ActivityTenant(act)
	ct := act.Conversation.ConversationType
	ids.Personal = ct == "personal" || ct == ""
	if t, ok := act.ChannelData["team"].(map[string]any); ok {
		ids.Team, _ = t["id"].(string)
	}
	if c, ok := act.ChannelData["channel"].(map[string]any); ok {
		ids.Channel, _ = c["id"].(string)
		ids.ChannelName, _ = c["name"].(string)
	}
	return ids
}

// WriteID is an activity's write id: a message's activity id (Teams'
// redeliveries repeat it); for a card submission, the card's message, the
// sender and the submitted values, so a double click on Submit — two
// activities with different ids — is one write.
func WriteID(act schema.Activity) string {
	if len(act.Value) > 0 && act.ReplyToID != "" {
		v, _ := json.Marshal(act.Value) // map keys are sorted: a stable encoding
		h := sha256.Sum256([]byte(act.Conversation.ID + "\x00" + act.ReplyToID + "\x00" + act.From.ID + "\x00" + string(v)))
		return "teams|submit|" + hex.EncodeToString(h[:16])
	}
	if act.ID == "" {
		return ""
	}
	return "teams|act|" + act.Conversation.ID + "|" + act.ID
}
