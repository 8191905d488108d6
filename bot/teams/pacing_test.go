package teams

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/infracloudio/msbotbuilder-go/schema"
)

// TestBeforeHookAfterConversationWait: the nudge scheduler's "sending"
// mark (the before hook) comes after the per-conversation rate-limit wait,
// so a restart during the wait leaves no entry that looks mid-send; and a
// hook's refusal posts nothing.
func TestBeforeHookAfterConversationWait(t *testing.T) {
	srv, calls := connector(t)
	c := NewClient(ClientConfig{AppID: "a", AppPassword: "p", TokenURL: srv.URL + "/token"})
	act := schema.Activity{Type: schema.Message, ServiceURL: srv.URL, Conversation: schema.ConversationAccount{ID: "conv-1"}}
	ctx := context.Background()
	for range 7 { // the conversation's burst
		if _, err := c.SendActivity(ctx, act); err != nil {
			t.Fatal(err)
		}
	}
	start := time.Now()
	var marked time.Duration
	id, err := c.PostActivity(ctx, act, func() error { marked = time.Since(start); return nil })
	if err != nil || id != "act-9" {
		t.Fatalf("PostActivity = %q %v", id, err)
	}
	if marked < 300*time.Millisecond {
		t.Errorf("marked %v after the call began: before the conversation's wait (~500ms)", marked)
	}
	stop := errors.New("stopping")
	if _, err := c.PostActivity(ctx, act, func() error { return stop }); !errors.Is(err, stop) {
		t.Errorf("refused hook: err = %v", err)
	}
	if *calls != 8 {
		t.Errorf("connector saw %d posts, want 8 (nothing after the refusal)", *calls)
	}
}
