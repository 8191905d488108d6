package slack

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"
	"github.com/slack-go/slack/socketmode"

	"github.com/accountbot/accountbot/internal/retry"
)

// RunSocket serves the app over Socket Mode until ctx ends, restarting the
// connection with exponential backoff (1 s to 1 min, Retry-After honoured:
// apps.connections.open is Tier 1) when it fails, and stopping for good on
// invalid credentials.
func (a *App) RunSocket(ctx context.Context, client *slack.Client) error {
	p := retry.Policy{Base: time.Second, Max: time.Minute, MaxAfter: 10 * time.Minute, Clock: a.Clock,
		Classify: socketVerdict,
		OnRetry: func(_ int, wait time.Duration, err error) {
			a.Log.Warn("slack socket mode stopped; reconnecting", "err", err, "after", wait)
		}}
	err := retry.Do(ctx, p, func(ctx context.Context) error {
		sm := socketmode.New(client)
		runErr := make(chan error, 1)
		go func() { runErr <- sm.RunContext(ctx) }()
		err := a.socketLoop(ctx, sm, runErr)
		if err == nil && ctx.Err() == nil {
			err = errSocketClosed
		}
		return err
	})
	if ctx.Err() != nil {
		return nil
	}
	a.Log.Error("slack socket mode stopped for good", "err", err)
	return err
}

var errSocketClosed = errors.New("socket mode connection closed")

// socketVerdict reconnects after anything but rejected credentials.
func socketVerdict(err error) retry.Verdict {
	if s := err.Error(); strings.Contains(s, "invalid_auth") || strings.Contains(s, "not_authed") {
		return retry.Verdict{}
	}
	var rl *slack.RateLimitedError
	if errors.As(err, &rl) {
		return retry.Verdict{Retry: true, After: rl.RetryAfter}
	}
	return retry.Verdict{Retry: true}
}

func (a *App) socketLoop(ctx context.Context, sm *socketmode.Client, runErr <-chan error) error {
	for {
		select {
		case <-ctx.Done():
			return nil
		case err := <-runErr:
			return err
		case evt, ok := <-sm.Events:
			if !ok {
				return nil
			}
			a.socketEvent(ctx, sm, evt)
		}
	}
}

// socketEvent acknowledges each envelope exactly once, before slow work;
// hello and disconnect envelopes carry no request and are never acked.
func (a *App) socketEvent(ctx context.Context, sm *socketmode.Client, evt socketmode.Event) {
	switch evt.Type {
	case socketmode.EventTypeSlashCommand:
		cmd, ok := evt.Data.(slack.SlashCommand)
		if !ok || evt.Request == nil {
			return
		}
		sm.Ack(*evt.Request, a.Slash(cmd, a.check(ctx, CommandSource(cmd))))
	case socketmode.EventTypeInteractive:
		cb, ok := evt.Data.(slack.InteractionCallback)
		if !ok || evt.Request == nil {
			return
		}
		sm.Ack(*evt.Request)
		a.Interaction(cb, a.check(ctx, InteractionSource(cb)))
	case socketmode.EventTypeEventsAPI:
		ev, ok := evt.Data.(slackevents.EventsAPIEvent)
		if !ok || evt.Request == nil {
			return
		}
		sm.Ack(*evt.Request)
		id := ""
		if cb, ok := ev.Data.(*slackevents.EventsAPICallbackEvent); ok {
			id = cb.EventID
		}
		a.Event(ctx, ev, id, a.check(ctx, EventSource(ev)))
	case socketmode.EventTypeConnected:
		a.Log.Info("slack socket mode connected")
	case socketmode.EventTypeInvalidAuth:
		a.Log.Error("slack socket mode: invalid auth")
	}
}
