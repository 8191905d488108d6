package teams

import (
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/accountbot/accountbot/bot"
)

// Card is an Adaptive Card as JSON-ready data.
type Card map[string]any

// Size limits, in bytes of JSON as sent. Teams refuses a card past about
// 28 KB (and an activity past 100 KB) and the user then gets no answer:
// every card stays under cardLimit, with room left for the activity's
// envelope, and no single element is larger than a card.
const (
	cardLimit      = 24 << 10
	elementLimit   = cardLimit - 1<<10  // one element always fits a card
	textBudget     = elementLimit - 512 // a TextBlock's text, leaving room for its properties
	maxTextPieces  = 4                  // a long text continues over up to 4 cards, then is cut
	maxLabelBytes  = 512                // fact titles, list titles, trend labels, button titles
	maxValueBytes  = 4 << 10            // fact values
	maxFormIntro   = 8 << 10            // a form's introduction
	maxActionValue = 500                // characters of a button's value (an account id)
	maxCardAction  = 6                  // Teams shows at most six actions in a set
)

// Escape makes data-derived text inert in a TextBlock: it is sanitized (no
// bidi controls, see bot.Sanitize); the characters that start markdown
// links, formatting and <at> mention tags are backslash-escaped (CommonMark
// escapes, which Teams renders as the plain character); and "{{" is broken
// so Teams cannot evaluate {{DATE(…)}} or {{TIME(…)}} in it.
func Escape(s string) string { return breakTemplates(escaper.Replace(bot.Sanitize(s))) }

// escaper is built once: a Replacer is costly to build and safe to share.
var escaper = strings.NewReplacer(`\`, `\\`, "*", `\*`, "_", `\_`, "[", `\[`, "]", `\]`, "`", "\\`", "<", `\<`, ">", `\>`)

// wordJoiner is invisible and joins what it separates (no line break).
const wordJoiner = "\u2060"

// breakTemplates puts a word joiner between every two consecutive braces.
// Adaptive Card renderers replace {{DATE(…)}} and {{TIME(…)}} in text with
// a formatted date before showing it (text-formatters.ts, RendererUtilities.cs
// and DateTimePreparser.cpp in microsoft/AdaptiveCards all match a literal
// "{{" followed by DATE or TIME); with the joiner the text shows the same
// characters and no longer matches. Markdown has no escape that the
// preparser, which runs before markdown, would honour.
func breakTemplates(s string) string {
	if !strings.Contains(s, "{{") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		b.WriteByte(s[i])
		if s[i] == '{' && i+1 < len(s) && s[i+1] == '{' {
			b.WriteString(wordJoiner)
		}
	}
	return b.String()
}

// plainLabel makes data-derived text for a property Teams shows without
// markdown (button titles, input labels, choices): sanitized, templates
// broken, cut to maxLabelBytes.
func plainLabel(s string) string {
	return breakTemplates(bot.Cut(bot.Sanitize(s), maxLabelBytes, jsonCost))
}

// jsonCost bounds what one rune of data costs in a card's JSON once
// escaped by Escape and encoded by encoding/json (which writes <, > and &
// as \u003c…).
func jsonCost(r rune) int {
	switch r {
	case '<', '>':
		return len(`\\\u003c`)
	case '&':
		return len(`\u0026`)
	case '\\':
		return len(`\\\\`)
	case '*', '_', '[', ']', '`':
		return len(`\\*`)
	case '{':
		return 1 + len(wordJoiner)
	case '"', '\n', '\t':
		return 2
	case 0x2028, 0x2029:
		return len(`\u2028`)
	}
	if r < 0x20 {
		return len(`\u0000`)
	}
	if n := utf8.RuneLen(r); n > 0 {
		return n
	}
	return 3 // U+FFFD
}

// cut escapes data-derived text cut to budget bytes of JSON, ending with
// bot.CutMark when cut.
func cut(s string, budget int) string {
	return Escape(bot.Cut(bot.Sanitize(s), budget, jsonCost))
}

func tone(t bot.Tone) string {
	switch t {
	case bot.ToneGood:
		return "🟢 "
	case bot.ToneWarn:
		return "🟡 "
	case bot.ToneBad:
		return "🔴 "
	}
	return ""
}

func text(s string, extra map[string]any) map[string]any {
	tb := map[string]any{"type": "TextBlock", "text": s, "wrap": true}
	for k, v := range extra {
		tb[k] = v
	}
	return tb
}

// texts draws data-derived text as TextBlocks: one, or several when the
// text is too large for one card (each piece fits a card; after
// maxTextPieces the text is cut with bot.CutMark). prefix is markup the
// renderer wrote (a bullet, a tone) put before the first piece. A blank
// text without prefix draws nothing.
func texts(prefix, raw string, extra map[string]any) []any {
	clean := bot.Sanitize(raw)
	if prefix == "" && strings.TrimSpace(clean) == "" {
		return nil
	}
	var out []any
	for i, p := range bot.Split(clean, textBudget-len(prefix), maxTextPieces, jsonCost) {
		if i == 0 {
			p = prefix + Escape(p)
		} else {
			p = Escape(p)
		}
		out = append(out, text(p, extra))
	}
	return out
}

func newCard(body []any) Card {
	return Card{"type": "AdaptiveCard", "$schema": "http://adaptivecards.io/schemas/adaptive-card.json", "version": "1.5",
		"msteams": map[string]any{"width": "Full"}, "body": body}
}

// tooLarge replaces an element that no rule above brought under a card's
// size, so the rest of the message still arrives.
var tooLarge = text("A part of this answer too large for a Teams card was left out "+bot.CutMark+".", map[string]any{"isSubtle": true})

// Render draws a message as one or more Adaptive Cards: the same facts,
// reasons and buttons as Slack's Block Kit. A message too large for one
// card continues in the next; no element is larger than a card.
func Render(m *bot.Message) []Card {
	items := texts("", m.Title, map[string]any{"size": "Large", "weight": "Bolder"})
	for _, b := range m.Blocks {
		items = append(items, renderBlock(b)...)
	}
	var cards []Card
	var cur []any
	size := 0
	for _, it := range items {
		b, _ := json.Marshal(it)
		if len(b) > elementLimit {
			it = tooLarge
			b, _ = json.Marshal(it)
		}
		if size+len(b) > cardLimit && len(cur) > 0 {
			cards = append(cards, newCard(cur))
			cur, size = nil, 0
		}
		cur = append(cur, it)
		size += len(b)
	}
	if len(cur) > 0 || len(cards) == 0 {
		cards = append(cards, newCard(cur))
	}
	return cards
}

func renderBlock(b bot.Block) []any {
	switch v := b.(type) {
	case bot.Section:
		out := texts("", v.Text, nil)
		return append(out, factSets(v.Fields)...)
	case bot.List:
		var items []any
		if v.Title != "" {
			title := cut(v.Title, maxLabelBytes)
			if v.Private {
				title = "🔒 " + title // the CSM's notes stand apart from the draft
			}
			items = append(items, text(title, map[string]any{"weight": "Bolder"}))
		}
		for _, it := range v.Items {
			items = append(items, texts("• "+tone(it.Tone), it.Text, map[string]any{"spacing": "Small"})...)
			items = append(items, texts("", it.Detail, map[string]any{"isSubtle": true, "size": "Small", "spacing": "None"})...)
		}
		if v.More > 0 {
			items = append(items, text(fmt.Sprintf("…and %d more", v.More), map[string]any{"isSubtle": true}))
		}
		return items // separate elements, so a long list can continue in the next card
	case bot.Actions:
		var out []any
		for start := 0; start < len(v.Buttons); start += maxCardAction {
			var acts []any
			for _, btn := range v.Buttons[start:min(start+maxCardAction, len(v.Buttons))] {
				a := map[string]any{"type": "Action.Submit", "title": plainLabel(btn.Label),
					"data": map[string]any{"action": btn.ActionID, "value": clip(btn.Value, maxActionValue)}}
				if btn.Primary {
					a["style"] = "positive"
				}
				acts = append(acts, a)
			}
			out = append(out, map[string]any{"type": "ActionSet", "actions": acts})
		}
		return out
	case bot.Context:
		return texts("", v.Text, map[string]any{"isSubtle": true, "size": "Small"})
	case bot.Divider:
		return []any{map[string]any{"type": "Container", "separator": true, "items": []any{text("\u200b", map[string]any{"size": "Small"})}}}
	case bot.Trend:
		if len(v.Points) == 0 {
			return nil
		}
		vals := make([]float64, len(v.Points))
		for i, p := range v.Points {
			vals[i] = p.Value
		}
		return []any{text(fmt.Sprintf("%s: %s  %.0f → %.0f", cut(v.Label, maxLabelBytes), v.Spark(), vals[0], vals[len(vals)-1]), map[string]any{"fontType": "Monospace"})}
	}
	return nil
}

// factSets draws fields as FactSets, each cut to fit and starting a new
// set before one would pass an element's size.
func factSets(fields []bot.Field) []any {
	var out, facts []any
	size := 0
	for _, f := range fields {
		fact := map[string]any{"title": cut(f.Label, maxLabelBytes), "value": tone(f.Tone) + cut(f.Value, maxValueBytes)}
		b, _ := json.Marshal(fact)
		if size+len(b) > textBudget && len(facts) > 0 {
			out = append(out, map[string]any{"type": "FactSet", "facts": facts})
			facts, size = nil, 0
		}
		facts = append(facts, fact)
		size += len(b) + 1
	}
	if len(facts) > 0 {
		out = append(out, map[string]any{"type": "FactSet", "facts": facts})
	}
	return out
}

// clip cuts a machine value (a button's argument) to n characters; it is
// never shown, so it is neither sanitized nor marked.
func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n])
}

// FormCard renders a neutral form as an Adaptive Card with inputs; its
// submit button carries the form's action and value.
func FormCard(f *bot.Form) Card {
	// A form is one card: its texts are cut, not continued.
	body := []any{text(cut(f.Title, maxLabelBytes), map[string]any{"size": "Large", "weight": "Bolder"})}
	if f.Intro != "" {
		body = append(body, text(cut(f.Intro, maxFormIntro), map[string]any{"isSubtle": true}))
	}
	for _, fld := range f.Fields {
		in := map[string]any{"id": fld.ID, "label": plainLabel(fld.Label), "isRequired": !fld.Optional}
		switch fld.Kind {
		case "select":
			var choices []any
			for _, o := range fld.Options {
				choices = append(choices, map[string]any{"title": plainLabel(o.Label), "value": o.Value})
			}
			in["type"], in["choices"], in["style"] = "Input.ChoiceSet", choices, "compact"
			if fld.Initial != "" {
				in["value"] = fld.Initial
			}
		case "number":
			in["type"], in["min"] = "Input.Number", 0
		default:
			in["type"], in["isMultiline"] = "Input.Text", true
		}
		body = append(body, in)
	}
	c := newCard(body)
	c["actions"] = []any{map[string]any{"type": "Action.Submit", "title": "Save", "style": "positive",
		"data": map[string]any{"action": f.SubmitID, "value": f.Value}}}
	return c
}
