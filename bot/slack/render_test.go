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

// hostile is text an imported note, a name or a signal could carry.
var hostile = []struct{ name, text string }{
	{"channel mention", "<!channel> <!here> <!everyone>"},
	{"user and group mention", "<@U123> <!subteam^S123|@team> <#C123>"},
	{"bare at-mentions", "@channel @here @everyone"},
	{"Teams at tag", "<at>everyone</at>"},
	{"link", "<https://evil.example|click here> https://evil.example"},
	{"right-to-left override", "invoice_\u202Egnp.exe"},
	{"isolates and marks", "\u2067\u2066x\u2069\u200F\u200E\u061C"},
	{"only bidi controls", "\u202E\u202C"},
	{"template function", "{{DATE(2017-02-14T06:08:39Z, SHORT)}} {{TIME(2017-02-14T06:08:39Z)}}"},
	{"markdown and HTML", "*bold* _it_ ~s~ `code` ```pre``` > quote [x](https://evil.example) <b>html</b> &amp;"},
	{"terminal escape", "\x1b[2J\x1b]0;pwned\x07"},
	{"huge", strings.Repeat("note ", 12_000)},
	{"huge without spaces", strings.Repeat("&", 60_000)},
}

// textObjects collects every text object (type and text) in rendered JSON.
func textObjects(v any, out *[]map[string]any) {
	switch x := v.(type) {
	case map[string]any:
		if typ, _ := x["type"].(string); (typ == "mrkdwn" || typ == "plain_text") && x["text"] != nil {
			*out = append(*out, x)
		}
		for _, c := range x {
			textObjects(c, out)
		}
	case []any:
		for _, c := range x {
			textObjects(c, out)
		}
	}
}

// checkInert asserts that rendered Block Kit is inert and within Slack's
// limits: mrkdwn is escaped and verbatim, no bidi control survives, no
// text is empty, and every block and text respects its maximum.
func checkInert(t *testing.T, name string, v any) {
	t.Helper()
	raw, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var doc any
	json.Unmarshal(raw, &doc)
	var objs []map[string]any
	textObjects(doc, &objs)
	for _, o := range objs {
		s := o["text"].(string)
		if strings.TrimSpace(s) == "" {
			t.Errorf("%s: empty %s text (Slack refuses it)", name, o["type"])
		}
		if strings.ContainsAny(s, "\u202A\u202B\u202C\u202D\u202E\u2066\u2067\u2068\u2069\u200E\u200F\u061C\x1b") {
			t.Errorf("%s: bidi or control character in %.60q", name, s)
		}
		if o["type"] == "mrkdwn" {
			if strings.ContainsAny(s, "<>") || strings.Contains(strings.ReplaceAll(s, "&amp;", ""), "&amp") {
				t.Errorf("%s: unescaped mrkdwn %.80q", name, s)
			}
			if o["verbatim"] != true {
				t.Errorf("%s: mrkdwn not verbatim, so Slack would link @here and URLs: %.60q", name, s)
			}
		}
		if n := utf8.RuneCountInString(s); n > maxSectionText {
			t.Errorf("%s: text of %d characters", name, n)
		}
	}
	blocks, _ := v.([]slack.Block)
	if len(blocks) > maxBlocksHome {
		t.Errorf("%s: %d blocks", name, len(blocks))
	}
	for _, b := range blocks {
		switch x := b.(type) {
		case *slack.HeaderBlock:
			if n := utf8.RuneCountInString(x.Text.Text); n > maxHeader {
				t.Errorf("%s: header of %d characters", name, n)
			}
		case *slack.SectionBlock:
			if len(x.Fields) > maxFields {
				t.Errorf("%s: %d fields", name, len(x.Fields))
			}
			for _, f := range x.Fields {
				if n := utf8.RuneCountInString(f.Text); n > maxFieldText {
					t.Errorf("%s: field of %d characters", name, n)
				}
			}
		case *slack.ContextBlock:
			for _, e := range x.ContextElements.Elements {
				if tx, ok := e.(*slack.TextBlockObject); ok && utf8.RuneCountInString(tx.Text) > maxContextText {
					t.Errorf("%s: context text of %d characters", name, utf8.RuneCountInString(tx.Text))
				}
			}
		case *slack.ActionBlock:
			for _, e := range x.Elements.ElementSet {
				if btn, ok := e.(*slack.ButtonBlockElement); ok && utf8.RuneCountInString(btn.Text.Text) > maxButtonText {
					t.Errorf("%s: button text of %d characters", name, utf8.RuneCountInString(btn.Text.Text))
				}
			}
		}
	}
}

// TestHostileTextIsInert feeds each hostile text through every field a
// message, a modal and the fallback text have.
func TestHostileTextIsInert(t *testing.T) {
	for _, h := range hostile {
		m := &bot.Message{Title: h.text, Blocks: []bot.Block{
			bot.Section{Text: "Note: " + h.text, Fields: []bot.Field{{Label: h.text, Value: h.text, Tone: bot.ToneBad}}},
			bot.Section{Text: h.text},
			bot.List{Title: h.text, Items: []bot.Item{{Text: h.text, Detail: h.text, Tone: bot.ToneWarn}}},
			bot.Actions{Buttons: []bot.Button{{Label: "Open " + h.text, ActionID: bot.ActionOpenAccount, Value: "acme"}}},
			bot.Context{Text: h.text},
			bot.Trend{Label: h.text, Points: []bot.Point{{Label: h.text, Value: 1}, {Label: h.text, Value: 2}}},
		}}
		for _, opt := range []RenderOptions{{Charts: true}, {MaxBlocks: maxBlocksHome}} {
			out := Render(m, opt)
			if len(out) > opt.MaxBlocks && len(out) > maxBlocksMessage {
				t.Errorf("%s: %d blocks", h.name, len(out))
			}
			checkInert(t, h.name, out)
		}
		modal := Modal(&bot.Form{Title: h.text, Intro: h.text, SubmitID: bot.ActionOutcomeSubmit, Value: "acme",
			Fields: []bot.FormField{{ID: "result", Label: h.text, Kind: "select", Options: []bot.Option{{Value: "won", Label: h.text}}}}})
		checkInert(t, h.name+" (modal)", modal.Blocks.BlockSet)
		if n := utf8.RuneCountInString(modal.Title.Text); n > 24 {
			t.Errorf("%s: modal title of %d characters", h.name, n)
		}
		fallback := PlainText(m)
		checkInert(t, h.name+" (fallback)", map[string]any{"type": "mrkdwn", "text": fallback, "verbatim": true})
	}
}

// TestLongTextContinuesThenCut: a long note continues over several
// sections instead of losing its end; an absurd one is cut with a mark.
func TestLongTextContinuesThenCut(t *testing.T) {
	note := strings.Repeat("word ", 1500) // 7,500 characters
	out := Render(&bot.Message{Blocks: []bot.Block{bot.Section{Text: note}}}, RenderOptions{})
	var got strings.Builder
	for _, b := range out {
		got.WriteString(b.(*slack.SectionBlock).Text.Text + " ")
	}
	if len(out) != 3 || strings.Join(strings.Fields(got.String()), " ") != strings.TrimSpace(note) || strings.Contains(got.String(), bot.CutMark) {
		t.Errorf("a 7,500-character note: %d sections, text kept whole = %v", len(out), strings.Join(strings.Fields(got.String()), " ") == strings.TrimSpace(note))
	}
	out = Render(&bot.Message{Blocks: []bot.Block{bot.Section{Text: strings.Repeat("x", 60_000)}}}, RenderOptions{})
	last := out[len(out)-1].(*slack.SectionBlock).Text.Text
	if len(out) != maxTextPieces || !strings.HasSuffix(last, bot.CutMark) {
		t.Errorf("a 60,000-character note: %d sections, last ends %q", len(out), last[len(last)-10:])
	}
}
