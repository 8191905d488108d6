package slack_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/accountbot/accountbot/bot"
)

// A draft shows the CSM's notes in their own labelled block; Share in
// channel posts the customer text and never those notes.
func TestShareNeverPostsTheCSMNotes(t *testing.T) {
	h := newHarness(t, nil)
	resp := h.send(t, "/slack/commands", "application/x-www-form-urlencoded", slashBody(h, "acme objection competitor"), nil)
	v := decode(t, resp.Body)
	mine, _ := json.Marshal(v)
	if !strings.Contains(string(mine), bot.InternalTitle) || !strings.Contains(string(mine), "Competitor context") {
		t.Fatalf("the asker's reply has no labelled notes block: %s", mine)
	}
	token := shareToken(t, v)
	interaction(t, h, fmt.Sprintf(`{"type":"block_actions","user":{"id":"U_ANA","name":"ana"},"trigger_id":"1.2","response_url":%q,
"actions":[{"action_id":"share_in_channel","block_id":"share","value":%q,"type":"button"}]}`, h.slack.URL+"/response", token))
	h.slack.mu.Lock()
	defer h.slack.mu.Unlock()
	if len(h.slack.responses) != 1 {
		t.Fatalf("responses = %v", h.slack.responses)
	}
	shared, _ := json.Marshal(h.slack.responses[0])
	if h.slack.responses[0]["response_type"] != "in_channel" || !strings.Contains(string(shared), "competitor") {
		t.Errorf("shared = %s", shared)
	}
	for _, private := range []string{bot.InternalTitle, "Competitor context", ":lock:"} {
		if strings.Contains(string(shared), private) {
			t.Errorf("the shared draft contains %q: %s", private, shared)
		}
	}
}
