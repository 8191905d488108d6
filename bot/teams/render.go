package teams

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/accountbot/accountbot/bot"
)

// Card is an Adaptive Card as JSON-ready data.
type Card map[string]any

const (
	cardLimit     = 24 << 10 // Teams refuses cards past about 28 KB; leave room for the envelope
	maxCardAction = 6        // Teams shows at most six actions in a set
)

// Escape makes data-derived text inert in a TextBlock's markdown, so a name
// can never become a link, formatting or a mention tag: the characters
// that start them are backslash-escaped (CommonMark escapes, which Teams
// renders as the plain character).
func Escape(s string) string { return escaper.Replace(s) }

// escaper is built once: a Replacer is costly to build and safe to share.
var escaper = strings.NewReplacer(`\`, `\\`, "*", `\*`, "_", `\_`, "[", `\[`, "]", `\]`, "`", "\\`", "<", `\<`, ">", `\>`)

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

func newCard(body []any) Card {
	return Card{"type": "AdaptiveCard", "$schema": "http://adaptivecards.io/schemas/adaptive-card.json", "version": "1.5",
		"msteams": map[string]any{"width": "Full"}, "body": body}
}

// Render draws a message as one or more Adaptive Cards: the same facts,
// reasons and buttons as Slack's Block Kit. A message too large for one
// card continues in the next.
func Render(m *bot.Message) []Card {
	var items []any
	if m.Title != "" {
		items = append(items, text(Escape(m.Title), map[string]any{"size": "Large", "weight": "Bolder"}))
	}
	for _, b := range m.Blocks {
		items = append(items, renderBlock(b)...)
	}
	// Split by size, keeping each element whole.
	var cards []Card
	var cur []any
	size := 0
	for _, it := range items {
		b, _ := json.Marshal(it)
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
		var out []any
		if v.Text != "" {
			out = append(out, text(Escape(v.Text), nil))
		}
		if len(v.Fields) > 0 {
			var facts []any
			for _, f := range v.Fields {
				facts = append(facts, map[string]any{"title": Escape(f.Label), "value": tone(f.Tone) + Escape(f.Value)})
			}
			out = append(out, map[string]any{"type": "FactSet", "facts": facts})
		}
		return out
	case bot.List:
		var items []any
		if v.Title != "" {
			items = append(items, text(Escape(v.Title), map[string]any{"weight": "Bolder"}))
		}
		for _, it := range v.Items {
			items = append(items, text("• "+tone(it.Tone)+Escape(it.Text), map[string]any{"spacing": "Small"}))
			if it.Detail != "" {
				items = append(items, text(Escape(it.Detail), map[string]any{"isSubtle": true, "size": "Small", "spacing": "None"}))
			}
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
				a := map[string]any{"type": "Action.Submit", "title": btn.Label, "data": map[string]any{"action": btn.ActionID, "value": btn.Value}}
				if btn.Primary {
					a["style"] = "positive"
				}
				acts = append(acts, a)
			}
			out = append(out, map[string]any{"type": "ActionSet", "actions": acts})
		}
		return out
	case bot.Context:
		return []any{text(Escape(v.Text), map[string]any{"isSubtle": true, "size": "Small"})}
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
		return []any{text(fmt.Sprintf("%s: %s  %.0f → %.0f", Escape(v.Label), bot.Sparkline(vals), vals[0], vals[len(vals)-1]), map[string]any{"fontType": "Monospace"})}
	}
	return nil
}

// FormCard renders a neutral form as an Adaptive Card with inputs; its
// submit button carries the form's action and value.
func FormCard(f *bot.Form) Card {
	body := []any{text(Escape(f.Title), map[string]any{"size": "Large", "weight": "Bolder"})}
	if f.Intro != "" {
		body = append(body, text(Escape(f.Intro), map[string]any{"isSubtle": true}))
	}
	for _, fld := range f.Fields {
		in := map[string]any{"id": fld.ID, "label": fld.Label, "isRequired": !fld.Optional}
		switch fld.Kind {
		case "select":
			var choices []any
			for _, o := range fld.Options {
				choices = append(choices, map[string]any{"title": o.Label, "value": o.Value})
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
