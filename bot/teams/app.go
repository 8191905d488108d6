package teams

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/golang-lru/v2/expirable"
	"github.com/infracloudio/msbotbuilder-go/connector/auth"
	"github.com/infracloudio/msbotbuilder-go/core"
	"github.com/infracloudio/msbotbuilder-go/core/activity"
	"github.com/infracloudio/msbotbuilder-go/schema"

	"github.com/accountbot/accountbot/bot"
	"github.com/accountbot/accountbot/domain"
	"github.com/accountbot/accountbot/internal/background"
)

// Engine is the neutral core the app translates for.
type Engine interface {
	Handle(ctx context.Context, req bot.Request) *bot.Message
	HandleAction(ctx context.Context, a bot.Action) bot.ActionResult
	Prepare(req bot.Request) *bot.Command
	Run(ctx context.Context, cmd *bot.Command) *bot.Message
}

// Ref is what is stored to reach a person or channel later.
type Ref struct {
	Reference schema.ConversationReference `json:"reference"`
	Email     string                       `json:"email,omitempty"`
	Inactive  bool                         `json:"inactive,omitempty"`
	UpdatedAt time.Time                    `json:"updated_at"`
}

// Config configures the Teams app.
type Config struct {
	AppID, AppPassword, TenantID string
	OpenIDMetadata, TokenURL     string // sovereign clouds and tests use other ones
	Issuer                       string
	HTTP                         *http.Client // base transport (tests); timeouts are set here otherwise
}

// App is the Teams adapter.
type App struct {
	Engine Engine
	Refs   RefStore
	Now    func() time.Time
	Log    *slog.Logger
	// Binder refuses activities from other tenants and says whose e-mail
	// to trust; nil (tests only) trusts every member lookup.
	Binder *Binder
	// Audit receives the record of each refused activity; nil: none.
	Audit func(ctx context.Context, e domain.AuditEntry)

	adapter   core.Adapter // authenticates inbound requests; sends go through client
	client    *Client
	validator *Validator
	bg        background.Group // answers: sent after the 202
	// emails caches member lookups (Teams user id → member) for an hour,
	// for at most emailCacheSize people.
	emails *expirable.LRU[string, Member]
}

const (
	emailCacheSize = 10_000
	emailCacheTTL  = time.Hour
)

// New builds the app around msbotbuilder-go's adapter with this package's
// validator and client. An empty app id refuses to start (the library
// would otherwise accept malformed headers).
func New(cfg Config, e Engine, refs RefStore, log *slog.Logger) (*App, error) {
	if strings.TrimSpace(cfg.AppID) == "" {
		return nil, errors.New("MICROSOFT_APP_ID is required")
	}
	if cfg.AppPassword == "" {
		return nil, errors.New("MICROSOFT_APP_PASSWORD is required")
	}
	tokenURL := cfg.TokenURL
	if tokenURL == "" && cfg.TenantID != "" {
		tokenURL = "https://login.microsoftonline.com/" + url.PathEscape(cfg.TenantID) + "/oauth2/v2.0/token"
	}
	base := cfg.HTTP
	if base == nil {
		base = &http.Client{Timeout: 15 * time.Second}
	}
	client := NewClient(ClientConfig{AppID: cfg.AppID, AppPassword: cfg.AppPassword, TokenURL: tokenURL, Base: base})
	v := &Validator{AppID: cfg.AppID, MetadataURL: cfg.OpenIDMetadata, Issuer: cfg.Issuer, HTTP: base}
	settings := core.AdapterSetting{AppID: cfg.AppID, AppPassword: cfg.AppPassword, ChannelAuthTenant: cfg.TenantID,
		CredentialProvider: auth.SimpleCredentialProvider{AppID: cfg.AppID, Password: cfg.AppPassword}, ChannelService: auth.ChannelService}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	a := &App{Engine: e, Refs: refs, Now: time.Now, Log: log, client: client, validator: v,
		emails: expirable.NewLRU[string, Member](emailCacheSize, nil, emailCacheTTL)}
	// The library's adapter sends through a client without a context; it
	// only parses and authenticates here, and a.client sends.
	a.adapter = &core.BotFrameworkAdapter{AdapterSetting: settings, TokenValidator: v}
	return a, nil
}

// Validator exposes the token validator (tests set its clock).
func (a *App) Validator() *Validator { return a.validator }

// Wait blocks until background work has finished.
func (a *App) Wait() { a.bg.Wait() }

// Shutdown lets background work finish until ctx ends, then cancels what
// is left and waits for it to return (every connector call is bounded by
// its context, so that is prompt).
func (a *App) Shutdown(ctx context.Context) error {
	return a.bg.Shutdown(ctx, "teams")
}

// ServeHTTP is POST /api/messages: authenticate, acknowledge with 202,
// and answer through the connector in the background.
func (a *App) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	if h := r.Header.Get("Authorization"); h == "" || len(h) > maxAuthHeader {
		http.Error(w, "unauthorized", http.StatusUnauthorized) // refused before reading anything
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 1<<20)
	act, err := a.adapter.ParseRequest(r.Context(), r)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			http.Error(w, "request too large", http.StatusRequestEntityTooLarge)
			return
		}
		a.Log.Warn("teams request refused", "reason", err.Error(), "remote", r.RemoteAddr)
		http.Error(w, "unauthorized", http.StatusUnauthorized)
		return
	}
	w.WriteHeader(http.StatusAccepted)
	// The request was acknowledged (202): its context is over. The answer
	// has its own limit, and Shutdown cancels it.
	a.bg.Go(2*time.Minute, func(ctx context.Context) {
		if err := a.handle(ctx, act); err != nil {
			a.Log.Error("teams activity failed", "type", act.Type, "err", err)
		}
	})
}

var atTag = regexp.MustCompile(`(?s)<at[^>]*>.*?</at>`)

func (a *App) handle(ctx context.Context, act schema.Activity) error {
	v := a.bind(ctx, act)
	if !v.Allowed { // before anything is remembered or looked up
		if act.Type != schema.Message {
			return nil
		}
		turn := &activity.TurnContext{Activity: act}
		out, err := turn.SendActivity(activity.MsgOptionText(NotInstalledText))
		if err != nil {
			return fmt.Errorf("building a refusal: %w", err)
		}
		if _, err := a.client.SendActivity(ctx, out); err != nil {
			return fmt.Errorf("answering a foreign tenant: %w", err)
		}
		return nil
	}
	user := a.remember(ctx, act, v)
	writeID := WriteID(act)
	switch act.Type {
	case schema.ConversationUpdate:
		for _, m := range act.MembersAdded {
			if m.ID == act.Recipient.ID { // the bot was installed or added to a team
				return a.reply(ctx, act, []Card{helloCard()})
			}
		}
		return nil
	case schema.Message:
	default:
		return nil
	}
	if v := act.Value; len(v) > 0 {
		if id, _ := v["action"].(string); id != "" {
			value, _ := v["value"].(string)
			form := map[string]string{}
			for k, x := range v {
				if k != "action" && k != "value" && k != "msteams" { // msteams: the client's own data
					form[k] = formValue(x)
				}
			}
			res := a.Engine.HandleAction(ctx, bot.Action{ID: id, Value: value, User: user, Now: a.Now(), Form: form, WriteID: writeID})
			if res.Form != nil {
				return a.reply(ctx, act, []Card{FormCard(res.Form)})
			}
			return a.reply(ctx, act, Render(res.Message))
		}
	}
	text := strings.TrimSpace(atTag.ReplaceAllString(act.Text, ""))
	cmd := a.Engine.Prepare(bot.Request{Text: bot.CommandText("account", text), Now: a.Now(), User: user, WriteID: writeID})
	if cmd.Slow() {
		a.typing(ctx, act) // Teams' "drafting…": the typing indicator, until the draft arrives
	}
	return a.reply(ctx, act, Render(a.Engine.Run(ctx, cmd)))
}

// formValue is a submitted card input as the text the person entered:
// numbers without exponents (36000, not 3.6e+04), text exactly.
func formValue(x any) string {
	if f, ok := x.(float64); ok {
		return strconv.FormatFloat(f, 'f', -1, 64)
	}
	return fmt.Sprint(x)
}

func helloCard() Card {
	return newCard([]any{
		text("AccountBot", map[string]any{"size": "Large", "weight": "Bolder"}),
		text("Ask about an account — `account acme health`, `acme renewal`, `portfolio top`, `portfolio dashboard` — or type `help`. Your daily top-5 will arrive here.", nil),
	})
}

// reply sends cards as replies to the incoming activity (one activity
// per card).
func (a *App) reply(ctx context.Context, act schema.Activity, cards []Card) error {
	turn := &activity.TurnContext{Activity: act}
	for _, c := range cards {
		out, err := turn.SendActivity(cardOption(c))
		if err != nil {
			return fmt.Errorf("building a reply: %w", err)
		}
		if _, err := a.client.SendActivity(ctx, out); err != nil {
			return fmt.Errorf("replying: %w", err)
		}
	}
	return nil
}

func cardOption(c Card) activity.MsgOption {
	return activity.MsgOptionAttachments([]schema.Attachment{{ContentType: "application/vnd.microsoft.card.adaptive", Content: map[string]any(c)}})
}

func (a *App) typing(ctx context.Context, act schema.Activity) {
	t := schema.Activity{Type: schema.Typing, From: act.Recipient, Recipient: act.From, Conversation: act.Conversation, ChannelID: act.ChannelID, ServiceURL: act.ServiceURL}
	if _, err := a.client.SendActivity(ctx, t); err != nil {
		a.Log.Info("teams typing indicator failed", "err", err)
	}
}

// remember saves the conversation reference of every activity (install,
// team add, message), resolves the sender's e-mail through the connector's
// member lookup, and returns the neutral user.
func (a *App) remember(ctx context.Context, act schema.Activity, v Verdict) bot.User {
	u := bot.User{ID: act.From.ID, Name: act.From.Name, Platform: "teams", Workspace: v.Tenant}
	m := a.member(ctx, act)
	if a.Binder == nil { // unbound (tests): the member lookup as it is
		p := PrincipalFor(m, Verdict{Allowed: true, Home: true, Tenant: m.TenantID}, false)
		u.Email, u.Guest = p.Email, p.Guest
	} else if p := PrincipalFor(m, v, false); p.Home {
		// Only a home-tenant member's e-mail is an identity, and only it
		// may key the person's conversation (no re-keying from elsewhere).
		u.Email, u.Guest = p.Email, p.Guest
	}
	if u.Guest {
		u.Email = ""
	}
	// For a personal chat the user is the other party; the bot's own
	// installation event has nothing to record.
	if act.From.ID != act.Recipient.ID {
		a.saveRefs(ctx, act, v, u.Email)
	}
	return u
}

// member looks the sender up in the conversation's members (cached).
func (a *App) member(ctx context.Context, act schema.Activity) Member {
	if m, ok := a.emails.Get(act.From.ID); ok {
		return m
	}
	if act.From.ID == "" {
		return Member{}
	}
	u, err := conversationURL(act.ServiceURL, act.Conversation.ID, "members", act.From.ID)
	if err != nil {
		return Member{}
	}
	body, err := a.client.Send(ctx, http.MethodGet, u, nil)
	if err != nil {
		a.Log.Info("teams member lookup failed; answering without the asker's e-mail", "err", err)
		return Member{}
	}
	m, err := ParseMember(body)
	if err != nil {
		return Member{}
	}
	a.emails.Add(act.From.ID, m)
	return m
}

// bind is the binder's verdict; refusals are audited.
func (a *App) bind(ctx context.Context, act schema.Activity) Verdict {
	if a.Binder == nil {
		t, _ := ActivityTenant(act)
		return Verdict{Allowed: true, Home: true, Tenant: t}
	}
	v := a.Binder.Check(ctx, act, a.Now())
	if !v.Allowed && v.Audit != nil && a.Audit != nil {
		a.Audit(ctx, *v.Audit)
	}
	return v
}

// Notify sends a message proactively to a person (by e-mail) or a channel
// (by id, or by name in the home tenant) through the stored conversation
// reference (bot.Notifier). A 403/404 marks the reference inactive rather
// than retrying forever.
func (a *App) Notify(ctx context.Context, to bot.Recipient, m *bot.Message, dedupeKey string) error {
	target, err := a.lookup(ctx, to)
	if err != nil {
		return err
	}
	var ref Ref
	if err := json.Unmarshal(target.raw, &ref); err != nil {
		return fmt.Errorf("decoding the conversation reference of %s: %w", to, err)
	}
	if ref.Inactive {
		return fmt.Errorf("%w: %s", ErrGone, to)
	}
	// The stored reference as if it were an incoming activity, so that the
	// library addresses the new activity from the bot to the recipient.
	turn := &activity.TurnContext{Activity: activity.ApplyConversationReference(schema.Activity{Type: schema.Message}, ref.Reference, true)}
	cards := Render(m)
	for _, c := range cards {
		out, err := turn.SendActivity(cardOption(c))
		if err == nil {
			// A proactive send records "sending" after the conversation's
			// rate-limit wait, and each activity id Teams returns.
			var id string
			id, err = a.client.PostActivity(ctx, out, func() error { return bot.BeforeSend(ctx, "teams", len(cards)) })
			if err == nil {
				bot.Posted(ctx, "teams", id)
			}
		}
		if errors.Is(err, ErrGone) {
			ref.Inactive, ref.UpdatedAt = true, a.Now()
			b, _ := json.Marshal(ref)
			if perr := target.save(ctx, b); perr != nil {
				a.Log.Error("marking a Teams conversation inactive", "to", to.String(), "err", perr)
			}
			return fmt.Errorf("%w: %s", ErrGone, to)
		}
		if err != nil {
			return fmt.Errorf("sending to %s: %w", to, err)
		}
	}
	return nil
}
