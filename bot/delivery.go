package bot

import "context"

// SendHooks let whoever asked for a proactive send (the nudge scheduler)
// record its state at the exact moment a platform posts: after every
// rate-limit wait, immediately before the HTTP call, and with the id the
// platform gave the message. They travel in the context so that every
// platform's Notify keeps one signature and the fan-out stays unaware.
type SendHooks struct {
	// Before is called immediately before each POST of a message made of
	// parts posts (Teams may split one message into several cards). An
	// error aborts the send with nothing posted (e.g. the process is
	// stopping).
	Before func(platform string, parts int) error
	// Posted is called after each successful POST with the platform's id
	// of the posted message (Slack ts, Teams activity id; "" when none).
	Posted func(platform, id string)
}

type sendHooksKey struct{}

// WithSendHooks returns ctx carrying h.
func WithSendHooks(ctx context.Context, h SendHooks) context.Context {
	return context.WithValue(ctx, sendHooksKey{}, h)
}

// BeforeSend runs the Before hook in ctx, if any.
func BeforeSend(ctx context.Context, platform string, parts int) error {
	if h, ok := ctx.Value(sendHooksKey{}).(SendHooks); ok && h.Before != nil {
		return h.Before(platform, parts)
	}
	return nil
}

// Posted runs the Posted hook in ctx, if any.
func Posted(ctx context.Context, platform, id string) {
	if h, ok := ctx.Value(sendHooksKey{}).(SendHooks); ok && h.Posted != nil {
		h.Posted(platform, id)
	}
}
