package slack

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/golang-lru/v2/expirable"
	"github.com/slack-go/slack"

	"github.com/accountbot/accountbot/bot"
	"github.com/accountbot/accountbot/domain"
	"github.com/accountbot/accountbot/internal/background"
	"github.com/accountbot/accountbot/internal/retry"
)

// API is the part of slack-go's *slack.Client the app uses.
type API interface {
	PostMessageContext(ctx context.Context, channelID string, options ...slack.MsgOption) (string, string, error)
	GetUserInfoContext(ctx context.Context, user string, options ...slack.GetUserInfoOption) (*slack.User, error)
	GetUserByEmailContext(ctx context.Context, email string) (*slack.User, error)
	PublishViewContext(ctx context.Context, req slack.PublishViewContextRequest) (*slack.ViewResponse, error)
	OpenViewContext(ctx context.Context, triggerID string, view slack.ModalViewRequest) (*slack.ViewResponse, error)
	OpenConversationContext(ctx context.Context, params *slack.OpenConversationParameters) (*slack.Channel, bool, bool, error)
	GetConversationHistoryContext(ctx context.Context, params *slack.GetConversationHistoryParameters) (*slack.GetConversationHistoryResponse, error)
	GetConversationsContext(ctx context.Context, params *slack.GetConversationsParameters) ([]slack.Channel, string, error)
}

// Dedupe remembers inbound event ids (persistently, so a restart does not
// repeat an action).
type Dedupe interface {
	FirstSeen(ctx context.Context, platform, id string, ttl time.Duration) (bool, error)
}

// Engine is the neutral core the app translates for.
type Engine interface {
	Handle(ctx context.Context, req bot.Request) *bot.Message
	HandleAction(ctx context.Context, a bot.Action) bot.ActionResult
	Dashboard(ctx context.Context, u bot.User, now time.Time) *bot.Message
	Prepare(req bot.Request) *bot.Command
	Run(ctx context.Context, cmd *bot.Command) *bot.Message
}

// App is the Slack adapter. Both transports (HTTP and Socket Mode) call
// the same methods.
type App struct {
	Engine  Engine
	API     API
	Dedupe  Dedupe
	HTTP    *http.Client // for response_url posts; must have a timeout
	Now     func() time.Time
	Log     *slog.Logger
	Charts  bool           // draw trends as data_visualization charts
	AckWait time.Duration  // how long a command may run before the "working…" placeholder (2s)
	Clock   retry.Clock    // waits between retries; nil = the wall clock (tests pass a fake)
	Retries retry.Observer // counts failed Web API tries (metrics); may be nil
	// Binder refuses requests from other workspaces, orgs and apps and
	// says whose e-mail to trust; nil (tests only) trusts every profile.
	Binder *Binder
	// Audit receives the record of each refused request; nil: none.
	Audit func(ctx context.Context, e domain.AuditEntry)

	once   sync.Once
	emails *expirable.LRU[string, slack.User] // Slack user id → profile (users.info)
	byMail *expirable.LRU[string, mailUser]   // e-mail → Slack user (id and time zone)
	shares shareStore                         // replies kept for Share in channel
	bg     background.Group                   // late replies: answered after the acknowledgement
}

// mailUser is what users.lookupByEmail told about a person.
type mailUser struct{ id, tz string }

// Lookups are cached for an hour (a changed e-mail or time zone is seen
// within the hour) and at most cacheSize people.
const (
	cacheTTL  = time.Hour
	cacheSize = 10_000
)

func (a *App) init() {
	a.once.Do(func() {
		a.emails = expirable.NewLRU[string, slack.User](cacheSize, nil, cacheTTL)
		a.byMail = expirable.NewLRU[string, mailUser](cacheSize, nil, cacheTTL)
	})
}

// Wait blocks until background work (late replies) has finished.
func (a *App) Wait() { a.bg.Wait() }

// Shutdown lets background work finish until ctx ends, then cancels what
// is left and waits for it to return (every call it makes is bounded by
// its context, so that is prompt).
func (a *App) Shutdown(ctx context.Context) error {
	return a.bg.Shutdown(ctx, "slack")
}

// goBG runs f in the background with its own two-minute limit: Slack has
// been answered already, so the request's context is over. Shutdown
// cancels it.
func (a *App) goBG(f func(ctx context.Context)) {
	a.init()
	a.bg.Go(2*time.Minute, f)
}

// user resolves a Slack user id to the neutral user (users.info, cached).
// The e-mail is kept only for a full member of the home workspace or org
// (the verdict and the profile say so); guests are marked.
func (a *App) user(ctx context.Context, v Verdict, id, name string) bot.User {
	a.init()
	u := bot.User{ID: id, Name: name, Platform: "slack", Workspace: v.Workspace}
	info, ok := a.emails.Get(id)
	if !ok {
		var got *slack.User
		err := a.retry(ctx, func() (err error) { got, err = a.API.GetUserInfoContext(ctx, id); return err })
		if err != nil || got == nil {
			a.Log.Warn("slack users.info failed; answering without the asker's e-mail", "user", id, "err", err)
			return u
		}
		info = *got
		a.emails.Add(id, info)
	}
	if a.Binder == nil { // unbound (tests): the profile as it is
		u.Email = strings.ToLower(info.Profile.Email)
		u.Guest = info.IsRestricted || info.IsUltraRestricted || info.IsStranger
		return u
	}
	p := PrincipalFor(&info, v, false)
	u.Guest = p.Guest
	if p.Home {
		u.Email = p.Email
	}
	return u
}

// check is the binding's verdict for a Socket Mode request (HTTP requests
// pass Guard); without a Binder everything is allowed.
func (a *App) check(ctx context.Context, src Source) Verdict {
	if a.Binder == nil {
		return Verdict{Allowed: true, Home: true, Workspace: firstOf(src.TeamID, src.EnterpriseID)}
	}
	v := a.Binder.Check(ctx, src, a.Now())
	if !v.Allowed && v.Audit != nil && a.Audit != nil {
		a.Audit(ctx, *v.Audit)
	}
	return v
}

// verdict is the one Guard stored in an HTTP request's context.
func (a *App) verdict(r *http.Request, src func() Source) Verdict {
	if v, ok := VerdictFrom(r.Context()); ok {
		return v
	}
	return a.check(r.Context(), src())
}

// UserIDByEmail finds a Slack user by e-mail (users.lookupByEmail, cached).
func (a *App) UserIDByEmail(ctx context.Context, email string) (string, error) {
	u, err := a.userByEmail(ctx, email)
	return u.id, err
}

// userByEmail looks a person up once an hour at most; the DM target and
// the time zone both come from the same answer.
func (a *App) userByEmail(ctx context.Context, email string) (mailUser, error) {
	a.init()
	if u, ok := a.byMail.Get(email); ok {
		return u, nil
	}
	var u *slack.User
	if err := a.retry(ctx, func() (err error) { u, err = a.API.GetUserByEmailContext(ctx, email); return err }); err != nil {
		if strings.Contains(err.Error(), "users_not_found") {
			return mailUser{}, fmt.Errorf("%w: no Slack user with e-mail %s", bot.ErrUnknownRecipient, email)
		}
		return mailUser{}, fmt.Errorf("looking up Slack user %s: %w", email, err)
	}
	mu := mailUser{id: u.ID, tz: u.TZ}
	a.byMail.Add(email, mu)
	return mu, nil
}

// policy is how Slack calls are retried: rate limits (honouring
// Retry-After, up to a minute) and 5xx, three more tries at most.
func (a *App) policy() retry.Policy {
	return retry.Policy{Attempts: 4, Base: time.Second, Max: 30 * time.Second, MaxAfter: time.Minute,
		Classify: retry.Slack, Clock: a.Clock, Observer: a.Retries, Service: "slack",
		OnRetry: func(n int, wait time.Duration, err error) {
			a.Log.Info("slack call failed; retrying", "attempt", n, "after", wait, "err", err)
		}}
}

// retry runs one Web API call under the Slack policy.
func (a *App) retry(ctx context.Context, f func() error) error {
	return retry.Do(ctx, a.policy(), func(context.Context) error { return f() })
}

// response is the JSON Slack takes as a command response or response_url post.
type response struct {
	ResponseType    string        `json:"response_type,omitempty"`
	Text            string        `json:"text"`
	Blocks          []slack.Block `json:"blocks,omitempty"`
	ReplaceOriginal bool          `json:"replace_original,omitempty"`
	DeleteOriginal  bool          `json:"delete_original,omitempty"`
}

func (a *App) reply(m *bot.Message, share string) response {
	return response{ResponseType: "ephemeral", Text: PlainText(m), Blocks: Render(m, RenderOptions{Charts: a.Charts, Share: share})}
}

// Slash answers a slash command. It returns what to send as the
// acknowledgement: the answer itself when it is ready within AckWait,
// otherwise a placeholder, with the answer following through response_url.
func (a *App) Slash(cmd slack.SlashCommand, v Verdict) response {
	if !v.Allowed {
		return response{ResponseType: "ephemeral", Text: NotInstalledText}
	}
	prep := a.Engine.Prepare(bot.Request{Text: bot.CommandText(strings.TrimPrefix(cmd.Command, "/"), cmd.Text), Now: a.Now(),
		WriteID: CommandWriteID(cmd)})
	done := make(chan response, 1)
	a.goBG(func(ctx context.Context) {
		u := a.user(ctx, v, cmd.UserID, cmd.UserName)
		m := a.Engine.Run(ctx, prep.As(u))
		done <- a.reply(m, a.shares.keep(cmd.UserID, m))
	})
	wait := a.AckWait
	if wait == 0 {
		wait = 2 * time.Second
	}
	if prep.Slow() {
		wait = 0 // an LLM draft: show the placeholder at once
	}
	if wait > 0 {
		select {
		case r := <-done:
			return r
		case <-time.After(wait):
		}
	}
	a.goBG(func(ctx context.Context) {
		r := <-done
		r.ReplaceOriginal = true
		if err := a.postResponse(ctx, cmd.ResponseURL, r); err != nil {
			a.Log.Error("slack late reply failed", "err", err)
		}
	})
	return response{ResponseType: "ephemeral", Text: "Working on it… (drafting)"}
}

// postResponse posts to a response_url under the Slack retry policy.
func (a *App) postResponse(ctx context.Context, url string, r response) error {
	if url == "" {
		return errors.New("no response_url")
	}
	body, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("encoding response: %w", err)
	}
	return retry.Do(ctx, a.policy(), func(ctx context.Context) error {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
		if err != nil {
			return fmt.Errorf("posting to response_url: %w", err)
		}
		req.Header.Set("Content-Type", "application/json")
		resp, err := a.HTTP.Do(req)
		if err != nil {
			return fmt.Errorf("posting to response_url: %w", err)
		}
		resp.Body.Close()
		if resp.StatusCode >= 300 {
			return retry.FromResponse("response_url", resp, a.Now())
		}
		return nil
	})
}
