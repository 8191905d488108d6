package teams

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/infracloudio/msbotbuilder-go/schema"

	"github.com/accountbot/accountbot/bot"
)

// Teams' documented limits: an Adaptive Card of about 28 KB, an activity
// under 100 KB.
const (
	teamsCardMax     = 28 << 10
	teamsActivityMax = 100 << 10
)

// hostile is text an imported note, a name or a signal could carry.
var hostile = []struct{ name, text string }{
	{"Teams at tag", "<at>everyone</at> <at id=\"0\">Ana</at>"},
	{"Slack mentions", "<!channel> <@U123> @everyone @here"},
	{"markdown link and formatting", "[click](https://evil.example) *bold* _it_ `code` ![img](https://evil.example/x.png)"},
	{"HTML", "<b>bold</b> <a href=\"https://evil.example\">x</a> &lt;at&gt;"},
	{"right-to-left override", "invoice_\u202Egnp.exe"},
	{"isolates and marks", "\u2067\u2066x\u2069\u200F\u200E\u061C"},
	{"only bidi controls", "\u202E\u202C"},
	{"DATE template", "{{DATE(2017-02-14T06:08:39Z, SHORT)}}"},
	{"TIME template", "{{TIME(2017-02-14T06:08:39Z)}}"},
	{"nested braces", "{{{DATE(2017-02-14T06:08:39Z,LONG)}}}"},
	{"terminal escape", "\x1b[2J\x1b]0;pwned\x07"},
	{"huge note", strings.Repeat("note ", 12_000)},
	{"huge escapes", strings.Repeat("<", 60_000)},
	{"huge braces", strings.Repeat("{", 60_000)},
}

// checkCards asserts that cards are valid, inert and small enough: each
// validates against the official schema, marshals under Teams' card
// limit, travels in an activity under its limit, and no text anywhere
// carries a bidi control, an unescaped mention tag, markdown link or a
// template function.
func checkCards(t *testing.T, name string, cards ...Card) {
	t.Helper()
	requireValid(t, name, cards...)
	for i, c := range cards {
		raw, _ := json.Marshal(c)
		if len(raw) > teamsCardMax {
			t.Errorf("%s: card %d is %d bytes", name, i, len(raw))
		}
		act := schema.Activity{Type: schema.Message, ChannelID: "msteams", ServiceURL: "https://smba.trafficmanager.net/emea/",
			From: schema.ChannelAccount{ID: "28:" + strings.Repeat("b", 36), Name: "AccountBot"}, Recipient: schema.ChannelAccount{ID: "29:" + strings.Repeat("u", 80), Name: "Ana"},
			Conversation: schema.ConversationAccount{ID: "a:" + strings.Repeat("c", 120)}, ReplyToID: strings.Repeat("r", 20)}
		if err := cardOption(c)(&act); err != nil {
			t.Fatal(err)
		}
		if b, _ := json.Marshal(act); len(b) > teamsActivityMax || len(b) > teamsCardMax+2<<10 {
			t.Errorf("%s: activity %d is %d bytes", name, i, len(b))
		}
		var doc any
		json.Unmarshal(raw, &doc)
		for _, s := range strings_(doc, false) {
			if strings.ContainsAny(s, "\u202A\u202B\u202C\u202D\u202E\u2066\u2067\u2068\u2069\u200E\u200F\u061C\x1b") {
				t.Errorf("%s: bidi or control character in %.60q", name, s)
			}
			for _, bad := range []string{"{{DATE(", "{{TIME(", "{{"} {
				if strings.Contains(s, bad) {
					t.Errorf("%s: %q survives in %.60q", name, bad, s)
				}
			}
		}
		for _, s := range strings_(doc, true) {
			if unescaped(s, "<at") || unescaped(s, "[click]") || unescaped(s, "<b>") || unescaped(s, "*bold*") {
				t.Errorf("%s: unescaped markup in %.80q", name, s)
			}
		}
	}
}

// strings_ collects every string value of a JSON document; markdown
// collects those Teams renders as markdown (TextBlock text, fact titles
// and values), where markup must be escaped. Button titles, input labels
// and choices are shown as plain text.
func strings_(v any, markdown bool) []string {
	switch x := v.(type) {
	case string:
		if markdown {
			return nil
		}
		return []string{x}
	case map[string]any:
		var out []string
		for k, c := range x {
			if s, ok := c.(string); ok && markdown {
				if k == "text" && x["type"] == "TextBlock" {
					out = append(out, s)
				}
				continue
			}
			if facts, ok := c.([]any); ok && markdown && k == "facts" {
				for _, f := range facts {
					fm, _ := f.(map[string]any)
					for _, s := range []any{fm["title"], fm["value"]} {
						if s, ok := s.(string); ok {
							out = append(out, s)
						}
					}
				}
				continue
			}
			out = append(out, strings_(c, markdown)...)
		}
		return out
	case []any:
		var out []string
		for _, c := range x {
			out = append(out, strings_(c, markdown)...)
		}
		return out
	}
	return nil
}

// unescaped reports whether markup occurs in s with its first character
// not backslash-escaped.
func unescaped(s, markup string) bool {
	for i := strings.Index(s, markup); i >= 0; {
		if i == 0 || s[i-1] != '\\' {
			return true
		}
		j := strings.Index(s[i+1:], markup)
		if j < 0 {
			return false
		}
		i += 1 + j
	}
	return false
}

// TestHostileTextIsInert feeds each hostile text through every field of a
// message and of a form.
func TestHostileTextIsInert(t *testing.T) {
	for _, h := range hostile {
		m := &bot.Message{Title: h.text, Blocks: []bot.Block{
			bot.Section{Text: "Note: " + h.text, Fields: []bot.Field{{Label: h.text, Value: h.text, Tone: bot.ToneBad}, {Label: "ARR", Value: "$1"}}},
			bot.Section{Text: h.text},
			bot.List{Title: h.text, Items: []bot.Item{{Text: h.text, Detail: h.text, Tone: bot.ToneWarn}}, More: 2},
			bot.Actions{Buttons: []bot.Button{{Label: "Open " + h.text, ActionID: bot.ActionOpenAccount, Value: "acme"}}},
			bot.Context{Text: h.text},
			bot.Divider{},
			bot.Trend{Label: h.text, Points: []bot.Point{{Label: h.text, Value: 1}, {Label: h.text, Value: 2}}},
		}}
		checkCards(t, h.name, Render(m)...)
		form := FormCard(&bot.Form{Title: h.text, Intro: h.text, SubmitID: bot.ActionOutcomeSubmit, Value: "acme",
			Fields: []bot.FormField{{ID: "result", Label: h.text, Kind: "select", Options: []bot.Option{{Value: "won", Label: h.text}}}}})
		checkCards(t, h.name+" (form)", form)
	}
}

// TestTemplateFunctionsShowAsText: the escaped text shows the same
// characters (the joiner is invisible) but no longer matches the
// renderers' {{DATE(…)}} pattern.
func TestTemplateFunctionsShowAsText(t *testing.T) {
	in := "Renewal {{DATE(2017-02-14T06:08:39Z, SHORT)}} at {{TIME(2017-02-14T06:08:39Z)}}"
	got := Escape(in)
	if strings.Contains(got, "{{") || strings.ReplaceAll(got, wordJoiner, "") != in {
		t.Errorf("Escape(%q) = %q", in, got)
	}
}

// TestOversizedElementIsSplitThenCut: one element larger than a card (a
// long imported note in a draft) continues over several cards, each under
// Teams' limit, and an absurd one ends with the cut mark.
func TestOversizedElementIsSplitThenCut(t *testing.T) {
	note := strings.Repeat("word ", 8_000) // 40 KB: more than a card
	cards := Render(&bot.Message{Title: "Talk track", Blocks: []bot.Block{bot.Section{Text: note}}})
	checkCards(t, "40 KB note", cards...)
	var got strings.Builder
	for _, c := range cards {
		for _, it := range c["body"].([]any) {
			got.WriteString(it.(map[string]any)["text"].(string) + " ")
		}
	}
	if len(cards) < 2 || strings.Join(strings.Fields(got.String()), " ") != "Talk track "+strings.TrimSpace(note) {
		t.Errorf("a 40 KB note: %d cards, text kept whole = %v", len(cards), strings.Contains(got.String(), strings.TrimSpace(note)))
	}
	for _, huge := range []string{strings.Repeat("x", 200_000), strings.Repeat("*", 200_000), strings.Repeat("é", 200_000)} {
		cards = Render(&bot.Message{Blocks: []bot.Block{bot.Section{Text: huge}}})
		checkCards(t, "huge", cards...)
		body := cards[len(cards)-1]["body"].([]any)
		last := body[len(body)-1].(map[string]any)["text"].(string)
		if len(cards) != maxTextPieces || !strings.HasSuffix(last, bot.CutMark) {
			t.Errorf("a 200,000-character note: %d cards, last text ends %q", len(cards), last[max(0, len(last)-12):])
		}
	}
	// Many large fields split into several fact sets and cards.
	var fields []bot.Field
	for range 40 {
		fields = append(fields, bot.Field{Label: strings.Repeat("l", 1000), Value: strings.Repeat("<", 5000)})
	}
	checkCards(t, "40 large fields", Render(&bot.Message{Blocks: []bot.Block{bot.Section{Fields: fields}}})...)
	// Buttons with absurd labels and values still fit.
	var buttons []bot.Button
	for range 20 {
		buttons = append(buttons, bot.Button{Label: strings.Repeat("<", 5000), ActionID: bot.ActionOpenAccount, Value: strings.Repeat("<", 5000)})
	}
	checkCards(t, "20 huge buttons", Render(&bot.Message{Blocks: []bot.Block{bot.Actions{Buttons: buttons}}})...)
}

// TestElementTooLargeIsReplaced: the last guard, for an element no rule
// brought under a card's size, keeps the rest of the message.
func TestElementTooLargeIsReplaced(t *testing.T) {
	var buttons []bot.Button
	for range maxCardAction {
		buttons = append(buttons, bot.Button{Label: "x", ActionID: strings.Repeat("<", 1000), Value: strings.Repeat("<", maxActionValue)})
	}
	cards := Render(&bot.Message{Title: "Kept", Blocks: []bot.Block{bot.Actions{Buttons: buttons}}})
	checkCards(t, "guard", cards...)
	js, _ := json.Marshal(cards)
	if !strings.Contains(string(js), "Kept") || !strings.Contains(string(js), "left out") {
		t.Errorf("guard: %.300s", js)
	}
}
