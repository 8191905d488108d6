package slack

import (
	"context"
	"regexp"
	"strings"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"

	"github.com/accountbot/accountbot/bot"
)

// eventTTL keeps event ids well past Slack's retry window.
const eventTTL = time.Hour

// Event handles one Events API callback: de-duplicated by event id (Slack
// retries up to 3 times and Socket Mode may redeliver), then processed in
// the background. It returns whether the event was new.
func (a *App) Event(ctx context.Context, ev slackevents.EventsAPIEvent, eventID string, v Verdict) bool {
	if !v.Allowed {
		return false
	}
	if eventID != "" && a.Dedupe != nil {
		first, err := a.Dedupe.FirstSeen(ctx, "slack", eventID, eventTTL)
		if err != nil {
			a.Log.Error("slack event de-duplication failed; handling anyway", "err", err)
		} else if !first {
			a.Log.Info("slack event redelivered; ignored", "event_id", eventID)
			return false
		}
	}
	switch e := ev.InnerEvent.Data.(type) {
	case *slackevents.AppHomeOpenedEvent:
		if e.Tab == "home" || e.Tab == "" {
			a.goBG(func(ctx context.Context) { a.PublishHome(ctx, v, e.User) })
		}
	case *slackevents.AppMentionEvent:
		a.goBG(func(ctx context.Context) {
			a.answerMessage(ctx, v, e.User, e.Channel, e.Text, e.TimeStamp, threadOf(e.ThreadTimeStamp, e.TimeStamp))
		})
	case *slackevents.MessageEvent:
		// Direct messages to the app; ignore bots (including ourselves) and edits.
		if e.ChannelType == "im" && e.BotID == "" && e.SubType == "" {
			a.goBG(func(ctx context.Context) { a.answerMessage(ctx, v, e.User, e.Channel, e.Text, e.TimeStamp, "") })
		}
	}
	return true
}

func threadOf(thread, ts string) string {
	if thread != "" {
		return thread
	}
	return ts
}

var mentionPat = regexp.MustCompile(`<@[A-Z0-9]+>`)

func (a *App) answerMessage(ctx context.Context, v Verdict, userID, channel, text, ts, thread string) {
	text = strings.TrimSpace(mentionPat.ReplaceAllString(text, ""))
	u := a.user(ctx, v, userID, "")
	m := a.Engine.Handle(ctx, bot.Request{Text: bot.CommandText("account", text), Now: a.Now(), User: u, WriteID: MessageWriteID(channel, ts)})
	opts := []slack.MsgOption{slack.MsgOptionText(PlainText(m), false), slack.MsgOptionBlocks(Render(m, RenderOptions{Charts: a.Charts})...)}
	if thread != "" {
		opts = append(opts, slack.MsgOptionTS(thread))
	}
	if err := a.retry(ctx, func() error { _, _, err := a.API.PostMessageContext(ctx, channel, opts...); return err }); err != nil {
		a.Log.Error("slack reply failed", "channel", channel, "err", err)
	}
}

// PublishHome renders the user's dashboard on the App Home tab.
func (a *App) PublishHome(ctx context.Context, v Verdict, userID string) {
	u := a.user(ctx, v, userID, "")
	m := a.Engine.Dashboard(ctx, u, a.Now())
	view := slack.HomeTabViewRequest{Type: slack.VTHomeTab, Blocks: slack.Blocks{BlockSet: Render(m, RenderOptions{MaxBlocks: maxBlocksHome, Charts: a.Charts})}}
	err := a.retry(ctx, func() error {
		_, err := a.API.PublishViewContext(ctx, slack.PublishViewContextRequest{UserID: userID, View: view})
		return err
	})
	if err != nil {
		a.Log.Error("slack views.publish failed", "user", userID, "err", err)
	}
}
