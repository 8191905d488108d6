package slack

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/golang-lru/v2/expirable"
	"github.com/slack-go/slack"

	"github.com/accountbot/accountbot/bot"
	"github.com/accountbot/accountbot/internal/retry"
)

// Interaction handles a block action or a view submission. It returns at
// once (the caller acknowledges); the work continues in the background.
func (a *App) Interaction(cb slack.InteractionCallback, v Verdict) {
	if !v.Allowed {
		return
	}
	switch cb.Type {
	case slack.InteractionTypeBlockActions:
		if len(cb.ActionCallback.BlockActions) == 0 {
			return
		}
		act := cb.ActionCallback.BlockActions[0]
		a.goBG(func(ctx context.Context) { a.blockAction(ctx, v, cb, act) })
	case slack.InteractionTypeViewSubmission:
		a.goBG(func(ctx context.Context) { a.viewSubmission(ctx, v, cb) })
	}
}

func (a *App) blockAction(ctx context.Context, v Verdict, cb slack.InteractionCallback, act *slack.BlockAction) {
	u := a.user(ctx, v, cb.User.ID, cb.User.Name)
	if act.ActionID == ShareActionID {
		a.share(ctx, cb, act.Value)
		return
	}
	res := a.Engine.HandleAction(ctx, bot.Action{ID: act.ActionID, Value: act.Value, User: u, Now: a.Now(), WriteID: InteractionWriteID(cb)})
	if res.Form != nil {
		if err := a.retry(ctx, func() error {
			_, err := a.API.OpenViewContext(ctx, cb.TriggerID, Modal(res.Form))
			return err
		}); err != nil {
			a.Log.Error("slack views.open failed", "err", err)
		}
		return
	}
	if res.Message == nil {
		return
	}
	// From a message: answer under it, visible to the clicker. From App
	// Home (no response_url): answer in the user's DM with the app.
	if cb.ResponseURL != "" {
		if err := a.postResponse(ctx, cb.ResponseURL, a.reply(res.Message, "")); err != nil {
			a.Log.Error("slack action reply failed", "err", err)
		}
		return
	}
	if err := a.post(ctx, cb.User.ID, res.Message, nil); err != nil {
		a.Log.Error("slack action DM failed", "err", err)
	}
}

// share posts a reply the clicker was shown, as it was rendered then, to
// the channel. Nothing runs again: sharing `outcome` does not log it twice.
func (a *App) share(ctx context.Context, cb slack.InteractionCallback, token string) {
	m, ok := a.shares.take(cb.User.ID, token)
	r := response{ResponseType: "in_channel"}
	if ok {
		r.Text, r.Blocks = PlainText(m), Render(m, RenderOptions{Charts: a.Charts})
	} else {
		r = response{ResponseType: "ephemeral", Text: "That reply can no longer be shared (replies are kept for an hour). Ask again and share the new reply."}
	}
	if err := a.postResponse(ctx, cb.ResponseURL, r); err != nil {
		a.Log.Error("slack share failed", "err", err)
	}
}

// shareStore keeps the replies that carry a Share button, by a random
// token (the button's value), for an hour and at most shareCap of them.
type shareStore struct {
	once sync.Once
	lru  *expirable.LRU[string, sharedReply]
}

type sharedReply struct {
	user string // only the person who was shown the reply may share it
	msg  *bot.Message
}

const (
	shareTTL = time.Hour
	shareCap = 2_000
)

func (s *shareStore) init() {
	s.once.Do(func() { s.lru = expirable.NewLRU[string, sharedReply](shareCap, nil, shareTTL) })
}

// keep stores a reply for sharing and returns its token ("" for errors,
// which are not worth sharing).
func (s *shareStore) keep(user string, m *bot.Message) string {
	if m == nil || m.Error {
		return ""
	}
	s.init()
	var b [16]byte
	rand.Read(b[:])
	token := hex.EncodeToString(b[:])
	// Only what may be shown to others is kept: a draft's notes for the CSM
	// (private blocks) are never posted to the channel.
	s.lru.Add(token, sharedReply{user: user, msg: m.Shareable()})
	return token
}

// take returns the reply behind a token.
func (s *shareStore) take(user, token string) (*bot.Message, bool) {
	s.init()
	r, ok := s.lru.Get(token)
	if !ok || r.user != user {
		return nil, false
	}
	return r.msg, true
}

func (a *App) viewSubmission(ctx context.Context, v Verdict, cb slack.InteractionCallback) {
	form := map[string]string{}
	if cb.View.State != nil {
		for _, blk := range cb.View.State.Values {
			for id, v := range blk {
				switch {
				case v.SelectedOption.Value != "":
					form[id] = v.SelectedOption.Value
				default:
					form[id] = v.Value
				}
			}
		}
	}
	u := a.user(ctx, v, cb.User.ID, cb.User.Name)
	res := a.Engine.HandleAction(ctx, bot.Action{ID: cb.View.CallbackID, Value: cb.View.PrivateMetadata, User: u, Now: a.Now(), Form: form,
		WriteID: InteractionWriteID(cb)})
	if res.Message != nil {
		if err := a.post(ctx, cb.User.ID, res.Message, nil); err != nil {
			a.Log.Error("slack submission reply failed", "err", err)
		}
	}
}

// Modal renders a neutral form as a Slack modal.
func Modal(f *bot.Form) slack.ModalViewRequest {
	var blocks []slack.Block
	if f.Intro != "" {
		blocks = append(blocks, slack.NewSectionBlock(mrkdwn(cutEscaped(f.Intro, maxSectionText)), nil, nil))
	}
	for _, fld := range f.Fields {
		var el slack.BlockElement
		switch fld.Kind {
		case "select":
			var opts []*slack.OptionBlockObject
			var initial *slack.OptionBlockObject
			for _, o := range fld.Options {
				ob := slack.NewOptionBlockObject(o.Value, plain(truncate(o.Label, 75)), nil)
				opts = append(opts, ob)
				if o.Value == fld.Initial {
					initial = ob
				}
			}
			s := slack.NewOptionsSelectBlockElement(slack.OptTypeStatic, plain("Choose"), fld.ID, opts...)
			s.InitialOption = initial
			el = s
		case "number":
			n := slack.NewNumberInputBlockElement(plain("0"), fld.ID, true)
			el = n
		default:
			el = slack.NewPlainTextInputBlockElement(plain(" "), fld.ID)
		}
		in := slack.NewInputBlock(fld.ID, plain(truncate(fld.Label, 2000)), nil, el)
		in.Optional = fld.Optional
		blocks = append(blocks, in)
	}
	return slack.ModalViewRequest{Type: slack.VTModal, Title: plain(truncate(f.Title, 24)), Submit: plain("Save"), Close: plain("Cancel"),
		CallbackID: f.SubmitID, PrivateMetadata: f.Value, Blocks: slack.Blocks{BlockSet: blocks}}
}

// post sends a message to a channel or user id. When Slack refuses the
// blocks it tries again without charts, then as plain text, so the message
// is never lost.
func (a *App) post(ctx context.Context, channel string, m *bot.Message, meta *slack.SlackMetadata) error {
	send := func(opts ...slack.MsgOption) error {
		if meta != nil {
			opts = append(opts, slack.MsgOptionMetadata(*meta))
		}
		return a.retry(ctx, func() error {
			// A proactive send records "sending" here, after any wait.
			if err := bot.BeforeSend(ctx, "slack", 1); err != nil {
				return retry.Final(err)
			}
			_, ts, err := a.API.PostMessageContext(ctx, channel, opts...)
			if err == nil {
				bot.Posted(ctx, "slack", ts)
			}
			return err
		})
	}
	text := slack.MsgOptionText(PlainText(m), false)
	err := send(text, slack.MsgOptionBlocks(Render(m, RenderOptions{Charts: a.Charts})...))
	if err != nil && isBlockError(err) && a.Charts {
		a.Log.Warn("slack refused the blocks; retrying without charts", "err", err)
		err = send(text, slack.MsgOptionBlocks(Render(m, RenderOptions{})...))
	}
	if err != nil && isBlockError(err) {
		a.Log.Warn("slack refused the blocks; sending plain text", "err", err)
		err = send(slack.MsgOptionText(cutEscaped(bot.RenderText(m), 39000), false))
	}
	if err != nil {
		return fmt.Errorf("posting to %s: %w", channel, err)
	}
	return nil
}

func isBlockError(err error) bool {
	s := err.Error()
	return strings.Contains(s, "invalid_blocks") || strings.Contains(s, "msg_blocks_too_long") || strings.Contains(s, "invalid_blocks_format")
}

// Notify sends a message to a person's DM (found by e-mail) or a channel
// (bot.Notifier). The dedupe key travels as message metadata, so Delivered
// can later tell whether the message already arrived.
func (a *App) Notify(ctx context.Context, to bot.Recipient, m *bot.Message, dedupeKey string) error {
	channel, err := a.channelFor(ctx, to)
	if err != nil {
		return err
	}
	var meta *slack.SlackMetadata
	if dedupeKey != "" {
		meta = &slack.SlackMetadata{EventType: nudgeEvent, EventPayload: map[string]any{"dedupe_key": dedupeKey}}
	}
	return a.post(ctx, channel, m, meta)
}

const nudgeEvent = "accountbot_nudge"

func (a *App) channelFor(ctx context.Context, to bot.Recipient) (string, error) {
	if to.Email != "" {
		return a.UserIDByEmail(ctx, to.Email)
	}
	if to.Channel == "" {
		return "", errors.New("notification without a recipient")
	}
	return to.Channel, nil
}

// Delivered looks for a recent message carrying the dedupe key in the
// recipient's conversation (bot.DeliveryChecker): the DM opened with the
// person, or the channel (a name is resolved to its id first, as
// conversations.history takes ids only). It reads at most historyPages
// pages of the newest messages.
func (a *App) Delivered(ctx context.Context, to bot.Recipient, dedupeKey string) (bool, error) {
	channel, err := a.conversationID(ctx, to)
	if err != nil {
		return false, err
	}
	cursor := ""
	for range historyPages {
		var hist *slack.GetConversationHistoryResponse
		if err := a.retry(ctx, func() (err error) {
			hist, err = a.API.GetConversationHistoryContext(ctx, &slack.GetConversationHistoryParameters{ChannelID: channel, Limit: 200, Cursor: cursor, IncludeAllMetadata: true})
			return err
		}); err != nil {
			return false, fmt.Errorf("reading history of %s: %w", channel, err)
		}
		for _, msg := range hist.Messages {
			if msg.Metadata.EventType == nudgeEvent && fmt.Sprint(msg.Metadata.EventPayload["dedupe_key"]) == dedupeKey {
				return true, nil
			}
		}
		if cursor = hist.ResponseMetaData.NextCursor; !hist.HasMore || cursor == "" {
			break
		}
	}
	return false, nil
}

// historyPages bounds Delivered's reading: 1,000 messages back.
const historyPages = 5

// conversationID is the id of the conversation a nudge to `to` lands in.
func (a *App) conversationID(ctx context.Context, to bot.Recipient) (string, error) {
	channel, err := a.channelFor(ctx, to)
	if err != nil {
		return "", err
	}
	if to.Email != "" { // a DM: the conversation id differs from the user id
		var ch *slack.Channel
		if err := a.retry(ctx, func() (err error) {
			ch, _, _, err = a.API.OpenConversationContext(ctx, &slack.OpenConversationParameters{Users: []string{channel}, ReturnIM: true})
			return err
		}); err != nil {
			return "", fmt.Errorf("opening DM with %s: %w", to.Email, err)
		}
		if ch == nil || ch.ID == "" { // "ok" without a channel: nothing to read
			return "", fmt.Errorf("opening DM with %s: Slack answered without a conversation id", to.Email)
		}
		return ch.ID, nil
	}
	name := strings.ToLower(strings.TrimPrefix(channel, "#"))
	if !strings.HasPrefix(channel, "#") && isChannelID(channel) {
		return channel, nil
	}
	cursor := ""
	for {
		var chans []slack.Channel
		if err := a.retry(ctx, func() (err error) {
			chans, cursor, err = a.API.GetConversationsContext(ctx, &slack.GetConversationsParameters{Cursor: cursor, Limit: 1000,
				ExcludeArchived: true, Types: []string{"public_channel", "private_channel"}})
			return err
		}); err != nil {
			return "", fmt.Errorf("looking up channel %s: %w", channel, err)
		}
		for _, c := range chans {
			if strings.ToLower(c.Name) == name {
				return c.ID, nil
			}
		}
		if cursor == "" {
			return "", fmt.Errorf("no Slack channel named %s that the bot can see", channel)
		}
	}
}

// isChannelID tells a Slack conversation id (C…, G…, D… in upper case and
// digits) from a channel name (lower case).
func isChannelID(s string) bool {
	if len(s) < 9 || !strings.ContainsRune("CGD", rune(s[0])) {
		return false
	}
	for _, r := range s {
		if (r < 'A' || r > 'Z') && (r < '0' || r > '9') {
			return false
		}
	}
	return true
}

// TimeZone is the person's Slack time zone (bot.ZoneLookup).
func (a *App) TimeZone(ctx context.Context, email string) (*time.Location, error) {
	u, err := a.userByEmail(ctx, email)
	if err != nil {
		return nil, err
	}
	if u.tz == "" {
		return nil, errors.New("no time zone in the Slack profile")
	}
	return time.LoadLocation(u.tz)
}
