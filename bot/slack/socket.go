package slack

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"
	"github.com/slack-go/slack/socketmode"
)

// RunSocket serves the app over Socket Mode until ctx ends, restarting the
// connection with exponential backoff (1 s to 1 min) when it fails, and
// stopping for good on invalid credentials.
func (a *App) RunSocket(ctx context.Context, client *slack.Client) error {
	backoff := time.Second
	for {
		sm := socketmode.New(client)
		runErr := make(chan error, 1)
		go func() { runErr <- sm.RunContext(ctx) }()
		err := a.socketLoop(ctx, sm, runErr)
		if ctx.Err() != nil {
			return nil
		}
		if err != nil && (strings.Contains(err.Error(), "invalid_auth") || strings.Contains(err.Error(), "not_authed")) {
			a.Log.Error("slack rejected the app token; stopping Socket Mode", "err", err)
			return err
		}
		wait := backoff
		var rl *slack.RateLimitedError
		if errors.As(err, &rl) && rl.RetryAfter > wait {
			wait = rl.RetryAfter // apps.connections.open is Tier 1: honour Retry-After
		}
		a.Log.Warn("slack socket mode stopped; reconnecting", "err", err, "after", wait)
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(wait):
		}
		backoff = min(backoff*2, time.Minute)
	}
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
		sm.Ack(*evt.Request, a.Slash(cmd))
	case socketmode.EventTypeInteractive:
		cb, ok := evt.Data.(slack.InteractionCallback)
		if !ok || evt.Request == nil {
			return
		}
		sm.Ack(*evt.Request)
		a.Interaction(cb)
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
		a.Event(ctx, ev, id)
	case socketmode.EventTypeConnected:
		a.Log.Info("slack socket mode connected")
	case socketmode.EventTypeInvalidAuth:
		a.Log.Error("slack socket mode: invalid auth")
	}
}
