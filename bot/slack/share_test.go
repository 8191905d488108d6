package slack_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/accountbot/accountbot/domain"
)

// hostile is an outcome note with everything that used to break the
// text round trip: quotes, '=', a newline and non-ASCII text.
const hostile = "He said \"ship it\" = yes\nZürich ✓ 東京 'quoted' “smart”"

// shareToken finds the Share button's value in a Block Kit response.
func shareToken(t *testing.T, v map[string]any) string {
	t.Helper()
	blocks, _ := v["blocks"].([]any)
	for _, b := range blocks {
		els, _ := b.(map[string]any)["elements"].([]any)
		for _, e := range els {
			if el := e.(map[string]any); el["action_id"] == "share_in_channel" {
				return el["value"].(string)
			}
		}
	}
	t.Fatalf("no Share button in %v", v)
	return ""
}

func TestShareInChannelPostsTheReplyAndWritesNothing(t *testing.T) {
	h := newHarness(t, nil)
	ctx := context.Background()
	resp := h.send(t, "/slack/commands", "application/x-www-form-urlencoded", slashBody(h, "globex outcome won seats 36000 "+hostile), nil)
	v := decode(t, resp.Body)
	token := shareToken(t, v)
	count := func() int {
		outs, err := h.db.Outcomes(ctx, domain.DateOf(now), domain.DateOf(now))
		if err != nil {
			t.Fatal(err)
		}
		return len(outs)
	}
	if count() != 1 {
		t.Fatalf("outcomes after the command = %d", count())
	}
	click := func(user string) {
		interaction(t, h, fmt.Sprintf(`{"type":"block_actions","user":{"id":%q,"name":"x"},"trigger_id":"1.2","response_url":%q,
"actions":[{"action_id":"share_in_channel","block_id":"share","value":%q,"type":"button"}]}`, user, h.slack.URL+"/response", token))
	}
	click("U_ANA")
	click("U_MALLORY") // someone else cannot replay another person's reply
	if n := count(); n != 1 {
		t.Errorf("outcomes after Share = %d, want 1", n)
	}
	h.slack.mu.Lock()
	defer h.slack.mu.Unlock()
	if len(h.slack.responses) != 2 {
		t.Fatalf("responses = %v", h.slack.responses)
	}
	shared, refused := h.slack.responses[0], h.slack.responses[1]
	js, _ := json.Marshal(shared)
	if shared["response_type"] != "in_channel" || !strings.Contains(shared["text"].(string), "outcome logged") || strings.Contains(string(js), "share_in_channel") {
		t.Errorf("shared = %s", js)
	}
	if refused["response_type"] != "ephemeral" || !strings.Contains(refused["text"].(string), "can no longer be shared") {
		t.Errorf("replay by another user = %v", refused)
	}
}

func TestModalSubmissionKeepsTheNoteExactly(t *testing.T) {
	h := newHarness(t, nil)
	note, _ := json.Marshal(hostile)
	interaction(t, h, fmt.Sprintf(`{"type":"view_submission","user":{"id":"U_ANA","name":"ana"},"view":{"callback_id":"log_outcome_submit","private_metadata":"globex",
"state":{"values":{"result":{"result":{"type":"static_select","selected_option":{"value":"lost"}}},"motion":{"motion":{"type":"static_select","selected_option":{"value":"-"}}},
"arr":{"arr":{"type":"number_input","value":"1250.5"}},"note":{"note":{"type":"plain_text_input","value":%s}}}}}}`, note))
	outs, _ := h.db.Outcomes(context.Background(), domain.DateOf(now), domain.DateOf(now))
	if len(outs) != 1 || outs[0].Note != hostile || outs[0].Result != domain.Lost || outs[0].Motion != "" || outs[0].ARR != 1250_50 {
		t.Errorf("outcomes = %+v", outs)
	}
}
