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

	"github.com/slack-go/slack"

	"github.com/accountbot/accountbot/bot"
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
	Charts  bool          // draw trends as data_visualization charts
	AckWait time.Duration // how long a command may run before the "working…" placeholder (2s)
	// Background is the context slow work runs under; cancelled on shutdown.
	Background context.Context

	mu     sync.Mutex
	emails map[string]cached   // Slack user id → e-mail
	byMail map[string]mailUser // e-mail → Slack user (id and time zone)
	shares shareStore          // replies kept for Share in channel
	wg     sync.WaitGroup
}

// mailUser is what users.lookupByEmail told about a person, and when.
type mailUser struct {
	id, tz string
	at     time.Time
}

type cached struct {
	v  string
	at time.Time
}

const cacheTTL = time.Hour

func (a *App) bg() context.Context {
	if a.Background != nil {
		return a.Background
	}
	return context.Background()
}

// Wait blocks until background work (late replies) has finished.
func (a *App) Wait() { a.wg.Wait() }

func (a *App) goBG(f func(ctx context.Context)) {
	a.wg.Add(1)
	go func() {
		defer a.wg.Done()
		ctx, cancel := context.WithTimeout(a.bg(), 2*time.Minute)
		defer cancel()
		f(ctx)
	}()
}

// user resolves a Slack user id to the neutral user, e-mail included
// (users.info, cached for an hour).
func (a *App) user(ctx context.Context, id, name string) bot.User {
	u := bot.User{ID: id, Name: name, Platform: "slack"}
	a.mu.Lock()
	if c, ok := a.emails[id]; ok && a.Now().Sub(c.at) < cacheTTL {
		a.mu.Unlock()
		u.Email = c.v
		return u
	}
	a.mu.Unlock()
	var info *slack.User
	err := a.retry(ctx, func() (err error) { info, err = a.API.GetUserInfoContext(ctx, id); return err })
	if err != nil {
		a.Log.Warn("slack users.info failed; answering without the asker's e-mail", "user", id, "err", err)
		return u
	}
	u.Email = strings.ToLower(info.Profile.Email)
	a.mu.Lock()
	if a.emails == nil {
		a.emails = map[string]cached{}
	}
	a.emails[id] = cached{u.Email, a.Now()}
	a.mu.Unlock()
	return u
}

// UserIDByEmail finds a Slack user by e-mail (users.lookupByEmail, cached).
func (a *App) UserIDByEmail(ctx context.Context, email string) (string, error) {
	u, err := a.userByEmail(ctx, email)
	return u.id, err
}

// userByEmail looks a person up once an hour at most; the DM target and
// the time zone both come from the same answer.
func (a *App) userByEmail(ctx context.Context, email string) (mailUser, error) {
	a.mu.Lock()
	if c, ok := a.byMail[email]; ok && a.Now().Sub(c.at) < cacheTTL {
		a.mu.Unlock()
		return c, nil
	}
	a.mu.Unlock()
	var u *slack.User
	if err := a.retry(ctx, func() (err error) { u, err = a.API.GetUserByEmailContext(ctx, email); return err }); err != nil {
		if strings.Contains(err.Error(), "users_not_found") {
			return mailUser{}, fmt.Errorf("%w: no Slack user with e-mail %s", bot.ErrUnknownRecipient, email)
		}
		return mailUser{}, fmt.Errorf("looking up Slack user %s: %w", email, err)
	}
	mu := mailUser{id: u.ID, tz: u.TZ, at: a.Now()}
	a.mu.Lock()
	if a.byMail == nil {
		a.byMail = map[string]mailUser{}
	}
	a.byMail[email] = mu
	a.mu.Unlock()
	return mu, nil
}

// retry runs f, waiting out Slack's rate limits (Retry-After) up to three
// times; other errors return at once.
func (a *App) retry(ctx context.Context, f func() error) error {
	for attempt := 0; ; attempt++ {
		err := f()
		var rl *slack.RateLimitedError
		if !errors.As(err, &rl) || attempt == 3 {
			return err
		}
		wait := min(max(rl.RetryAfter, time.Second), time.Minute)
		a.Log.Info("slack rate limited; retrying", "after", wait)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait):
		}
	}
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
func (a *App) Slash(cmd slack.SlashCommand) response {
	prep := a.Engine.Prepare(bot.Request{Text: bot.CommandText(strings.TrimPrefix(cmd.Command, "/"), cmd.Text), Now: a.Now()})
	done := make(chan response, 1)
	a.goBG(func(ctx context.Context) {
		u := a.user(ctx, cmd.UserID, cmd.UserName)
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

// postResponse posts to a response_url, honouring 429 Retry-After.
func (a *App) postResponse(ctx context.Context, url string, r response) error {
	if url == "" {
		return errors.New("no response_url")
	}
	body, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("encoding response: %w", err)
	}
	for attempt := 0; ; attempt++ {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
		if err != nil {
			return err
		}
		req.Header.Set("Content-Type", "application/json")
		resp, err := a.HTTP.Do(req)
		if err != nil {
			return fmt.Errorf("posting to response_url: %w", err)
		}
		resp.Body.Close()
		if resp.StatusCode == http.StatusTooManyRequests && attempt < 3 {
			wait := retryAfter(resp.Header.Get("Retry-After"))
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(wait):
			}
			continue
		}
		if resp.StatusCode >= 300 {
			return fmt.Errorf("response_url answered %s", resp.Status)
		}
		return nil
	}
}

func retryAfter(h string) time.Duration {
	var s int
	if _, err := fmt.Sscanf(h, "%d", &s); err != nil || s < 1 {
		s = 1
	}
	return min(time.Duration(s)*time.Second, time.Minute)
}
