package slack

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/slack-go/slack"

	"github.com/accountbot/accountbot/bot"
)

func blocksJSON(t *testing.T, bs []slack.Block) string {
	t.Helper()
	b, err := json.Marshal(bs)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestEscapeMakesMentionsInert(t *testing.T) {
	evil := "<!channel> & <@U123> <https://evil.example|click>"
	m := &bot.Message{Title: evil, Blocks: []bot.Block{
		bot.Section{Text: evil, Fields: []bot.Field{{Label: evil, Value: evil}}},
		bot.List{Title: evil, Items: []bot.Item{{Text: evil, Detail: evil}}},
		bot.Context{Text: evil},
		bot.Trend{Label: evil, Points: []bot.Point{{Label: "a", Value: 1}, {Label: "b", Value: 2}}},
	}}
	js := blocksJSON(t, Render(m, RenderOptions{Charts: true}))
	for _, bad := range []string{"<!channel>", "<@U123>", "<https://"} {
		if strings.Contains(js, bad) {
			t.Errorf("rendered JSON contains %q: %s", bad, js)
		}
	}
	if !strings.Contains(js, `\u0026lt;!channel\u0026gt;`) && !strings.Contains(js, "&lt;!channel&gt;") {
		t.Errorf("escaped mention missing: %s", js)
	}
	if got := PlainText(m); strings.Contains(got, "<") {
		t.Errorf("fallback text not escaped: %q", got)
	}
}

func TestRenderLimits(t *testing.T) {
	var items []bot.Item
	for range 200 {
		items = append(items, bot.Item{Text: strings.Repeat("x", 90), Detail: strings.Repeat("y", 40)})
	}
	var blocks []bot.Block
	for range 60 {
		blocks = append(blocks, bot.Context{Text: "c"})
	}
	m := &bot.Message{Title: strings.Repeat("T", 400), Blocks: append([]bot.Block{bot.List{Items: items}, bot.Section{Text: strings.Repeat("s", 5000)}}, blocks...)}
	out := Render(m, RenderOptions{})
	if len(out) != maxBlocksMessage {
		t.Fatalf("blocks = %d", len(out))
	}
	if h := out[0].(*slack.HeaderBlock); utf8.RuneCountInString(h.Text.Text) > maxHeader {
		t.Errorf("header %d chars", utf8.RuneCountInString(h.Text.Text))
	}
	sections := 0
	for _, b := range out {
		if s, ok := b.(*slack.SectionBlock); ok && s.Text != nil {
			sections++
			if n := utf8.RuneCountInString(s.Text.Text); n > maxSectionText {
				t.Errorf("section of %d chars", n)
			}
		}
	}
	if sections < 3 {
		t.Errorf("the long list should split over several sections, got %d", sections)
	}
	last := out[len(out)-1].(*slack.ContextBlock)
	if !strings.Contains(last.ContextElements.Elements[0].(*slack.TextBlockObject).Text, "more blocks not shown") {
		t.Errorf("last block = %+v", last)
	}
	home := Render(m, RenderOptions{MaxBlocks: maxBlocksHome})
	if len(home) > maxBlocksHome || len(home) <= maxBlocksMessage {
		t.Errorf("home blocks = %d", len(home))
	}
	// More than 10 fields split; more than 25 buttons are cut.
	var fields []bot.Field
	var buttons []bot.Button
	for range 23 {
		fields = append(fields, bot.Field{Label: "l", Value: "v"})
	}
	for range 30 {
		buttons = append(buttons, bot.Button{Label: strings.Repeat("b", 100), ActionID: "a", Value: "v"})
	}
	out = Render(&bot.Message{Blocks: []bot.Block{bot.Section{Fields: fields}, bot.Actions{Buttons: buttons}}}, RenderOptions{})
	if len(out) != 4 || len(out[0].(*slack.SectionBlock).Fields) != 10 || len(out[2].(*slack.SectionBlock).Fields) != 3 {
		t.Errorf("field split = %d blocks", len(out))
	}
	act := out[3].(*slack.ActionBlock)
	if len(act.Elements.ElementSet) != maxButtons || utf8.RuneCountInString(act.Elements.ElementSet[0].(*slack.ButtonBlockElement).Text.Text) > maxButtonText {
		t.Errorf("buttons = %d", len(act.Elements.ElementSet))
	}
}

func TestTrendChartAndFallback(t *testing.T) {
	tr := bot.Trend{Label: "Combined health, weekly", Points: []bot.Point{{Label: "2026-11-09", Value: 10}, {Label: "2026-11-16", Value: 15}, {Label: "2026-11-23", Value: 20}}}
	with := Render(&bot.Message{Blocks: []bot.Block{tr}}, RenderOptions{Charts: true})
	if len(with) != 2 || with[0].BlockType() != slack.MBTDataVisualization {
		t.Fatalf("chart blocks = %+v", with)
	}
	without := Render(&bot.Message{Blocks: []bot.Block{tr}}, RenderOptions{})
	if len(without) != 1 || !strings.Contains(blocksJSON(t, without), "▁▄█") {
		t.Errorf("sparkline fallback = %s", blocksJSON(t, without))
	}
}
