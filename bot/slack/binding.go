package slack

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"

	"github.com/accountbot/accountbot/domain"
	"github.com/accountbot/accountbot/internal/logonce"
)

// NotInstalledText is the whole answer to a request from a workspace, org
// or app the bot is not bound to: it says nothing about what exists.
const NotInstalledText = "This app is not installed here."

// BindingConfig is where the app is installed. Empty lists are learned:
// the first workspace (and app id) that reaches the bot is recorded and
// every other one is refused from then on.
type BindingConfig struct {
	TeamIDs       []string // workspace ids (T…)
	EnterpriseIDs []string // Enterprise Grid org ids (E…): any workspace of the org
	APIAppIDs     []string // our app's id (A…)
}

// InstallStore records the learned installation (storage.DB does).
type InstallStore interface {
	LearnInstallation(ctx context.Context, in domain.Installation) (domain.Installation, bool, error)
}

// Source is where a request says it comes from. The request is signed, so
// these fields are Slack's, not the sender's.
type Source struct {
	Kind                string // "command", "interaction", "event", "url_verification"
	TeamID              string
	EnterpriseID        string
	IsEnterpriseInstall bool
	APIAppID            string
	UserID              string
	// UserTeamID is the acting user's own team when the payload names it
	// (interactions; events in shared channels): someone from another
	// organisation in a Slack Connect channel is not a home identity.
	UserTeamID string
}

// CommandSource reads a slash command (HTTP or Socket Mode).
func CommandSource(cmd slack.SlashCommand) Source {
	return Source{Kind: "command", TeamID: cmd.TeamID, EnterpriseID: cmd.EnterpriseID, IsEnterpriseInstall: cmd.IsEnterpriseInstall,
		APIAppID: cmd.APIAppID, UserID: cmd.UserID}
}

// InteractionSource reads a block action or view submission.
func InteractionSource(cb slack.InteractionCallback) Source {
	team := cb.Team.ID
	if team == "" {
		team = cb.View.TeamID
	}
	return Source{Kind: "interaction", TeamID: team, EnterpriseID: cb.Enterprise.ID, IsEnterpriseInstall: cb.IsEnterpriseInstall,
		APIAppID: cb.APIAppID, UserID: cb.User.ID, UserTeamID: cb.User.TeamID}
}

// EventSource reads an Events API envelope (HTTP or Socket Mode).
func EventSource(ev slackevents.EventsAPIEvent) Source {
	if ev.Type == slackevents.URLVerification {
		return Source{Kind: "url_verification"}
	}
	s := Source{Kind: "event", TeamID: ev.TeamID, EnterpriseID: ev.EnterpriseID, APIAppID: ev.APIAppID}
	if cb, ok := ev.Data.(*slackevents.EventsAPICallbackEvent); ok {
		if s.EnterpriseID == "" {
			s.EnterpriseID = cb.EnterpriseID
		}
		if len(cb.Authorizations) > 0 {
			s.IsEnterpriseInstall = cb.Authorizations[0].IsEnterpriseInstall
		}
	}
	switch e := ev.InnerEvent.Data.(type) {
	case *slackevents.AppMentionEvent:
		s.UserID, s.UserTeamID = e.User, e.UserTeam
	case *slackevents.MessageEvent:
		s.UserID, s.UserTeamID = e.User, e.UserTeam
	case *slackevents.AppHomeOpenedEvent:
		s.UserID = e.User
	}
	return s
}

// Verdict is the binding's answer for one request.
type Verdict struct {
	Allowed bool
	// Home: the acting user belongs to the home workspace or org, so their
	// profile e-mail says who they are. Check the profile too (PrincipalFor).
	Home      bool
	Workspace string // the team id to record in the audit log
	Reason    string // refused: why, for the log and the audit record
	// Audit is the record of a refusal; append it to the audit log.
	Audit *domain.AuditEntry

	homeTeams, homeOrgs []string
}

// Binder decides whether a request comes from the installation the bot is
// bound to. It is safe for concurrent use.
type Binder struct {
	cfg   BindingConfig
	store InstallStore
	log   *slog.Logger

	mu     sync.Mutex
	home   *domain.Installation // learned (nil until then, or when configured)
	logged *logonce.Set         // refused sources already logged
}

// NewBinder returns a binder for cfg; store records what is learned when
// cfg names no workspace.
func NewBinder(cfg BindingConfig, store InstallStore, log *slog.Logger) *Binder {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Binder{cfg: cfg, store: store, log: log, logged: logonce.New(1024)}
}

// Check decides, before the engine runs. It fails closed: when the
// installation cannot be learned (the store fails), the request is refused.
func (b *Binder) Check(ctx context.Context, src Source, now time.Time) Verdict {
	if src.Kind == "url_verification" {
		return Verdict{Allowed: true} // Slack's endpoint check: echoes a challenge, reads nothing
	}
	v := Verdict{Workspace: firstOf(src.TeamID, src.EnterpriseID)}
	if len(b.cfg.APIAppIDs) > 0 && !slices.Contains(b.cfg.APIAppIDs, src.APIAppID) {
		return b.refuse(src, v, "foreign app", now)
	}
	if src.TeamID == "" && src.EnterpriseID == "" {
		return b.refuse(src, v, "no workspace in the request", now)
	}
	if len(b.cfg.TeamIDs)+len(b.cfg.EnterpriseIDs) > 0 {
		v.homeTeams, v.homeOrgs = b.cfg.TeamIDs, b.cfg.EnterpriseIDs
	} else {
		home, err := b.learned(ctx, src, now)
		if err != nil {
			b.log.Error("slack: cannot record the installation; refusing", "err", err)
			return b.refuse(src, v, "installation not recorded", now)
		}
		if len(b.cfg.APIAppIDs) == 0 && home.AppID != "" && src.APIAppID != home.AppID {
			return b.refuse(src, v, "foreign app", now)
		}
		v.homeTeams = []string{home.Workspace}
		if home.EnterpriseInstall && home.Enterprise != "" {
			v.homeOrgs = []string{home.Enterprise}
		}
	}
	if !slices.Contains(v.homeTeams, src.TeamID) && !(src.EnterpriseID != "" && slices.Contains(v.homeOrgs, src.EnterpriseID)) {
		return b.refuse(src, v, "foreign workspace", now)
	}
	v.Allowed = true
	v.Home = src.UserTeamID == "" || slices.Contains(v.homeTeams, src.UserTeamID) || slices.Contains(v.homeOrgs, src.UserTeamID)
	return v
}

// learned returns the recorded installation, learning src's if none is.
func (b *Binder) learned(ctx context.Context, src Source, now time.Time) (domain.Installation, error) {
	b.mu.Lock()
	home := b.home
	b.mu.Unlock()
	if home != nil {
		return *home, nil
	}
	in := domain.Installation{Platform: "slack", Workspace: src.TeamID, Enterprise: src.EnterpriseID,
		EnterpriseInstall: src.IsEnterpriseInstall, AppID: src.APIAppID, LearnedAt: now.UTC()}
	if in.Workspace == "" {
		in.Workspace = src.EnterpriseID
	}
	got, learnedNow, err := b.store.LearnInstallation(ctx, in)
	if err != nil {
		return got, err
	}
	if learnedNow {
		b.log.Warn("slack: no workspace configured; bound to the first one seen, requests from any other workspace will be refused",
			"team_id", got.Workspace, "enterprise_id", got.Enterprise, "api_app_id", got.AppID)
	}
	b.mu.Lock()
	b.home = &got
	b.mu.Unlock()
	return got, nil
}

// refuse logs the first refusal of each source (a busy foreign workspace
// must not flood the log) and returns the audit record of every one.
func (b *Binder) refuse(src Source, v Verdict, reason string, now time.Time) Verdict {
	key := src.TeamID + "|" + src.EnterpriseID + "|" + src.APIAppID
	if b.logged.First(key) {
		b.log.Warn("slack request refused: "+reason+" (logged once per source)", "kind", src.Kind,
			"team_id", src.TeamID, "enterprise_id", src.EnterpriseID, "api_app_id", src.APIAppID)
	}
	v.Allowed, v.Home, v.Reason = false, false, reason
	v.Audit = &domain.AuditEntry{At: now, Platform: "slack", Workspace: v.Workspace, UserID: src.UserID,
		Kind: domain.AuditSource, Verb: src.Kind, Result: domain.AuditRefused, Reason: reason}
	return v
}

func firstOf(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// PrincipalFor turns the asker's users.info profile into who asks: the
// e-mail counts only for a full member of the home workspace or org;
// guests (single- and multi-channel), Slack Connect strangers and bots
// have no role. inBook says whether the e-mail owns accounts.
func PrincipalFor(u *slack.User, v Verdict, inBook bool) domain.Principal {
	if u == nil {
		return domain.Principal{}
	}
	p := domain.Principal{Email: strings.ToLower(strings.TrimSpace(u.Profile.Email)), InBook: inBook}
	p.Guest = u.IsRestricted || u.IsUltraRestricted || u.IsStranger || u.IsBot || u.Deleted
	p.Home = v.Allowed && v.Home && (slices.Contains(v.homeTeams, u.TeamID) ||
		(u.Enterprise.EnterpriseID != "" && slices.Contains(v.homeOrgs, u.Enterprise.EnterpriseID)))
	return p
}

// Guard wraps a verified HTTP handler (Verifier.Middleware's next): it
// reads the request's source by kind ("command", "interaction", "event"),
// refuses a foreign one before next runs — a command gets NotInstalledText,
// interactions and events an empty 200 so that Slack does not retry — and
// passes the verdict to next in the request's context (VerdictFrom).
// record receives the audit record of each refusal.
func (b *Binder) Guard(kind string, now func() time.Time, record func(context.Context, domain.AuditEntry),
	next func(w http.ResponseWriter, r *http.Request, body []byte)) func(http.ResponseWriter, *http.Request, []byte) {
	return func(w http.ResponseWriter, r *http.Request, body []byte) {
		src, ok := httpSource(kind, body)
		if !ok { // malformed, ssl_check: the handler answers those and reads nothing
			next(w, r, body)
			return
		}
		v := b.Check(r.Context(), src, now())
		if !v.Allowed {
			if v.Audit != nil && record != nil {
				record(r.Context(), *v.Audit)
			}
			w.Header().Set("Content-Type", "application/json")
			if kind == "command" {
				json.NewEncoder(w).Encode(response{ResponseType: "ephemeral", Text: NotInstalledText})
			} else {
				w.WriteHeader(http.StatusOK)
			}
			return
		}
		next(w, r.WithContext(context.WithValue(r.Context(), verdictKey{}, v)), body)
	}
}

type verdictKey struct{}

// VerdictFrom returns the verdict Guard stored in ctx.
func VerdictFrom(ctx context.Context) (Verdict, bool) {
	v, ok := ctx.Value(verdictKey{}).(Verdict)
	return v, ok
}

// httpSource parses a request body of a kind; false when there is nothing
// to bind (an unparsable body, ssl_check).
func httpSource(kind string, body []byte) (Source, bool) {
	switch kind {
	case "command":
		f, err := url.ParseQuery(string(body))
		if err != nil || f.Get("ssl_check") == "1" {
			return Source{}, false
		}
		return CommandSource(slack.SlashCommand{TeamID: f.Get("team_id"), EnterpriseID: f.Get("enterprise_id"),
			IsEnterpriseInstall: f.Get("is_enterprise_install") == "true", APIAppID: f.Get("api_app_id"), UserID: f.Get("user_id")}), true
	case "interaction":
		f, err := url.ParseQuery(string(body))
		var cb slack.InteractionCallback
		if err != nil || json.Unmarshal([]byte(f.Get("payload")), &cb) != nil {
			return Source{}, false
		}
		return InteractionSource(cb), true
	case "event":
		ev, err := slackevents.ParseEvent(json.RawMessage(body), slackevents.OptionNoVerifyToken())
		if err != nil {
			return Source{}, false
		}
		return EventSource(ev), true
	}
	return Source{}, false
}

// Write ids: the same user action always yields the same id, so a replayed
// request, a double click or a redelivery is written once (storage's
// ApplyOnce and AddOutcomeOnce).

// CommandWriteID is a slash command's id: its trigger id, unique per
// invocation and the same in a replay.
func CommandWriteID(cmd slack.SlashCommand) string {
	if cmd.TriggerID == "" {
		return ""
	}
	return "slack|cmd|" + cmd.TriggerID
}

// InteractionWriteID: a modal's submissions share its view id (a double
// click on Save); a button's presses share the message, the button and
// its value (a double click, or the same button pressed again).
func InteractionWriteID(cb slack.InteractionCallback) string {
	switch cb.Type {
	case slack.InteractionTypeViewSubmission:
		if cb.View.ID != "" {
			return "slack|view|" + cb.View.ID
		}
	case slack.InteractionTypeBlockActions:
		if len(cb.ActionCallback.BlockActions) > 0 {
			a := cb.ActionCallback.BlockActions[0]
			where := firstOf(cb.Container.MessageTs, firstOf(cb.Container.ViewID, cb.View.ID))
			return "slack|act|" + digest(cb.User.ID, cb.Container.ChannelID, where, a.ActionID, a.BlockID, a.Value)
		}
	}
	return ""
}

// MessageWriteID is a message command's id (a DM or a mention): its
// channel and timestamp, which Slack's retries repeat.
func MessageWriteID(channel, ts string) string {
	if ts == "" {
		return ""
	}
	return "slack|msg|" + channel + "|" + ts
}

func digest(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}
